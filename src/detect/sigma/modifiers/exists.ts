import { UnsupportedRuleError } from "../rule.js";
import { fieldValue, type Matcher } from "../values.js";
import type { Modifier } from "./modifier.js";

// `exists`: `true` when the field is present in the event (whatever its value, null included), `false` when not.

export const EXISTS: Modifier = { name: "exists", kind: "type" };

export function existsMatcher(field: string, rawValue: unknown): Matcher {
  if (typeof rawValue !== "boolean") throw new UnsupportedRuleError("exists needs true or false");
  return (event) => (fieldValue(event, field) !== undefined) === rawValue;
}
