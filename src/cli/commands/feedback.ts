import type { Command } from "commander";
import { z } from "zod";
import { ValidationError } from "../../core/index.js";
import { FEEDBACK_FORMATS, importFeedback } from "../../context/index.js";
import { parseMapOption } from "../../ingest/index.js";
import { fileProgress } from "../progress.js";
import { action, printJson, withApp } from "../run.js";

const Format = z.enum(FEEDBACK_FORMATS);

/** `nightshift feedback import`: an old SOAR's or SIEM's decisions as analyst feedback (history, never work). */
export function register(program: Command) {
  const feedback = program.command("feedback").description("analyst feedback the crew learns from");
  feedback
    .command("import <file>")
    .description(
      "load labelled history (CSV or NDJSON, gzip too) as analyst feedback: rows whose label is a benign value are false positives, " +
        "all others true positives; never queued, never cases. Prints {file, records, created, duplicates, benign, malicious, labels}",
    )
    .option("--format <format>", "csv | ndjson (default: from the file name)")
    .option("--map <pairs>", "target=source,… as for ingest alerts, e.g. title=name,host.name=host,rule.id=short,time=time")
    .requiredOption("--label <column>", "the column holding the analyst's label")
    .requiredOption("--benign <values>", "label values meaning false positive, comma-separated (case-insensitive)")
    .action(
      action(async (file: string, options: { format?: string; map?: string; label: string; benign: string }) => {
        const format = options.format === undefined ? undefined : Format.parse(options.format);
        const map = options.map === undefined ? undefined : parseMapOption(options.map);
        const benign = options.benign.split(",").map((v) => v.trim()).filter(Boolean);
        if (!benign.length) throw new ValidationError("--benign needs at least one value", [{ path: "benign", message: "empty" }]);
        await withApp(async (app) => {
          const progress = fileProgress("feedback");
          try {
            const result = await importFeedback(app.store.db, file, {
              format,
              map,
              label: options.label,
              benign,
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
