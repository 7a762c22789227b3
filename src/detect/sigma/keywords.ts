import { isTypeModifier } from "./modifiers/registry.js";
import { transformValues } from "./modifiers/transform.js";
import { UnsupportedRuleError } from "./rule.js";
import { anyPatternTest, patternTest, stringPattern } from "./string-match.js";
import { scalarText, type CompileOptions, type Matcher, type SigmaEvent } from "./values.js";

// Keywords: values searched in every value of the event, not in one field.

function* stringValues(value: unknown, depth = 0): Generator<string> {
  if (depth > 32) return;
  const text = scalarText(value);
  if (text !== undefined) {
    yield text;
  } else if (Array.isArray(value)) {
    for (const v of value) yield* stringValues(v, depth + 1);
  } else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) yield* stringValues(v, depth + 1);
  }
}

type EventTexts = { raw: string[]; folded: string[] | undefined };
// Every keyword rule scans all of an event's values; collect (and lowercase) them once per event object.
// Events are therefore treated as immutable once matching has started.
const eventTexts = new WeakMap<SigmaEvent, EventTexts>();

function textsOf(event: SigmaEvent, cased: boolean): string[] {
  let entry = eventTexts.get(event);
  if (entry === undefined) {
    entry = { raw: [...stringValues(event)], folded: undefined };
    eventTexts.set(event, entry);
  }
  if (cased) return entry.raw;
  entry.folded ??= entry.raw.map((text) => text.toLowerCase());
  return entry.folded;
}

/** Keywords are searched in every value of the event; a keyword without wildcards matches as a substring. */
export function compileKeywords(rawValues: readonly unknown[], modifiers: readonly string[], options: CompileOptions): Matcher {
  if (rawValues.length === 0) throw new UnsupportedRuleError("empty keyword list");
  if (rawValues.some((v) => v === null || typeof v === "object")) throw new UnsupportedRuleError("non-scalar keyword");
  const unsupported = modifiers.filter((m) => isTypeModifier(m) || m === "neq");
  if (unsupported.length > 0) throw new UnsupportedRuleError(`keyword modifier ${unsupported[0]}`);
  const wrap = modifiers.some((m) => m === "contains" || m === "startswith" || m === "endswith") ? modifiers : [...modifiers, "contains"];
  const { values, encoded } = transformValues(rawValues, wrap, options);
  const cased = modifiers.includes("cased") || encoded;
  const patterns = values.map((value) => stringPattern(value, cased));
  if (modifiers.includes("all") && patterns.length > 1) {
    const tests = patterns.map(patternTest);
    return (event) => {
      const texts = textsOf(event, cased);
      return tests.every((test) => texts.some((text) => test(text)));
    };
  }
  const test = anyPatternTest(patterns);
  return (event) => {
    for (const text of textsOf(event, cased)) if (test(text)) return true;
    return false;
  };
}
