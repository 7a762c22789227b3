import { sql } from "kysely";
import { AttackTags, type Actor, type Case, type CaseStatus, type Observable, type Priority, type Severity, type Verdict } from "../core/index.js";
import { fromJson, type CasesTable, type Executor } from "../store/index.js";
import { outcomeOf } from "./outcome.js";

/** Reads the cases table's text and integer columns back into the Case schema. */
export function rowToCase(row: CasesTable, alertIds: string[], observables: Observable[]): Case {
  const status = row.status as CaseStatus;
  return {
    schema_version: 1,
    id: row.id,
    title: row.title,
    status,
    verdict: row.verdict as Verdict | null,
    verdict_rationale: row.verdict_rationale,
    crew_verdict: row.crew_verdict,
    outcome: outcomeOf(status, row.suppression_id),
    priority: row.priority as Priority | null,
    severity: row.severity as Severity,
    confidence: row.confidence == null ? null : Number(row.confidence),
    assignee: row.assignee_kind && row.assignee_name ? { kind: row.assignee_kind as Actor["kind"], name: row.assignee_name } : null,
    tags: fromJson<string[]>(row.tags, []),
    // Canonical tactic names with their ids, whatever the alerts' sources wrote (rows stored before included).
    attack: AttackTags.parse(fromJson<unknown>(row.attack, {})),
    observables,
    alert_ids: alertIds,
    rule_id: row.rule_id,
    group_key: row.group_key,
    suppression_id: row.suppression_id,
    needs_human_verification: Number(row.needs_human_verification) === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    acknowledged_at: row.acknowledged_at,
    escalated_at: row.escalated_at,
    resolved_at: row.resolved_at,
    closed_at: row.closed_at,
  };
}

/** Alert ids per case, oldest alert first. */
export async function alertIdsByCase(ex: Executor, caseIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(caseIds.map((id) => [id, []]));
  if (caseIds.length === 0) return out;
  const rows = await ex
    .selectFrom("alerts")
    .select(["id", "case_id"])
    .where("case_id", "in", caseIds)
    .orderBy("time")
    .orderBy("id")
    .execute();
  for (const row of rows) out.get(row.case_id!)?.push(row.id);
  return out;
}

/** Distinct observables per case (one row per type and value, whichever alert carried it). */
export async function observablesByCase(ex: Executor, caseIds: string[]): Promise<Map<string, Observable[]>> {
  const out = new Map<string, Observable[]>(caseIds.map((id) => [id, []]));
  if (caseIds.length === 0) return out;
  const rows = await ex
    .selectFrom("observables")
    .select(["case_id", "type", "value", sql<string | null>`min(role)`.as("role")])
    .where("case_id", "in", caseIds)
    .groupBy(["case_id", "type", "value"])
    .orderBy("type")
    .orderBy("value")
    .execute();
  for (const row of rows) {
    const observable: Observable = { type: row.type as Observable["type"], value: row.value };
    if (row.role) observable.role = row.role as NonNullable<Observable["role"]>;
    out.get(row.case_id)?.push(observable);
  }
  return out;
}

export async function hydrateCases(ex: Executor, rows: CasesTable[]): Promise<Case[]> {
  const ids = rows.map((r) => r.id);
  const alertIds = await alertIdsByCase(ex, ids);
  const observables = await observablesByCase(ex, ids);
  return rows.map((row) => rowToCase(row, alertIds.get(row.id) ?? [], observables.get(row.id) ?? []));
}

export async function loadCaseRow(ex: Executor, caseId: string): Promise<CasesTable | undefined> {
  return ex.selectFrom("cases").selectAll().where("id", "=", caseId).executeTakeFirst();
}
