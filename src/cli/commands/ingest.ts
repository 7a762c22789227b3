import { existsSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { ValidationError } from "../../core/index.js";
import { configuredDetector, detectionHandlers, purgeExpiredEvents, type App } from "../../app/index.js";
import { importAlertFile, importEventFiles, parseMapOption } from "../../ingest/index.js";
import { runUntilIdle } from "../../store/index.js";
import { action, printJson, withApp } from "../run.js";
import { fileProgress } from "../progress.js";
import { sigmaRulesHint } from "./rules-update.js";

const MAX_REPORTED_ERRORS = 20;

const Format = z.enum(["ndjson", "json", "csv", "ocsf"]);

export function register(program: Command) {
  const ingest = program.command("ingest").description("import alerts into the queue");
  ingest
    .command("alerts <file>")
    .description("import an alert file (NDJSON, JSON, CSV or OCSF; gzip too); every record keeps its file and record number")
    .option("--format <format>", "ndjson | json | csv | ocsf (default: from the file name)")
    .option("--map <pairs>", "target=source,… mapping source columns onto alert fields, e.g. title=signature,host.name=hostname")
    .action(
      action(async (file: string, options: { format?: string; map?: string }) => {
        const format = options.format === undefined ? undefined : Format.parse(options.format);
        const map = options.map === undefined ? undefined : parseMapOption(options.map);
        await withApp(async (app) => {
          const progress = fileProgress("ingest");
          try {
            const result = await importAlertFile(app.store.db, file, {
              format,
              map,
              clock: app.clock,
              onProgress: (p) => progress.update(p.bytes, p.totalBytes, p.records, p.phase),
            });
            progress.stop();
            printJson({ file, ...result });
          } finally {
            progress.stop();
          }
        });
      }),
    );
  ingest
    .command("logs <paths...>")
    .description(
      "store raw events (EVTX, JSON, JSON lines; .gz and .zip too; folders recursively), run the Sigma rules over the new ones " +
        "and queue what fires for the crew; the last line is {files, events, stored, duplicates, errors, alerts, untimed}",
    )
    .action(action(async (paths: string[]) => withApp((app) => ingestLogs(app, paths))));
}

/** `ingest logs`: retention sweep, store, then the detection jobs (only those) until none is left. */
async function ingestLogs(app: App, paths: string[]): Promise<void> {
  const { db } = app.store;
  const missing = [];
  for (const file of paths) if (!existsSync(file)) missing.push(file);
  if (missing.length)
    throw new ValidationError(`input not found: ${missing.join(", ")}; nothing was stored`, missing.map((file) => ({ path: file, message: "no such file or directory" })));
  // A broken rule configuration is reported before anything is stored, not as failed jobs afterwards.
  const detector = configuredDetector(app.config);
  await detector();
  if (app.config.detect.builtin_rules) sigmaRulesHint(app.config.home, app.config.detect.rules);
  await purgeExpiredEvents(app);
  const progress = fileProgress("ingest");
  let reported = 0;
  let result;
  try {
    result = await importEventFiles(db, paths, {
      clock: app.clock,
      onProgress: (p) => progress.update(p.bytes, p.totalBytes, p.events),
      onError: (error) => {
        if (++reported <= MAX_REPORTED_ERRORS)
          process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}nightshift: skipped ${error.file}${error.record === undefined ? "" : `:${error.record}`}: ${error.message}\n`);
      },
    });
  } finally {
    progress.stop();
  }
  if (reported > MAX_REPORTED_ERRORS) process.stderr.write(`nightshift: ${reported - MAX_REPORTED_ERRORS} more unreadable records skipped\n`);
  let alerts = 0;
  const handlers = detectionHandlers({ detector, clock: app.clock, onAlertsQueued: (count) => (alerts += count) });
  const stats = await runUntilIdle(db, {
    handlers,
    clock: app.clock,
    onError: (job, error) => process.stderr.write(`nightshift: detection job ${job.id} failed: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  // Unreadable input (a file or records in one) is an error, after the rest was stored and detected on.
  if (stats.failed > 0 || result.errors > 0) process.exitCode = 1;
  if (result.untimed > 0)
    process.stderr.write(`nightshift: ${result.untimed} event${result.untimed === 1 ? "" : "s"} without a time in a field Nightshift reads: stored with their arrival time, not counted by correlation rules\n`);
  const { files, events, stored, duplicates, errors, untimed } = result;
  printJson({ files, events, stored, duplicates, errors, alerts, untimed });
}
