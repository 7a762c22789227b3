import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { parse } from "yaml";
import { z } from "zod";
import { loadConfig } from "../../config/index.js";
import { ValidationError, issuesOf } from "../../core/errors.js";
import { createDetector } from "../../detect/engine.js";
import { detectorSources, type DetectorSources } from "../../detect/rules/index.js";
import { action } from "../run.js";
import { registerUpdate } from "./rules-update.js";

/** Placeholder file: `name: value` or `name: [values]`, expanded where rules say `%name%` (`|expand`). */
const Placeholders = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
type PlaceholderValues = Record<string, string[]>;

export interface RuleSourceOptions {
  /** Folders named on the command line (added to the defaults). */
  rules?: string[];
  /** false: leave out the built-in pack (`--no-builtin`). */
  builtin?: boolean;
  /** A placeholders file (`--placeholders`); its names win over `detect.placeholders` in the configuration. */
  placeholders?: string;
  /** true: run `rules` alone, without the built-in pack and the configured folders. */
  only?: boolean;
}

function asLists(values: Record<string, string | string[]>): PlaceholderValues {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));
}

export async function readPlaceholders(file: string): Promise<PlaceholderValues> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new ValidationError("placeholders file not found", [{ path: "--placeholders", message: `${file}: no such file` }]);
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (error) {
    throw new ValidationError(`invalid placeholders file ${file}`, [{ path: file, message: (error as Error).message }]);
  }
  const parsed = Placeholders.safeParse(raw);
  if (!parsed.success) throw new ValidationError(`invalid placeholders file ${file}`, issuesOf(parsed.error));
  return asLists(parsed.data);
}

async function requireDirectories(dirs: string[], option: string): Promise<void> {
  const missing: string[] = [];
  for (const dir of dirs) if (!(await stat(dir).catch(() => undefined))?.isDirectory()) missing.push(dir);
  if (missing.length > 0) {
    throw new ValidationError("rule directory not found", missing.map((dir) => ({ path: option, message: `${dir} is not a directory` })));
  }
}

/**
 * The rules `detect` runs: the built-in pack (unless `builtin: false` or `detect.builtin_rules: false`), the
 * configured `detect.rules` folders (or NIGHTSHIFT_RULES), then `rules`. Placeholder values: configuration,
 * overridden per name by the placeholders file. Logsource files: `detect.logsources`.
 */
export async function resolveRuleSources(options: RuleSourceOptions, env: NodeJS.ProcessEnv = process.env): Promise<DetectorSources> {
  const { detect, home } = loadConfig(env);
  await requireDirectories(options.rules ?? [], options.only ? "dirs" : "--rules");
  if (!options.only) await requireDirectories(detect.rules, "detect.rules");
  const fromFile = options.placeholders === undefined ? undefined : await readPlaceholders(options.placeholders);
  const sources = detectorSources(detect, {
    home,
    ...(options.rules === undefined ? {} : { rules: options.rules }),
    ...(options.builtin === undefined ? {} : { builtin: options.builtin }),
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(fromFile === undefined ? {} : { placeholders: fromFile }),
  });
  if (sources.ruleDirs.length === 0) {
    throw new ValidationError("no Sigma rules to run", [
      { path: "--rules", message: "the built-in pack is off and no rule folder is configured: pass --rules DIR or set detect.rules" },
    ]);
  }
  return sources;
}

