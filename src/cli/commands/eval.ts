import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { ValidationError } from "../../core/index.js";
import { BUILTIN_PACKS_DIR, combine, compareWithBaseline, evaluatePackFile, packFiles, removeReplayHomes, writeReport, type PackResult } from "../../lab/index.js";
import { action, printJson } from "../run.js";

interface EvalOptions {
  builtin?: boolean;
  json?: boolean;
  report?: string;
  baseline?: string;
  data?: string;
  from?: string;
  until?: string;
}

/** `--from` / `--until`: an ISO-8601 time with its offset, as epoch ms. */
function sliceTime(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new ValidationError(`invalid ${option}`, [{ path: option, message: `expected an ISO-8601 time with its offset such as 2022-01-24T00:00:00Z, got ${value}` }]);
  return ms;
}

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)}%`);

function packLine(p: PackResult): string {
  return `${p.failed ? "FAIL" : "ok  "} ${p.name.padEnd(28)} alerts ${String(p.counts.alerts).padStart(5)}  cases ${String(p.counts.cases).padStart(4)}  incident recall ${pct(p.incident_recall).padStart(6)}  alert recall ${pct(p.alert_recall).padStart(6)}  benign closed ${pct(p.benign_auto_closed).padStart(6)}  ${p.time.wall_ms} ms`;
}

function readBaseline(file: string): unknown {
  try {
    const text = readFileSync(file, "utf8").trimEnd();
    return JSON.parse(text.split("\n").pop() ?? "");
  } catch (error) {
    throw new ValidationError(`cannot read baseline ${file}: ${(error as Error).message}`, [{ path: "--baseline", message: "expected the JSON line `eval --json` printed" }]);
  }
}

export function register(program: Command) {
  program
    .command("eval")
    .description("replay scenario packs as shifts in a temporary store and score the crew against their ground truth")
    .argument("[packs...]", "pack files (.yaml, .yml, .json) or folders of them")
    .option("--builtin", "also run the built-in packs")
    .option("--json", "print the result as one JSON object on the last line")
    .option("--report <dir>", "write report.md and chart.svg into DIR")
    .option("--baseline <file>", "compare with an earlier `eval --json` output")
    .option("--data <dir>", "look up the packs' external alert files here first")
    .option("--from <time>", "replay only what happens at or after this time (ISO 8601): a slice of a big pack")
    .option("--until <time>", "replay only what happens before this time (ISO 8601)")
    .action(
      action(async (packs: string[], options: EvalOptions) => {
        const files = packFiles([...(options.builtin ? [BUILTIN_PACKS_DIR] : []), ...packs]);
        if (files.length === 0) throw new ValidationError("no packs to run", [{ path: "packs", message: "name pack files or folders, or give --builtin" }]);
        const fromMs = sliceTime(options.from, "--from");
        const untilMs = sliceTime(options.until, "--until");
        if (fromMs !== undefined && untilMs !== undefined && untilMs <= fromMs)
          throw new ValidationError("empty slice", [{ path: "--until", message: `${options.until} is not after --from ${options.from}` }]);
        const baseline = options.baseline ? readBaseline(options.baseline) : undefined;
        const config = loadConfig();
        // An interrupted eval leaves no temporary store behind.
        for (const signal of ["SIGINT", "SIGTERM"] as const)
          process.once(signal, () => {
            removeReplayHomes();
            process.exit(130);
          });
        const results: PackResult[] = [];
        for (const file of files) {
          const result = await evaluatePackFile(file, config, {
            dataDir: options.data,
            ...(fromMs !== undefined ? { fromMs } : {}),
            ...(untilMs !== undefined ? { untilMs } : {}),
            onProgress: (p) => process.stderr.write(`  ${file}: ${p.done} of ${p.total} replayed (pack time ${p.at}), ${Math.round(p.elapsedMs / 1000)} s\n`),
          });
          results.push(result);
          process.stderr.write(`${packLine(result)}\n`);
        }
        const combined = combine(results);
        if (options.baseline) combined.baseline = compareWithBaseline(combined, baseline, options.baseline);
        if (options.report) process.stderr.write(`report: ${writeReport(combined, options.report)}\n`);
        if (options.json) printJson(combined);
        else {
          process.stdout.write(
            `${results.length} packs: incident recall ${pct(combined.incident_recall)}, alert recall ${pct(combined.alert_recall)}, benign auto-closed ${pct(combined.benign_auto_closed)}, escalation precision ${pct(combined.escalation_precision)}; malicious incidents closed: ${combined.malicious_incidents_closed}${combined.failed_packs.length ? ` (${combined.failed_packs.join(", ")})` : ""}\n`,
          );
          if (combined.baseline)
            for (const [k, c] of Object.entries(combined.baseline.totals)) process.stdout.write(`  ${k}: ${c.before ?? "–"} → ${c.after ?? "–"}${c.delta === null ? "" : ` (${c.delta > 0 ? "+" : ""}${c.delta})`}\n`);
        }
        if (combined.malicious_incidents_closed > 0) process.exitCode = 1;
      }),
    );
}
