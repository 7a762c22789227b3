import type { Command } from "commander";
import { z } from "zod";
import { importAlertFile, parseMapOption } from "../../ingest/index.js";
import { action, printJson, withApp } from "../run.js";
import { fileProgress } from "../progress.js";

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
}
