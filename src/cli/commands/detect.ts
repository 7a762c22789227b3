import { once } from "node:events";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { ValidationError } from "../../core/errors.js";
import { TIME_FIELDS, createDetector, normaliseEvent } from "../../detect/engine.js";
import { SUPPORTED_EXTENSIONS, listEventFiles, readEventFiles, type EventFileError } from "../../detect/readers/index.js";
import { action } from "../run.js";
import { sigmaRulesHint } from "./rules-update.js";
import { resolveRuleSources } from "./rules.js";

const MAX_REPORTED_ERRORS = 20;

interface DetectOptions {
  rules: string[];
  builtin: boolean;
  placeholders?: string;
  stats?: boolean;
}

export function register(program: Command) {
  program
    .command("detect <paths...>")
    .description(
      "run Sigma rules over event files (EVTX, JSON, JSON lines; .gz and .zip too; directories recursively) and write one JSON alert a line to stdout",
    )
    .option(
      "--rules <dir>",
      "a directory of Sigma rules, run beside the built-in pack and the configured detect.rules folders (repeatable)",
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .option("--no-builtin", "leave out the built-in rule pack")
    .option("--placeholders <file>", "YAML mapping placeholder names to values for rules that use %name% (wins over detect.placeholders)")
    .option("--stats", "write one JSON line to stderr at the end: events, alerts, rules_loaded, rules_skipped, errors, untimed, seconds")
    .action(action(async (paths: string[], options: DetectOptions) => detect(paths, options)));
}

async function detect(paths: string[], options: DetectOptions): Promise<void> {
  const started = performance.now();
  const sources = await resolveRuleSources({
    rules: options.rules,
    builtin: options.builtin,
    ...(options.placeholders === undefined ? {} : { placeholders: options.placeholders }),
  });
  const { detect: settings, home } = loadConfig();
  sigmaRulesHint(home, settings.rules, options.rules);
  const { files, missing, skipped } = await listEventFiles(paths);
  if (missing.length > 0) {
    throw new ValidationError("input not found", missing.map((path) => ({ path, message: "no such file or directory" })));
  }
  if (skipped.length > 0) {
    const shown = skipped.slice(0, MAX_REPORTED_ERRORS).join(", ");
    process.stderr.write(`nightshift: ${skipped.length} file${skipped.length === 1 ? "" : "s"} in the folders given not read (not ${SUPPORTED_EXTENSIONS.join(", ")}): ${shown}\n`);
  }
  // A batch over files: correlation judges the whole input whatever its order (memory capped, no lateness),
  // and a correlation alert is written at the end with its window's total.
  const detector = await createDetector({ ...sources, correlationLimits: { latenessMs: Number.POSITIVE_INFINITY }, batch: true });

  const output = new AlertOutput();
  const progress = detectProgress(files.reduce((sum, file) => sum + file.size, 0));
  let errors = 0;
  const failing = new Set<string>();
  const onError = (error: EventFileError) => {
    failing.add(error.file);
    if (++errors <= MAX_REPORTED_ERRORS) {
      progress.log(`nightshift: ${error.file}${error.record === undefined ? "" : `:${error.record}`}: ${error.message}`);
    }
  };
  const now = new Date();
  let events = 0;
  let alerts = 0;
  const read = new Set<string>();
  try {
    for await (const { file, record, event } of readEventFiles(paths, { onError, onProgress: (p) => progress.update(p.bytes, events, alerts) })) {
      events++;
      read.add(file);
      for (const alert of detector.process(normaliseEvent(event), { file, record }, now)) {
        alerts++;
        if (!(await output.write(alert))) break;
      }
      if (output.closed) break;
    }
    // Correlation alerts with their windows' totals, and windows still open ("fewer than N in a timespan"), now.
    for (const alert of output.closed ? [] : detector.flush()) {
      alerts++;
      if (!(await output.write(alert))) break;
    }
  } finally {
    progress.stop();
  }
  if (errors > MAX_REPORTED_ERRORS) process.stderr.write(`nightshift: ${errors - MAX_REPORTED_ERRORS} more unreadable records skipped\n`);
  const unreadable = [...failing].filter((file) => !read.has(file));
  if (unreadable.length > 0) {
    process.stderr.write(`nightshift: ${unreadable.length} input file${unreadable.length === 1 ? "" : "s"} could not be read: ${unreadable.slice(0, MAX_REPORTED_ERRORS).join(", ")}\n`);
  }
  if (detector.untimed > 0) {
    process.stderr.write(
      `nightshift: ${detector.untimed} event${detector.untimed === 1 ? "" : "s"} ${detector.untimed === 1 ? "carries" : "carry"} no time in a field Nightshift reads ` +
        `(${TIME_FIELDS.slice(0, 4).map((f) => f.field).join(", ")}…; see README "Detect output"): their alerts carry the time of this run ` +
        "and correlation rules do not count them\n",
    );
  }
  if (options.stats) {
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    const untimed = detector.untimed;
    const stats = { events, alerts, rules_loaded: detector.rulesLoaded, rules_skipped: detector.rulesSkipped.length, errors, untimed, seconds };
    process.stderr.write(`${JSON.stringify(stats)}\n`);
  }
  // Unreadable input is an error (exit 1), after what could be read was detected on and written.
  if (errors > 0) process.exitCode = 1;
}

/** Writes alert lines to stdout, waiting for a slow reader; stops quietly when the reader goes away. */
class AlertOutput {
  closed = false;

  constructor() {
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      this.closed = true;
    });
  }

  /** False once nobody is reading any more. */
  async write(alert: unknown): Promise<boolean> {
    if (this.closed) return false;
    if (!process.stdout.write(`${JSON.stringify(alert)}\n`)) {
      // `once` rejects on an 'error' event: EPIPE while waiting means the reader left, handled above.
      await Promise.race([once(process.stdout, "drain"), once(process.stdout, "close")]).catch(() => undefined);
    }
    return !this.closed;
  }
}

/** A progress bar on a terminal (stderr), nothing in a pipe. */
function detectProgress(totalBytes: number) {
  if (!process.stderr.isTTY) {
    return { update() {}, log: (line: string) => void process.stderr.write(`${line}\n`), stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "detect [{bar}] {percentage}% | {events} events | {alerts} alerts",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(totalBytes, 1), 0, { events: 0, alerts: 0 });
  let stopped = false;
  return {
    update(bytes: number, events: number, alerts: number) {
      bar.update(Math.min(bytes, totalBytes), { events, alerts });
    },
    log(line: string) {
      // Clear the bar's line so the message does not land in the middle of it; the bar redraws itself.
      process.stderr.write(`\r\x1b[K${line}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
