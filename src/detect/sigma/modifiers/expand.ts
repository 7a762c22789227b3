import { UnsupportedRuleError } from "../rule.js";
import { MAX_EXPANSION, type Modifier } from "./modifier.js";

// `expand`: `%name%` placeholders in a value are replaced by each of the values configured for them.

export const EXPAND: Modifier = { name: "expand", kind: "flag" };

export function expandPlaceholders(raw: string, placeholders: Record<string, readonly string[]>): string[] {
  const pieces = raw.split(/(?<!\\)(%[^%\s]+%)/);
  let results = [""];
  for (const piece of pieces) {
    if (/^%[^%\s]+%$/.test(piece)) {
      const name = piece.slice(1, -1);
      const values = placeholders[name];
      if (!values || values.length === 0) throw new UnsupportedRuleError(`needs placeholder values: ${piece}`);
      results = results.flatMap((r) => values.map((v) => r + v));
      if (results.length > MAX_EXPANSION) throw new UnsupportedRuleError("placeholder expansion too large");
    } else {
      const literal = piece.replaceAll("\\%", "%");
      results = results.map((r) => r + literal);
    }
  }
  return results;
}
