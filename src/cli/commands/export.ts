import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { z } from "zod";
import { ValidationError } from "../../core/index.js";
import { EXPORT_FORMATS, ExportFormat, exportAlertsAs, exportCasesAs } from "../../cases/index.js";
import { action, withApp } from "../run.js";

function parseFormat(value: string): ExportFormat {
  const parsed = ExportFormat.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError("invalid export options", [{ path: "--format", message: `expected one of ${EXPORT_FORMATS.join(", ")}, got ${JSON.stringify(value)}` }]);
}
const Since = z.iso.datetime({ offset: true, message: "--since must be an ISO-8601 time such as 2026-11-24T00:00:00Z" });

async function writeLines(lines: AsyncIterable<unknown>, out?: string) {
  const stream: Writable = out ? createWriteStream(out) : process.stdout;
  for await (const line of lines) {
    if (!stream.write(`${JSON.stringify(line)}\n`)) await once(stream, "drain");
  }
  if (out) {
    stream.end();
    await once(stream, "finish");
  }
}

export function register(program: Command) {
  for (const [noun, exporter, description] of [
    ["alerts", exportAlertsAs, "one line per alert: id, source_id, source {name, file, record}, case_id, case_status, case_verdict, outcome… (ocsf: Detection Finding 2004)"],
    ["cases", exportCasesAs, "one line per case: its alerts, verdicts and timestamps (ocsf: Incident Finding 2005)"],
  ] as const) {
    program
      .command(noun)
      .description(`${noun} commands`)
      .command("export")
      .description(`write ${noun} as NDJSON: ${description}`)
      .option("--format <format>", `ndjson (the scoring contract), ocsf (OCSF 1.8) or ecs (Elastic Common Schema)`, "ndjson")
      .option("--since <time>", "only what changed at or after this ISO-8601 time (incremental export)")
      .option("-o, --out <file>", "write to a file instead of standard output")
      .action(
        action(async (options: { format: string; since?: string; out?: string }) => {
          const format = parseFormat(options.format);
          const since = options.since === undefined ? undefined : Since.parse(options.since);
          await withApp((app) => writeLines(exporter(app.store.db, format, { since }), options.out));
        }),
      );
  }
}
