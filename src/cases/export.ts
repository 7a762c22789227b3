import { z } from "zod";
import { Actor, AttackTags, CaseStatus, Observable, Outcome, Priority, Severity, Verdict, type Case } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { normaliseTime, parseInput } from "./internal.js";
import { outcomeOf } from "./outcome.js";
import { hydrateCases } from "./rows.js";

/*
 * NDJSON export contracts: other tools score the crew with these lines, so field names are fixed.
 * Both exports stream in pages ordered by a stable key, so memory stays flat however big the store.
 */

export const AlertExportLine = z.object({
  id: z.string(),
  source_id: z.string().nullable(),
  source: z.object({ name: z.string(), file: z.string().nullable(), record: z.number().nullable() }),
  time: z.string(),
  received_at: z.string(),
  title: z.string(),
  severity: Severity,
  rule_id: z.string().nullable(),
  host: z.string().nullable(),
  user: z.string().nullable(),
  stage: z.string(),
  case_id: z.string().nullable(),
  case_status: CaseStatus.nullable(),
  case_verdict: Verdict.nullable(),
  case_crew_verdict: z.string().nullable(),
  outcome: Outcome,
  /** Further deliveries of exactly the same content collapsed into this alert. */
  duplicates: z.number().int(),
});
export type AlertExportLine = z.infer<typeof AlertExportLine>;

export const CaseExportLine = z.object({
  id: z.string(),
  title: z.string(),
  status: CaseStatus,
  verdict: Verdict.nullable(),
  verdict_rationale: z.string().nullable(),
  crew_verdict: z.string().nullable(),
  outcome: Outcome,
  priority: Priority.nullable(),
  severity: Severity,
  confidence: z.number().nullable(),
  assignee: Actor.nullable(),
  tags: z.array(z.string()),
  attack: AttackTags,
  alert_ids: z.array(z.string()),
  observables: z.array(Observable),
  created_at: z.string(),
  updated_at: z.string(),
  acknowledged_at: z.string().nullable(),
  escalated_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  closed_at: z.string().nullable(),
});
export type CaseExportLine = z.infer<typeof CaseExportLine>;

export const ExportOptions = z.object({
  /** Incremental export: only what changed at or after this ISO-8601 time. */
  since: z.iso.datetime({ offset: true, message: "an ISO-8601 time such as 2026-11-24T00:00:00Z" }).optional(),
  pageSize: z.number().int().min(1).max(10_000).default(500),
});
export type ExportOptions = z.input<typeof ExportOptions>;

/**
 * One line per alert with what became of it. With `since`: alerts received at or after it, or whose
 * case was updated at or after it. Ordered by received_at, then id.
 */
export async function* exportAlerts(db: Executor, options: ExportOptions = {}): AsyncGenerator<AlertExportLine> {
  for await (const page of exportAlertPages(db, options)) yield* page;
}

/** The lines of `exportAlerts`, a page at a time, for exports that load more per page (export-formats.ts). */
export async function* exportAlertPages(db: Executor, options: ExportOptions = {}): AsyncGenerator<AlertExportLine[]> {
  const { since, pageSize } = parseInput(ExportOptions, options, "export options");
  const from = since === undefined ? undefined : normaliseTime(since);
  let after: { received_at: string; id: string } | undefined;
  while (true) {
    let query = db
      .selectFrom("alerts")
      .leftJoin("cases", "cases.id", "alerts.case_id")
      .select([
        "alerts.id",
        "alerts.source_id",
        "alerts.source",
        "alerts.origin_file",
        "alerts.origin_record",
        "alerts.time",
        "alerts.received_at",
        "alerts.title",
        "alerts.severity",
        "alerts.rule_id",
        "alerts.host_name",
        "alerts.user_name",
        "alerts.stage",
        "alerts.duplicates",
        "cases.id as case_id",
        "cases.status as case_status",
        "cases.verdict as case_verdict",
        "cases.crew_verdict as case_crew_verdict",
        "cases.suppression_id as case_suppression_id",
      ])
      .orderBy("alerts.received_at")
      .orderBy("alerts.id")
      .limit(pageSize);
    if (from) query = query.where((eb) => eb.or([eb("alerts.received_at", ">=", from), eb("cases.updated_at", ">=", from)]));
    if (after) {
      const { received_at, id } = after;
      query = query.where((eb) =>
        eb.or([eb("alerts.received_at", ">", received_at), eb.and([eb("alerts.received_at", "=", received_at), eb("alerts.id", ">", id)])]),
      );
    }
    const rows = await query.execute();
    yield rows.map((row): AlertExportLine => {
      const status = row.case_status as CaseStatus | null;
      return {
        id: row.id,
        source_id: row.source_id,
        source: { name: row.source, file: row.origin_file, record: row.origin_record == null ? null : Number(row.origin_record) },
        time: row.time,
        received_at: row.received_at,
        title: row.title,
        severity: row.severity as Severity,
        rule_id: row.rule_id,
        host: row.host_name,
        user: row.user_name,
        stage: row.stage,
        case_id: row.case_id,
        case_status: status,
        case_verdict: row.case_verdict as Verdict | null,
        case_crew_verdict: row.case_crew_verdict,
        outcome: status ? outcomeOf(status, row.case_suppression_id) : "open",
        duplicates: Number(row.duplicates),
      };
    });
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = { received_at: last.received_at, id: last.id };
  }
}

export function caseExportLine(c: Case): CaseExportLine {
  return {
    id: c.id,
    title: c.title,
    status: c.status,
    verdict: c.verdict,
    verdict_rationale: c.verdict_rationale,
    crew_verdict: c.crew_verdict,
    outcome: c.outcome,
    priority: c.priority,
    severity: c.severity,
    confidence: c.confidence,
    assignee: c.assignee,
    tags: c.tags,
    attack: c.attack,
    alert_ids: c.alert_ids,
    observables: c.observables,
    created_at: c.created_at,
    updated_at: c.updated_at,
    acknowledged_at: c.acknowledged_at,
    escalated_at: c.escalated_at,
    resolved_at: c.resolved_at,
    closed_at: c.closed_at,
  };
}

/** One line per case. With `since`: cases updated at or after it. Ordered by created_at, then id. */
export async function* exportCases(db: Executor, options: ExportOptions = {}): AsyncGenerator<CaseExportLine> {
  for await (const page of exportCasePages(db, options)) yield* page.map(caseExportLine);
}

/** The cases of `exportCases`, a page at a time. */
export async function* exportCasePages(db: Executor, options: ExportOptions = {}): AsyncGenerator<Case[]> {
  const { since, pageSize } = parseInput(ExportOptions, options, "export options");
  const from = since === undefined ? undefined : normaliseTime(since);
  let after: { created_at: string; id: string } | undefined;
  while (true) {
    let query = db.selectFrom("cases").selectAll().orderBy("created_at").orderBy("id").limit(pageSize);
    if (from) query = query.where("updated_at", ">=", from);
    if (after) {
      const { created_at, id } = after;
      query = query.where((eb) => eb.or([eb("created_at", ">", created_at), eb.and([eb("created_at", "=", created_at), eb("id", ">", id)])]));
    }
    const rows = await query.execute();
    yield await hydrateCases(db, rows);
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = { created_at: last.created_at, id: last.id };
  }
}
