import { UnsupportedRuleError } from "../rule.js";
import { parseSigmaString, type SigmaString } from "../sigma-string.js";
import { scalarText, type CompileOptions } from "../values.js";
import { expandPlaceholders } from "./expand.js";
import type { Working } from "./modifier.js";
import { MODIFIERS } from "./registry.js";

/**
 * The rule's values after the transformation modifiers, applied in the order written, each ready for a
 * type-specific test; `encoded` when an encoding applied (the values then match case-sensitively).
 */
export function transformValues(
  rawValues: readonly unknown[],
  modifiers: readonly string[],
  options: CompileOptions,
): { values: SigmaString[]; encoded: boolean } {
  let encoded = false;
  let working: Working[] = [];
  const expand = modifiers.includes("expand");
  for (const raw of rawValues) {
    const text = scalarText(raw);
    if (text === undefined) throw new UnsupportedRuleError(`value of type ${raw === null ? "null" : typeof raw} in a list`);
    const texts = expand && typeof raw === "string" ? expandPlaceholders(raw, options.placeholders ?? {}) : [text];
    for (const t of texts) working.push({ kind: "string", value: typeof raw === "string" ? parseSigmaString(t) : [t] });
  }
  for (const name of modifiers) {
    const modifier = MODIFIERS.get(name);
    if (modifier?.transform === undefined) continue;
    working = modifier.transform(working);
    if (modifier.encodes === true) encoded = true;
  }
  const values = working.map((w) => {
    if (w.kind === "bytes") throw new UnsupportedRuleError("utf16 encoding without base64");
    return w.value;
  });
  return { values, encoded };
}
