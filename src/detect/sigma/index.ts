import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { ValidationError } from "../../core/errors.js";
import { compileDetection, type CompileOptions, type Matcher } from "./compile.js";
import { attackOf, parseRule, type AttackTags, type SigmaRule } from "./rule.js";

export { UnsupportedRuleError, SigmaRule, attackOf, parseRule, readRuleDocuments, parseRuleObject } from "./rule.js";
export type { AttackTags } from "./rule.js";
export { compileDetection, compileSearch, fieldValue } from "./compile.js";
export type { CompileOptions, Matcher, SigmaEvent } from "./compile.js";

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
