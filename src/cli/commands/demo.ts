import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { serveApp, shiftSummary, workUntilIdle, type App } from "../../app/index.js";
import { enrichmentOverview, loadContext, type EnrichmentOverview } from "../../context/index.js";
import { demoPaths, demoShift, loadDemoOrg } from "../../demo/index.js";
import { importAlertFile } from "../../ingest/index.js";
import { buildJournalSite, writeShiftReview } from "../../journal/index.js";
import { authenticate, createToken } from "../../server/index.js";
import { action, printJson, withApp } from "../run.js";
import { waitForSignal } from "../signals.js";

/**
 * Loads the demo organisation and its shift of alerts (idempotent: a second run creates nothing twice),
 * works the shift, writes and builds the journal. Returns the summary.
 */
export async function runDemoShift(app: App) {
  const db = app.store.db;
  const started = app.clock.now();
  const context = await loadContext(db, loadDemoOrg(), { clock: app.clock, source: "demo" });
  const imported = await importAlertFile(db, demoPaths.alerts, { clock: app.clock });
  const work = await workUntilIdle(app);
  const day = started.toISOString().slice(0, 10);
  await writeShiftReview(db, app.config.home, { shift: day, from: `${day}T00:00:00.000Z`, to: app.clock.now().toISOString(), clock: app.clock });
  const site = await buildJournalSite(app.config.home);
  const enrichment = await enrichmentOverview(db, { since: demoShift.start, until: demoShift.end });
  return { context, imported, work, site, enrichment, summary: await shiftSummary(db) };
}

/** What enrichment found and missed, for the console: totals, the top missing paths, a few examples. */
export function enrichmentLines(e: EnrichmentOverview): string[] {
  const c = e.completeness;
  const lines = [
    `enrichment: ${e.enriched} of ${e.alerts} alerts enriched — ${c.complete} complete, ${c.partial} partial, ${c.insufficient} insufficient; ${e.with_gaps} with missing fields`,
  ];
  if (e.top_missing.length > 0) lines.push(`  most missing: ${e.top_missing.map((m) => `${m.path} (${m.count})`).join(", ")}`);
  const stale = Object.entries(e.stale);
  if (stale.length > 0) lines.push(`  stale: ${stale.map(([path, n]) => `${path} (${n})`).join(", ")}`);
  for (const example of e.examples)
    lines.push(`  e.g. ${example.source_id ?? example.alert_id} "${example.title}" [${example.completeness}]: missing ${example.missing_fields.join(", ")}`);
  return lines;
}

/** The demo keeps one admin token in $NIGHTSHIFT_HOME/demo-token (mode 600) so a browser can log in. */
async function demoToken(app: App): Promise<string> {
  const file = path.join(app.config.home, "demo-token");
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (await authenticate(app.store.db, token)) return token;
  }
  const created = await createToken(app.store.db, { role: "admin", name: "demo" }, app.clock);
  writeFileSync(file, `${created.token}\n`, { mode: 0o600 });
  return created.token;
}

export function register(program: Command) {
  program
    .command("demo")
    .description("set up $NIGHTSHIFT_HOME with the demo organisation, work a shift of alerts, build the journal and serve it")
    .option("--once", "do the work, print a JSON summary as the last line, and exit")
    .action(
      action(async (options: { once?: boolean }) => {
        await withApp(async (app) => {
          const log = (line: string) => process.stderr.write(`${line}\n`);
          log(`Nightshift demo — home ${app.config.home} (${app.store.kind} store at ${app.store.location})`);
          const result = await runDemoShift(app);
          log(
            `context: ${result.context.assets} assets, ${result.context.identities} identities, ${result.context.indicators} indicators, ${result.context.suppressions} suppressions`,
          );
          log(`alerts: ${result.imported.records} read, ${result.imported.created} new, ${result.imported.duplicates} already known`);
          log(`worked ${result.work.processed} jobs (${result.work.failed} failed); journal: ${result.site.posts} posts in ${result.site.dir}`);
          for (const line of enrichmentLines(result.enrichment)) log(line);
          if (options.once) {
            printJson({ ...result.summary, enrichment: result.enrichment });
            return;
          }
          const token = await demoToken(app);
          const service = await serveApp(app);
          log("");
          log(`Journal (log in once): ${service.url}/login?token=${token}`);
          log(`API:     ${service.url}/api/v1/cases   (Authorization: Bearer <token in ${path.join(app.config.home, "demo-token")}>)`);
          log(`OpenAPI: ${service.url}/api/docs`);
          log(`Cases:   ${JSON.stringify(result.summary)}`);
          log("Ctrl-C to stop.");
          await waitForSignal();
          await service.stop();
        });
      }),
    );
}
