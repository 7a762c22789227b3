import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { ValidationError } from "../../core/errors.js";
import { compileDetection, type CompileOptions, type Matcher } from "./compile.js";
import { parseCorrelationObject, type SigmaCorrelation } from "./correlation.js";
import { parseFilterObject, type CompiledFilter } from "./filter.js";
import { attackOf, parseRule, parseRuleObject, readRuleDocuments, type AttackTags, type SigmaRule } from "./rule.js";

export { UnsupportedRuleError, SigmaRule, attackOf, parseRule, readRuleDocuments, parseRuleObject } from "./rule.js";
export type { AttackTags } from "./rule.js";
export { compileDetection, compileSearch, detectionRequirement, fieldValue } from "./compile.js";
export type { CompileOptions, Literal, Matcher, Requirement, SigmaEvent } from "./compile.js";
export { RulePrefilter } from "./prefilter.js";
export {
  COMPARISONS,
  CORRELATION_TYPES,
  SigmaCorrelationDocument,
  conditionHolds,
  onlyLowerBounds,
  parseCorrelationObject,
  timespanMs,
} from "./correlation.js";
export type { Comparison, CorrelationType, SigmaCorrelation } from "./correlation.js";
export { SigmaFilterDocument, filterFitsLogsource, parseFilterObject } from "./filter.js";
export type { CompiledFilter } from "./filter.js";

export type CompiledRule = {
  rule: SigmaRule;
  attack: AttackTags;
  match: Matcher;
  file?: string;
};

export type LoadOptions = CompileOptions;

/** Parses and compiles one rule text; throws ValidationError (bad rule) or UnsupportedRuleError. */
export function loadRule(text: string, file?: string, options: LoadOptions = {}): CompiledRule {
  const rule = parseRule(text);
  const match = compileDetection(rule.detection, options);
  return { rule, attack: attackOf(rule.tags), match, ...(file === undefined ? {} : { file }) };
}

async function ruleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function reasonOf(error: unknown): string {
  if (error instanceof ValidationError) {
    const first = error.issues[0];
    return first ? `${error.message}: ${first.path ? `${first.path}: ` : ""}${first.message}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Loads every *.yml / *.yaml rule under `dir` (recursively); rules that fail are listed with the reason. */
export async function loadRuleDirectory(
  dir: string,
  options: LoadOptions = {},
): Promise<{ loaded: CompiledRule[]; skipped: { file: string; reason: string }[] }> {
  const loaded: CompiledRule[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const path of await ruleFiles(dir)) {
    const file = relative(dir, path);
    try {
      loaded.push(loadRule(await readFile(path, "utf8"), file, options));
    } catch (error) {
      skipped.push({ file, reason: reasonOf(error) });
    }
  }
  return { loaded, skipped };
}

export type LoadedCorrelation = SigmaCorrelation & { file?: string };

/** Every Sigma document of a text or folder, by kind; documents that fail are listed with the reason. */
export interface SigmaCollection {
  rules: CompiledRule[];
  correlations: LoadedCorrelation[];
  filters: CompiledFilter[];
  skipped: { file: string; reason: string }[];
}

function titleOf(raw: Record<string, unknown>, position: number): string {
  return typeof raw["title"] === "string" ? raw["title"] : `document ${position + 1}`;
}

/**
 * Parses every document of one YAML text: detection rules, correlation rules (`correlation:`) and filters
 * (`filter:` without `detection:`). A multi-document file may hold a correlation and its base rules. A bad
 * document is skipped alone (reason prefixed with its title when the file holds several).
 */
export function loadSigmaText(text: string, file?: string, options: LoadOptions = {}): SigmaCollection {
  const collection: SigmaCollection = { rules: [], correlations: [], filters: [], skipped: [] };
  const where = file ?? "(text)";
  let documents: Record<string, unknown>[];
  try {
    documents = readRuleDocuments(text);
  } catch (error) {
    collection.skipped.push({ file: where, reason: reasonOf(error) });
    return collection;
  }
  const withFile = file === undefined ? {} : { file };
  documents.forEach((raw, position) => {
    try {
      if (raw["correlation"] !== undefined) {
        collection.correlations.push({ ...parseCorrelationObject(raw), ...withFile });
      } else if (raw["filter"] !== undefined && raw["detection"] === undefined) {
        collection.filters.push(parseFilterObject(raw, options, file));
      } else {
        const rule = parseRuleObject(raw);
        const match = compileDetection(rule.detection, options);
        collection.rules.push({ rule, attack: attackOf(rule.tags), match, ...withFile });
      }
    } catch (error) {
      const reason = reasonOf(error);
      collection.skipped.push({ file: where, reason: documents.length > 1 ? `${titleOf(raw, position)}: ${reason}` : reason });
    }
  });
  return collection;
}

/** Loads every Sigma document under `dir` (recursively): rules, correlations and filters. */
export async function loadSigmaDirectory(dir: string, options: LoadOptions = {}): Promise<SigmaCollection> {
  const collection: SigmaCollection = { rules: [], correlations: [], filters: [], skipped: [] };
  for (const path of await ruleFiles(dir)) {
    const loaded = loadSigmaText(await readFile(path, "utf8"), relative(dir, path), options);
    collection.rules.push(...loaded.rules);
    collection.correlations.push(...loaded.correlations);
    collection.filters.push(...loaded.filters);
    collection.skipped.push(...loaded.skipped);
  }
  return collection;
}
