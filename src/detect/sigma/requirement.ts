import { parseConditions, type ConditionAlgebra } from "./condition.js";
import { transformValues } from "./modifiers/transform.js";
import { isTypeModifier } from "./modifiers/registry.js";
import { UnsupportedRuleError } from "./rule.js";
import type { SigmaString } from "./sigma-string.js";
import { stringPattern } from "./string-match.js";
import { scalarText, type CompileOptions } from "./values.js";

// Requirements: a necessary condition on literal text, for prefiltering rules before their full matcher.

/**
 * `needle` occurs in the lower-cased text of `field` (any element when the value is an array); field "" stands
 * for any value of the event, as keywords search them.
 */
export type Literal = { field: string; needle: string };
/**
 * Clauses that all hold whenever the detection matches; a clause holds when any of its literals occurs.
 * `null`: no such condition is known (the rule must always run).
 */
export type Requirement = Literal[][] | null;

const NO_REQUIREMENT: Requirement = null;

/** Lower is more selective: short needles occur nearly everywhere, and every literal of a clause may fire. */
function clauseCost(clause: readonly Literal[]): number {
  let cost = 0;
  for (const { needle } of clause) cost += needle.length < 3 ? 8 : needle.length < 5 ? 3 : needle.length < 8 ? 1.5 : 1;
  return cost;
}

function bestClause(clauses: readonly Literal[][]): Literal[] {
  let best = clauses[0]!;
  for (const clause of clauses) if (clauseCost(clause) < clauseCost(best)) best = clause;
  return best;
}

const REQUIREMENT_ALGEBRA: ConditionAlgebra<Requirement> = {
  and: (operands) => {
    const clauses = operands.flatMap((r) => r ?? []);
    return clauses.length > 0 ? clauses : NO_REQUIREMENT;
  },
  // Either side may be the one that matched: only a clause implied by every operand survives.
  or: (operands) => {
    if (operands.some((r) => r === null || r.length === 0)) return NO_REQUIREMENT;
    return [(operands as Literal[][][]).flatMap((r) => (r.length === 1 ? r[0]! : bestClause(r)))];
  },
  not: () => NO_REQUIREMENT,
  atLeast: (_count, operands) => REQUIREMENT_ALGEBRA.or(operands),
};

/**
 * The literal a string pattern cannot match without, if any. Plain (non-regex, folded) patterns give their own
 * needle: "the folded text holds it" is then exactly what they test. Otherwise the longest ASCII run between
 * wildcards: lower-casing ASCII is per character (unlike final sigma or İ), so "the folded (or, when cased, the
 * raw) text holds the pattern" implies "the lower-cased text holds the lower-cased run".
 */
function patternLiteral(field: string, value: SigmaString, cased: boolean): Literal | undefined {
  if (!cased) {
    const pattern = stringPattern(value, false);
    if (pattern.kind !== "regex") return pattern.needle === "" ? undefined : { field, needle: pattern.needle };
  }
  let longest = "";
  for (const part of value) {
    if (typeof part !== "string") continue;
    for (const run of part.split(/[\u0080-\uffff]+/)) if (run.length > longest.length) longest = run;
  }
  return longest === "" ? undefined : { field, needle: longest.toLowerCase() };
}

function literalsRequirement(field: string, values: SigmaString[], cased: boolean, all: boolean): Requirement {
  const literals = values.map((value) => patternLiteral(field, value, cased));
  const known = literals.filter((l): l is Literal => l !== undefined);
  if (all) return known.length > 0 ? known.map((l) => [l]) : NO_REQUIREMENT;
  return known.length === literals.length && known.length > 0 ? [known] : NO_REQUIREMENT;
}

/** As `compileKeywords`: literals on field "" (any value of the event). */
function keywordRequirement(rawValues: readonly unknown[], modifiers: readonly string[], options: CompileOptions): Requirement {
  if (rawValues.length === 0 || rawValues.some((v) => v === null || typeof v === "object")) return NO_REQUIREMENT;
  if (modifiers.some((m) => isTypeModifier(m) || m === "neq" || m === "expand")) return NO_REQUIREMENT;
  const wrap = modifiers.some((m) => m === "contains" || m === "startswith" || m === "endswith") ? modifiers : [...modifiers, "contains"];
  const { values, encoded } = transformValues(rawValues, wrap, options);
  const cased = modifiers.includes("cased") || encoded;
  return literalsRequirement("", values, cased, modifiers.includes("all") && values.length > 1);
}

/** As `compileFieldItem`. */
function fieldItemRequirement(key: string, rawValue: unknown, options: CompileOptions): Requirement {
  const [field = "", ...modifiers] = key.split("|");
  if (field === "") return keywordRequirement(Array.isArray(rawValue) ? rawValue : [rawValue], modifiers, options);
  if (modifiers.some((m) => isTypeModifier(m) || m === "neq" || m === "expand")) return NO_REQUIREMENT;
  const rawValues = Array.isArray(rawValue) ? rawValue : [rawValue];
  if (rawValues.length === 0 || rawValues.some((v) => v === null || typeof v === "object")) return NO_REQUIREMENT;
  const { values, encoded } = transformValues(rawValues, modifiers, options);
  return literalsRequirement(field, values, modifiers.includes("cased") || encoded, modifiers.includes("all"));
}

/** As `compileSearch`. */
function searchRequirement(definition: unknown, options: CompileOptions): Requirement {
  const mapRequirement = (map: Record<string, unknown>) =>
    REQUIREMENT_ALGEBRA.and(Object.entries(map).map(([key, value]) => fieldItemRequirement(key, value, options)));
  if (Array.isArray(definition)) {
    const maps = definition.filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null && !Array.isArray(d));
    const scalars = definition.filter((d) => scalarText(d) !== undefined);
    const operands = maps.map(mapRequirement);
    if (scalars.length > 0) operands.push(keywordRequirement(scalars, [], options));
    if (operands.length === 0) return NO_REQUIREMENT;
    return operands.length === 1 ? operands[0]! : REQUIREMENT_ALGEBRA.or(operands);
  }
  if (typeof definition === "object" && definition !== null) return mapRequirement(definition as Record<string, unknown>);
  if (scalarText(definition) !== undefined) return keywordRequirement([definition], [], options);
  return NO_REQUIREMENT;
}

/**
 * A necessary condition of the detection on literal text (see `Requirement`), derived from the same parse as
 * `compileDetection`. Detections that do not compile give `null`.
 */
export function detectionRequirement(detection: Record<string, unknown>, options: CompileOptions = {}): Requirement {
  try {
    return parseConditions(detection, (definition) => searchRequirement(definition, options), REQUIREMENT_ALGEBRA);
  } catch (error) {
    if (error instanceof UnsupportedRuleError) return NO_REQUIREMENT;
    throw error;
  }
}
