import { parseConditions, type ConditionAlgebra } from "./condition.js";
import { compileSearch } from "./search.js";
import type { CompileOptions, Matcher } from "./values.js";

// The compiler's public face: a rule's `detection` block into one `(event) => boolean`, built once.
// Its parts: `values.ts` (event access), `sigma-string.ts` and `string-match.ts` (values and matching),
// `modifiers/` (one unit per modifier and their registry), `field-item.ts`, `keywords.ts`, `search.ts`,
// `condition.ts` (the condition parser), `requirement.ts` (the prefilter's literals).

export { fieldValue } from "./values.js";
export type { CompileOptions, Matcher, SigmaEvent } from "./values.js";
export { compileSearch } from "./search.js";
export { detectionRequirement } from "./requirement.js";
export type { Literal, Requirement } from "./requirement.js";

const MATCHER_ALGEBRA: ConditionAlgebra<Matcher> = {
  and: (operands) => (event) => {
    for (const m of operands) if (!m(event)) return false;
    return true;
  },
  or: (operands) => (event) => {
    for (const m of operands) if (m(event)) return true;
    return false;
  },
  not: (inner) => (event) => !inner(event),
  atLeast: (count, operands) =>
    count === 1
      ? MATCHER_ALGEBRA.or(operands)
      : (event) => {
          let hits = 0;
          for (const m of operands) if (m(event) && ++hits >= count) return true;
          return false;
        },
};

/** Compiles a rule's `detection` block into one matcher, built once. */
export function compileDetection(detection: Record<string, unknown>, options: CompileOptions = {}): Matcher {
  return parseConditions(detection, (definition) => compileSearch(definition, options), MATCHER_ALGEBRA);
}
