import { z } from "zod";
import type { Alert } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { exportAlertPages, exportCasePages, exportAlerts, exportCases, type ExportOptions } from "./export.js";
import { ecsAlert, ecsCase } from "./formats/ecs.js";
import { detectionFinding } from "./formats/ocsf-alert.js";
import { incidentFinding, type CaseAlertSummary } from "./formats/ocsf-case.js";

/**
 * The formats `alerts export` and `cases export` write, one JSON document per line:
 * `ndjson` the scoring contract of export.ts (default), `ocsf` OCSF 1.8 Detection Finding (alerts) and
 * Incident Finding (cases), `ecs` Elastic Common Schema documents. Same order, paging and `since` in each.
 */
export const EXPORT_FORMATS = ["ndjson", "ocsf", "ecs"] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

export async function* exportAlertsAs(db: Executor, format: ExportFormat, options: ExportOptions = {}): AsyncGenerator<unknown> {
  if (format === "ndjson") return yield* exportAlerts(db, options);
  const toRecord = format === "ocsf" ? detectionFinding : ecsAlert;
  for await (const page of exportAlertPages(db, options)) {
    if (!page.length) continue;
    const rows = await db.selectFrom("alerts").select(["id", "doc"]).where("id", "in", page.map((l) => l.id)).execute();
    const docs = new Map(rows.map((r) => [r.id, r.doc]));
    for (const line of page) {
      const alert = fromJson<Alert | null>(docs.get(line.id) ?? null, null);
      if (!alert) continue;
      yield toRecord(alert, line);
    }
  }
}

export async function* exportCasesAs(db: Executor, format: ExportFormat, options: ExportOptions = {}): AsyncGenerator<unknown> {
  if (format === "ndjson") return yield* exportCases(db, options);
  const toRecord = format === "ocsf" ? incidentFinding : ecsCase;
  for await (const page of exportCasePages(db, options)) {
    if (!page.length) continue;
    const rows = await db
      .selectFrom("alerts")
      .select(["id", "title", "rule_id", "time", "case_id"])
      .where("case_id", "in", page.map((c) => c.id))
      .orderBy("time")
      .orderBy("id")
      .execute();
    const byCase = new Map<string, CaseAlertSummary[]>();
    for (const row of rows) {
      const list = byCase.get(row.case_id!) ?? [];
      list.push({ id: row.id, title: row.title, rule_id: row.rule_id, time: row.time });
      byCase.set(row.case_id!, list);
    }
    for (const c of page) yield toRecord(c, byCase.get(c.id) ?? []);
  }
}
