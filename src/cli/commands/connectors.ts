import type { Command } from "commander";
import { ValidationError } from "../../core/index.js";
import { buildConnectors, listConnectorStatus, runConnector, startConnectorScheduler, type RunSummary } from "../../ingest/connectors/index.js";
import { action, printJson, withApp } from "../run.js";
import { waitForSignal } from "../signals.js";

export function register(program: Command) {
  const connectors = program.command("connectors").description("pull connectors (Wazuh…): health and runs");

  connectors
    .command("status")
    .description("one JSON line per connector: name, kind, last_run, last_success, lag_seconds, checkpoint_time, fetched, created, duplicates, rejected, last_error, last_error_at, state (a file tail: caught up, waiting: <path> does not exist…), note")
    .action(
      action(async () => {
        await withApp(async (app) => {
          const configured = app.config.connectors.sources.map((s) => ({ name: s.name, kind: s.kind }));
          for (const status of await listConnectorStatus(app.store.db, configured, app.clock)) printJson(status);
        });
      }),
    );

  connectors
    .command("run [name]")
    .description("pull the enabled connectors (or NAME) until caught up; without --once, keep pulling on each connector's interval until interrupted")
    .option("--once", "one run per connector, then print a summary JSON as the last line")
    .action(
      action(async (name: string | undefined, options: { once?: boolean }) => {
        await withApp(async (app) => {
          const all = buildConnectors(app.config);
          const chosen = name ? all.filter((c) => c.connector.name === name) : all.filter((c) => c.enabled);
          if (name && !chosen.length)
            throw new ValidationError(`no connector named ${name}`, [{ path: "name", message: `configured: ${all.map((c) => c.connector.name).join(", ") || "none"}` }]);
          if (!options.once) {
            const scheduler = startConnectorScheduler(
              app.store.db,
              chosen.map((c) => ({ connector: c.connector, redact: c.redact })),
              { clock: app.clock, onRun: (summary) => printJson(summary) },
            );
            await waitForSignal();
            await scheduler.stop();
            return;
          }
          const summaries: RunSummary[] = [];
          for (const { connector, redact } of chosen) {
            const summary = await runConnector(app.store.db, connector, { clock: app.clock, redact, maxPages: Number.MAX_SAFE_INTEGER });
            if (summary.error) process.stderr.write(`nightshift: connector ${connector.name}: ${summary.error}\n`);
            summaries.push(summary);
          }
          const total = (key: "fetched" | "created" | "duplicates" | "rejected") => summaries.reduce((n, s) => n + s[key], 0);
          printJson({
            connectors: summaries,
            fetched: total("fetched"),
            created: total("created"),
            duplicates: total("duplicates"),
            rejected: total("rejected"),
            errors: summaries.filter((s) => s.error).length,
          });
          if (summaries.some((s) => s.error)) process.exitCode = 1;
        });
      }),
    );
}
