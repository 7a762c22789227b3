import { UnsupportedRuleError } from "../rule.js";
import { numberOf, type ValueTest } from "../values.js";
import type { Modifier } from "./modifier.js";
import { timePart } from "./time.js";

// `lt`, `lte`, `gt`, `gte`: the event value compared as a number; with a time part, that part of a timestamp.

export const COMPARISONS: readonly Modifier[] = ["lt", "lte", "gt", "gte"].map((name) => ({ name, kind: "type" }));

function numericTest(modifier: string, bound: number): (n: number) => boolean {
  switch (modifier) {
    case "lt":
      return (n) => n < bound;
    case "lte":
      return (n) => n <= bound;
    case "gt":
      return (n) => n > bound;
    case "gte":
      return (n) => n >= bound;
    default:
      return (n) => n === bound;
  }
}

/** One test per rule value; without a comparison, a time part must equal the value. */
export function numericTests(concrete: readonly unknown[], timeModifier: string | undefined, numericModifier: string | undefined): ValueTest[] {
  const extract = timeModifier !== undefined ? timePart(timeModifier) : numberOf;
  const tests: ValueTest[] = [];
  for (const raw of concrete) {
    const bound = numberOf(raw);
    if (bound === undefined) throw new UnsupportedRuleError(`non-numeric value for ${numericModifier ?? timeModifier}`);
    const compare = numericTest(numericModifier ?? "eq", bound);
    tests.push((value) => {
      const n = extract(value);
      return n !== undefined && compare(n);
    });
  }
  return tests;
}
