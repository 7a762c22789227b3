import { UnsupportedRuleError } from "./rule.js";

// Sigma strings: literal text with `*` / `?` wildcards, after escape processing.

export type Part = string | { wildcard: "*" | "?" };
export type SigmaString = Part[];

export function parseSigmaString(raw: string): SigmaString {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === "\\") {
      const next = raw[i + 1];
      if (next === "*" || next === "?" || next === "\\") {
        literal += next;
        i++;
      } else {
        literal += char;
      }
    } else if (char === "*" || char === "?") {
      if (literal) parts.push(literal);
      literal = "";
      parts.push({ wildcard: char });
    } else {
      literal += char;
    }
  }
  if (literal) parts.push(literal);
  return parts;
}

export function plainText(value: SigmaString, modifier: string): string {
  if (value.some((part) => typeof part !== "string")) {
    throw new UnsupportedRuleError(`${modifier} on a value with wildcards`);
  }
  return value.join("");
}

export function isStar(part: Part | undefined): boolean {
  return part !== undefined && typeof part !== "string" && part.wildcard === "*";
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

