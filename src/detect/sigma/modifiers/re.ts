import { UnsupportedRuleError } from "../rule.js";
import { scalarText, type ValueTest } from "../values.js";
import type { Modifier } from "./modifier.js";

// `re`: the value is a regular expression, case-sensitive unless flagged; its flags `i`, `m`, `s` (and the
// long names `ignorecase`, `multiline`, `dotall`) are valid only with `re`.

export const RE: Modifier = { name: "re", kind: "type" };
export const REGEX_FLAGS: readonly Modifier[] = ["i", "m", "s", "ignorecase", "multiline", "dotall"].map((name) => ({
  name,
  kind: "regex-flag",
}));

function regexFlags(modifiers: readonly string[]): string {
  let flags = "";
  if (modifiers.includes("i") || modifiers.includes("ignorecase")) flags += "i";
  if (modifiers.includes("m") || modifiers.includes("multiline")) flags += "m";
  if (modifiers.includes("s") || modifiers.includes("dotall")) flags += "s";
  return flags;
}

function compileRegex(pattern: string, modifiers: readonly string[]): RegExp {
  let source = pattern;
  let flags = regexFlags(modifiers);
  // PCRE-style leading inline flags are common in rules; JavaScript only takes them as RegExp flags.
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const flag of inline[1]!) if (!flags.includes(flag)) flags += flag;
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new UnsupportedRuleError(`regex not supported: ${(error as Error).message}`);
  }
}

/** One test per rule value: the event value's text matches the regular expression. */
export function regexTests(concrete: readonly unknown[], modifiers: readonly string[]): ValueTest[] {
  const tests: ValueTest[] = [];
  for (const raw of concrete) {
    if (typeof raw !== "string") throw new UnsupportedRuleError("re needs a string");
    const regex = compileRegex(raw, modifiers);
    tests.push((value) => {
      const text = scalarText(value);
      return text !== undefined && regex.test(text);
    });
  }
  return tests;
}
