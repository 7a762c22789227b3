import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { ValidationError } from "../../core/errors.js";
import { evaluateDetection, type Corpus, type DatasetResult } from "../../lab/detection/evaluate.js";
import { readLabelsFile } from "../../lab/detection/labels.js";
import { action } from "../run.js";
import { resolveRuleSources } from "./rules.js";

interface EvalDetectionOptions {
  otrf?: string;
  evtx?: string;
  rules: string[];
  builtin: boolean;
  placeholders?: string;
  labels?: string;
  noiseCap: string;
  triage?: boolean;
  json?: boolean;
}

export function register(program: Command) {
  program
    .command("eval-detection")
    .description(
      "score detection on recorded attacks: per dataset, whether an alert was raised, whether one named the labelled ATT&CK technique (or its parent), and how many other alerts the background raised",
    )
    .option("--otrf <dir>", "an OTRF Security-Datasets tree (datasets under it, labels from its metadata/*.yaml)")
    .option("--evtx <dir>", "a folder of recorded event files (labels: technique ids in the file names, or --labels)")
    .option(
      "--rules <dir>",
      "a directory of Sigma rules, run beside the built-in pack and the configured detect.rules folders (repeatable)",
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .option("--no-builtin", "leave out the built-in rule pack")
    .option("--placeholders <file>", "YAML mapping placeholder names to values for rules that use %name%")
    .option("--labels <file>", "YAML/JSON: dataset path (or a suffix of it) → [technique ids]; [] marks a benign recording")
    .option("--noise-cap <n>", "single-event rules with more other alerts than this are listed as noisy", "25")
    .option("--triage", "also work each alerted attack dataset through the whole pipeline and the crew (deterministic analyst) in a throw-away store, and report whether a case was escalated (slow)")
    .option("--json", "print the whole evaluation as one JSON object on the last line of stdout")
    .action(action(async (options: EvalDetectionOptions) => evalDetection(options)));
}

async function requireDirectory(dir: string, option: string): Promise<void> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new ValidationError("dataset folder not found", [{ path: option, message: `${dir} is not a directory` }]);
  }
}

async function evalDetection(options: EvalDetectionOptions): Promise<void> {
  const corpora: Corpus[] = [];
  if (options.otrf !== undefined) {
    await requireDirectory(options.otrf, "--otrf");
    corpora.push({ name: "otrf", root: options.otrf, otrfMetadata: true });
  }
  if (options.evtx !== undefined) {
    await requireDirectory(options.evtx, "--evtx");
    corpora.push({ name: "evtx", root: options.evtx });
  }
  if (corpora.length === 0) {
    throw new ValidationError("nothing to evaluate", [{ path: "--otrf", message: "give --otrf DIR and/or --evtx DIR" }]);
  }
  const noiseCap = Number(options.noiseCap);
  if (!Number.isInteger(noiseCap) || noiseCap < 0) {
    throw new ValidationError("invalid --noise-cap", [{ path: "--noise-cap", message: `expected a whole number ≥ 0, got ${options.noiseCap}` }]);
  }
  const labels = options.labels === undefined ? undefined : await readLabelsFile(options.labels);
  const sources = await resolveRuleSources({
    rules: options.rules,
    builtin: options.builtin,
    ...(options.placeholders === undefined ? {} : { placeholders: options.placeholders }),
  });
  const line = (text: string) => (options.json ? process.stderr : process.stdout).write(`${text}\n`);
  const result = await evaluateDetection({
    corpora,
    sources,
    noiseCap,
    ...(options.triage ? { triage: true } : {}),
    ...(labels === undefined ? {} : { labels }),
    onDataset: (dataset) => line(datasetLine(dataset)),
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  line(`${result.datasets} attack datasets (${result.labelled} with a known technique, ${result.benign_datasets} benign recordings), ${result.events} events, ${result.rules_loaded} rules`);
  line(`alerted: ${result.alerted}/${result.datasets} (${percent(result.alerted_share)})`);
  line(`named the technique: ${result.named_technique}/${result.labelled} (${percent(result.named_share)})`);
  if (result.escalated !== undefined) {
    line(`escalated by the crew: ${result.escalated}/${result.datasets} (${percent(result.escalated_share ?? 0)}); with an alert naming the technique: ${result.escalated_named}/${result.labelled} (${percent(result.escalated_named_share ?? 0)})`);
  }
  const top = Object.entries(result.noise_per_rule).slice(0, 15);
  if (top.length > 0) line(`other alerts per rule (top ${top.length}):\n${top.map(([title, count]) => `  ${count}  ${title}`).join("\n")}`);
  line(`single-event rules above the noise cap (${result.noise_cap}): ${result.noisy_rules.length === 0 ? "none" : result.noisy_rules.join("; ")}`);
}

function datasetLine(d: DatasetResult): string {
  const label = d.techniques === null ? "?" : d.techniques.length === 0 ? "benign" : d.techniques.join(",");
  const verdict = d.named_technique ? "NAMED" : d.alerted ? "alerted" : "missed";
  const triage = d.triage === undefined ? "" : ` cases=${d.triage.cases} escalated=${d.triage.escalated_cases}`;
  return `${verdict.padEnd(7)} ${d.dataset} [${label}] alerts=${d.alerts} other=${d.other_alerts}${triage}${d.naming_rules.length > 0 ? ` by: ${d.naming_rules.join("; ")}` : ""}`;
}
