import { fieldValue, scalarText, type Matcher, type SigmaEvent } from "../values.js";
import type { Modifier } from "./modifier.js";

// `fieldref`: the value names another field of the same event; with `contains` / `startswith` / `endswith`
// the field holds the other field's text there, else it equals it.

export const FIELDREF: Modifier = { name: "fieldref", kind: "type" };

export function fieldrefMatcher(field: string, concrete: readonly unknown[], modifiers: readonly string[]): Matcher {
  const has = (m: string) => modifiers.includes(m);
  const all = has("all");
  const cased = has("cased");
  const refs = concrete.map(String);
  const placement = has("contains") ? "contains" : has("startswith") ? "startswith" : has("endswith") ? "endswith" : "equals";
  const refTests = refs.map((ref) => (event: SigmaEvent, value: unknown): boolean => {
    const other = scalarText(fieldValue(event, ref));
    const text = scalarText(value);
    if (other === undefined || text === undefined) return false;
    const a = cased ? text : text.toLowerCase();
    const b = cased ? other : other.toLowerCase();
    if (placement === "contains") return a.includes(b);
    if (placement === "startswith") return a.startsWith(b);
    if (placement === "endswith") return a.endsWith(b);
    return a === b;
  });
  const neq = has("neq");
  return (event) => {
    const value = fieldValue(event, field);
    const element = (v: unknown) => (all ? refTests.every((t) => t(event, v)) : refTests.some((t) => t(event, v)));
    const hit = Array.isArray(value) ? value.some(element) : element(value);
    return neq ? !hit : hit;
  };
}