/** A short, countable class for a skip reason (the specifics stay in the per-rule line). */
export function reasonClass(reason: string): string {
  const mapping = /^no logsource mapping for product (\S+), (.+?) \(/.exec(reason);
  if (mapping) return `no logsource mapping: ${mapping[1]} ${mapping[2]}`;
  if (reason.includes("needs placeholder values")) return "needs placeholder values";
  const unsupported = /^unsupported Sigma rule: ([^:]+)/.exec(reason);
  if (unsupported) return `unsupported: ${unsupported[1]!.replace(/ (?:of|for|on) .*$/, "").trim()}`;
  const colon = reason.indexOf(":");
  return colon > 0 ? reason.slice(0, colon) : reason;
}

export interface RulesCheckResult {
  loaded: number;
  skipped: { file: string; reason: string }[];
  reasons: Record<string, number>;
  /** Loaded rules that no logsource mapping routes events to (they run only on events no mapped product claims). */
  unreachable: { file: string; reason: string; logsource: string }[];
  /** Each logsource (`product/service/category`, `-` when unset) of the unreachable rules, with their count. */
  unmapped: Record<string, number>;
}

/** Loads rule folders exactly as `detect` does (same engine, mappings and placeholder values). */
export async function checkRules(sources: DetectorSources): Promise<RulesCheckResult> {
  let loaded = 0;
  const skipped: { file: string; reason: string }[] = [];
  const unreachable: RulesCheckResult["unreachable"] = [];
  // One detector per folder so each skipped file can be named with its folder.
  for (const dir of sources.ruleDirs) {
    const detector = await createDetector({ ruleDirs: [dir], placeholders: sources.placeholders, logsourceFiles: sources.logsourceFiles });
    loaded += detector.rulesLoaded;
    for (const { file, reason } of detector.rulesSkipped) skipped.push({ file: join(dir, file), reason });
    for (const { file, reason, logsource } of detector.rulesUnreachable) unreachable.push({ file: join(dir, file), reason, logsource });
  }
  const unmapped: Record<string, number> = {};
  for (const { logsource } of unreachable) unmapped[logsource] = (unmapped[logsource] ?? 0) + 1;
  const reasons: Record<string, number> = {};
  for (const { reason } of skipped) {
    const kind = reasonClass(reason);
    reasons[kind] = (reasons[kind] ?? 0) + 1;
  }
  return { loaded, skipped, reasons, unreachable, unmapped: Object.fromEntries(Object.entries(unmapped).sort()) };
}

interface CheckOptions {
  placeholders?: string;
  builtin: boolean;
  json?: boolean;
}

export function register(program: Command) {
  const rules = program.command("rules").description("Sigma rules: check which ones Nightshift can run; install SigmaHQ's (update)");
  registerUpdate(rules);
  rules
    .command("check [dirs...]")
    .description(
      "load every rule in DIRs (default: the built-in pack and the configured detect.rules folders) as detect would, print `<file>: <reason>` for each rule it cannot run and `<file>: unreachable: <reason>` for each rule no logsource mapping routes events to, then a summary; exit 0 when all load and are reachable, 1 otherwise",
    )
    .option("--placeholders <file>", "YAML mapping placeholder names to values (wins over detect.placeholders in the configuration)")
    .option("--no-builtin", "without DIRs: leave the built-in pack out")
    .option("--json", 'print one JSON object: {"loaded", "skipped": [{"file", "reason"}], "reasons": {class: count}, "unreachable": [{"file", "reason", "logsource"}], "unmapped": {logsource: count}}')
    .action(action(async (dirs: string[], options: CheckOptions) => rulesCheck(dirs, options)));
}

async function rulesCheck(dirs: string[], options: CheckOptions): Promise<void> {
  const sources = await resolveRuleSources({
    // Named folders are checked on their own; without any, what `detect` would load by default.
    ...(dirs.length > 0 ? { rules: dirs, only: true } : { builtin: options.builtin }),
    ...(options.placeholders === undefined ? {} : { placeholders: options.placeholders }),
  });
  const result = await checkRules(sources);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    for (const { file, reason } of result.skipped) process.stdout.write(`${file}: ${reason}\n`);
    for (const { file, reason } of result.unreachable) process.stdout.write(`${file}: unreachable: ${reason}\n`);
    const classes = Object.entries(result.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => `  ${count} ${kind}`);
    process.stdout.write(`${result.loaded} rules loaded, ${result.skipped.length} skipped${classes.length > 0 ? ":" : ""}\n`);
    if (classes.length > 0) process.stdout.write(`${classes.join("\n")}\n`);
    const unmapped = Object.entries(result.unmapped).map(([logsource, count]) => `  ${count} ${logsource}`);
    if (unmapped.length > 0) {
      process.stdout.write(`${result.unreachable.length} of them unreachable: no logsource mapping routes events to them (product/service/category):\n`);
      process.stdout.write(`${unmapped.join("\n")}\n`);
    }
  }
  if (result.skipped.length > 0 || result.unreachable.length > 0) process.exitCode = 1;
}
