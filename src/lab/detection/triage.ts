import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openApp, pipelineHandlers } from "../../app/index.js";
import { loadConfig } from "../../config/index.js";
import { namesTechnique } from "../../detect/attack-ids.js";
import { BUILTIN_RULES_DIR, type DetectorSources } from "../../detect/rules/index.js";
import { importEventFiles } from "../../ingest/events.js";
import { runUntilIdle } from "../../store/index.js";

export interface TriageOutcome {
  cases: number;
  escalated_cases: number;
  /** A case holding one of the dataset's alerts was escalated by the crew. */
  escalated: boolean;
  /** An escalated case holds an alert naming the labelled technique. */
  escalated_named: boolean;
}

/**
 * The crew's call on one dataset: its events go through the whole pipeline (store, detect with `sources`,
 * enrich, group, triage, journal) in a throw-away SQLite store, as a new user's shift would work them, with
 * the deterministic analyst (no model, no context). The store is deleted afterwards.
 */
export async function triageDataset(path: string, sources: DetectorSources, techniques: readonly string[]): Promise<TriageOutcome> {
  const home = await mkdtemp(join(tmpdir(), "nightshift-eval-detection-"));
  const env = { NIGHTSHIFT_HOME: home };
  const base = loadConfig(env);
  const app = await openApp({
    env,
    overrides: {
      home,
      detect: {
        ...base.detect,
        rules: sources.ruleDirs.filter((dir) => dir !== BUILTIN_RULES_DIR),
        builtin_rules: sources.ruleDirs.includes(BUILTIN_RULES_DIR),
        placeholders: sources.placeholders,
        logsources: sources.logsourceFiles,
      },
    },
  });
  try {
    const { db } = app.store;
    await importEventFiles(db, [path], { clock: app.clock });
    await runUntilIdle(db, { handlers: pipelineHandlers(app), clock: app.clock, onError: () => undefined });
    const rows = await db
      .selectFrom("alerts")
      .leftJoin("cases", "cases.id", "alerts.case_id")
      .select(["alerts.doc as doc", "alerts.case_id as case_id", "cases.escalated_at as escalated_at"])
      .execute();
    const cases = new Set<string>();
    const escalatedCases = new Set<string>();
    let named = false;
    for (const row of rows) {
      if (row.case_id === null) continue;
      cases.add(row.case_id);
      if (row.escalated_at === null || row.escalated_at === undefined) continue;
      escalatedCases.add(row.case_id);
      const doc = (typeof row.doc === "string" ? JSON.parse(row.doc) : row.doc) as { attack?: { techniques?: string[] } };
      const alertTechniques = doc.attack?.techniques ?? [];
      if (techniques.some((technique) => namesTechnique(technique, alertTechniques))) named = true;
    }
    return { cases: cases.size, escalated_cases: escalatedCases.size, escalated: escalatedCases.size > 0, escalated_named: named };
  } finally {
    await app.close();
    await rm(home, { recursive: true, force: true });
  }
}
