import { cidrTest } from "./modifiers/cidr.js";
import { numericTests } from "./modifiers/compare.js";
import { existsMatcher } from "./modifiers/exists.js";
import { fieldrefMatcher } from "./modifiers/fieldref.js";
import { regexTests } from "./modifiers/re.js";
import { isRegexFlag, isTimePart, modifierOf } from "./modifiers/registry.js";
import { transformValues } from "./modifiers/transform.js";
import { compileKeywords } from "./keywords.js";
import { UnsupportedRuleError } from "./rule.js";
import { anyPatternTest, folder, patternTest, stringPattern } from "./string-match.js";
import { anyElement, fieldValue, NEVER, scalarText, type CompileOptions, type Matcher, type ValueTest } from "./values.js";

function combine(tests: ValueTest[], all: boolean): ValueTest {
  if (tests.length === 1) return tests[0]!;
  return all ? (value) => tests.every((t) => t(value)) : (value) => tests.some((t) => t(value));
}

/** The value tests of a string item: transformation modifiers, then exact / wildcard matching on folded text. */
function stringTests(concrete: readonly unknown[], modifiers: readonly string[], all: boolean, cased: boolean, options: CompileOptions): ValueTest[] {
  const { values, encoded } = transformValues(concrete, modifiers, options);
  const fold = folder(cased || encoded);
  const patterns = values.map((value) => stringPattern(value, cased || encoded));
  const groups = all ? patterns.map((p) => patternTest(p)) : [anyPatternTest(patterns)];
  return groups.map((test) => (v: unknown) => {
    const text = scalarText(v);
    return text !== undefined && test(fold(text));
  });
}

/** Compiles `field|modifiers: values` into a matcher on the event. */
export function compileFieldItem(key: string, rawValue: unknown, options: CompileOptions): Matcher {
  const [field = "", ...modifiers] = key.split("|");
  for (const modifier of modifiers) modifierOf(modifier);
  const has = (m: string) => modifiers.includes(m);
  const regexOnly = modifiers.find(isRegexFlag);
  if (regexOnly !== undefined && !has("re")) throw new UnsupportedRuleError(`modifier ${regexOnly} without re`);
  if (field === "") return compileKeywords(Array.isArray(rawValue) ? rawValue : [rawValue], modifiers, options);

  if (has("exists")) return existsMatcher(field, rawValue);

  const rawValues = Array.isArray(rawValue) ? rawValue : [rawValue];
  if (rawValues.length === 0) throw new UnsupportedRuleError(`empty value list for ${field}`);
  if (rawValues.some((v) => Array.isArray(v) || (typeof v === "object" && v !== null))) {
    throw new UnsupportedRuleError(`nested value for ${field}`);
  }
  const nullWanted = rawValues.some((v) => v === null);
  const concrete = rawValues.filter((v) => v !== null);
  const all = has("all");
  const cased = has("cased");

  const tests: ValueTest[] = [];
  if (concrete.length > 0) {
    const timeModifier = modifiers.find(isTimePart);
    const numericModifier = modifiers.find((m) => m === "lt" || m === "lte" || m === "gt" || m === "gte");
    if (timeModifier !== undefined || numericModifier !== undefined) {
      tests.push(...numericTests(concrete, timeModifier, numericModifier));
    } else if (has("re")) {
      tests.push(...regexTests(concrete, modifiers));
    } else if (has("cidr")) {
      for (const raw of concrete) tests.push(cidrTest(String(raw)));
    } else if (has("fieldref")) {
      return fieldrefMatcher(field, concrete, modifiers);
    } else {
      tests.push(...stringTests(concrete, modifiers, all, cased, options));
    }
  }

  let valueMatcher: Matcher = NEVER;
  if (tests.length > 0) {
    const combined = anyElement(combine(tests, all));
    // `all` over a list must hold for the field as a whole: any element of an array may satisfy each value.
    const allOverArray: ValueTest = (value) =>
      Array.isArray(value) ? tests.every((t) => value.some((v) => t(v))) : tests.every((t) => t(value));
    const test = all ? allOverArray : combined;
    valueMatcher = (event) => {
      const value = fieldValue(event, field);
      return value !== undefined && value !== null && test(value);
    };
  }
  let matcher: Matcher = valueMatcher;
  if (nullWanted) {
    const isNull: Matcher = (event) => {
      const value = fieldValue(event, field);
      return value === undefined || value === null;
    };
    matcher = tests.length > 0 ? (event) => isNull(event) || valueMatcher(event) : isNull;
  }
  if (has("neq")) {
    const positive = matcher;
    return (event) => !positive(event);
  }
  return matcher;
}
