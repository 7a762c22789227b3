import { z } from "zod";
import {
  Alert,
  NotFoundError,
  formatCaseId,
  maxSeverity,
  type AttackTags,
  type Clock,
  type Severity,
} from "../core/index.js";
import { fromJson, nextCounter, toJson, type Executor } from "../store/index.js";
import { appendAudit, lockAuditChain } from "./audit.js";
import { inTransaction, normaliseTime, parseInput } from "./internal.js";
import { alertObservables } from "./observables.js";

export const GROUPING_ACTOR = { kind: "system", name: "grouping" } as const;
const OPEN_STATUSES = ["new", "in_progress", "on_hold"];

/** Alerts of the same rule on the same primary entity belong together. */
export function groupKeyOf(alert: Alert): string {
  const rule = alert.rule?.id || alert.title;
  const entity = alert.host?.name || alert.user?.name || alert.src?.ip || alert.dst?.domain || "-";
  return `${rule}|${entity}`.toLowerCase();
}

function tagsOf(alert: Alert): string[] {
  return [alert.source, alert.subtype].filter((t): t is string => !!t);
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function unionAttack(a: AttackTags, b: AttackTags): AttackTags {
  return { tactics: union(a.tactics, b.tactics), techniques: union(a.techniques, b.techniques) };
}

export const GroupingOptions = z.object({ windowMinutes: z.number().positive() });
export type GroupingOptions = z.input<typeof GroupingOptions>;

export interface AttachResult {
  caseId: string;
  created: boolean;
}

/**
 * Puts a stored alert into a case: the most recent open case with its group key whose last alert is
 * within the window (either side: alerts arrive out of order), else a new case. Idempotent.
 */
export async function attachAlert(ex: Executor, alert: Alert, options: GroupingOptions, clock: Clock): Promise<AttachResult> {
  const parsed = parseInput(Alert, alert, "alert");
  const { windowMinutes } = parseInput(GroupingOptions, options, "grouping options");
  return inTransaction(ex, async (trx) => {
    // Taken first: it serialises grouping on PostgreSQL, so two alerts never open two cases for one key.
    await lockAuditChain(trx);
    const stored = await trx.selectFrom("alerts").select(["id", "case_id"]).where("id", "=", parsed.id).executeTakeFirst();
    if (!stored) throw new NotFoundError(`alert ${parsed.id}`);
    if (stored.case_id) return { caseId: stored.case_id, created: false };

    const groupKey = groupKeyOf(parsed);
    const alertTime = normaliseTime(parsed.time);
    const windowMs = windowMinutes * 60_000;
    const at = Date.parse(alertTime);
    const now = clock.now().toISOString();
    const open = await trx
      .selectFrom("cases")
      .selectAll()
      .where("group_key", "=", groupKey)
      .where("status", "in", OPEN_STATUSES)
      .where("last_alert_at", ">=", new Date(at - windowMs).toISOString())
      .where("last_alert_at", "<=", new Date(at + windowMs).toISOString())
      .orderBy("last_alert_at", "desc")
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();

    let caseId: string;
    if (open) {
      caseId = open.id;
      const severity = maxSeverity(open.severity as Severity, parsed.severity);
      await trx
        .updateTable("cases")
        .set({
          severity,
          tags: toJson(union(fromJson<string[]>(open.tags, []), tagsOf(parsed))),
          attack: toJson(unionAttack(fromJson<AttackTags>(open.attack, { tactics: [], techniques: [] }), parsed.attack)),
          last_alert_at: alertTime > open.last_alert_at ? alertTime : open.last_alert_at,
          updated_at: now,
        })
        .where("id", "=", caseId)
        .execute();
      await linkAlert(trx, caseId, parsed);
      await appendAudit(
        trx,
        { actor: GROUPING_ACTOR, action: "case.alert_linked", caseId, data: { alert_id: parsed.id, severity: { from: open.severity, to: severity } } },
        clock,
      );
    } else {
      const day = now.slice(0, 10).replaceAll("-", "");
      const number = await nextCounter(trx, `case:${day}`);
      caseId = formatCaseId(day, number);
      await trx
        .insertInto("cases")
        .values({
          id: caseId,
          day,
          number,
          title: parsed.title,
          status: "new",
          verdict: null,
          verdict_rationale: null,
          crew_verdict: null,
          priority: null,
          severity: parsed.severity,
          confidence: null,
          assignee_kind: null,
          assignee_name: null,
          tags: toJson(tagsOf(parsed)),
          attack: toJson(unionAttack({ tactics: [], techniques: [] }, parsed.attack)),
          rule_id: parsed.rule?.id ?? null,
          group_key: groupKey,
          suppression_id: null,
          needs_human_verification: 0,
          created_at: now,
          updated_at: now,
          last_alert_at: alertTime,
          acknowledged_at: null,
          escalated_at: null,
          resolved_at: null,
          closed_at: null,
        })
        .execute();
      await linkAlert(trx, caseId, parsed);
      await appendAudit(
        trx,
        { actor: GROUPING_ACTOR, action: "case.created", caseId, data: { alert_id: parsed.id, group_key: groupKey, severity: parsed.severity } },
        clock,
      );
    }
    return { caseId, created: !open };
  });
}

async function linkAlert(trx: Executor, caseId: string, alert: Alert): Promise<void> {
  const rows = alertObservables(alert).map((o) => ({ case_id: caseId, alert_id: alert.id, type: o.type, value: o.value, role: o.role ?? null }));
  if (rows.length > 0)
    await trx
      .insertInto("observables")
      .values(rows)
      .onConflict((oc) => oc.columns(["alert_id", "type", "value"]).doNothing())
      .execute();
  await trx.updateTable("alerts").set({ case_id: caseId, stage: "grouped" }).where("id", "=", alert.id).execute();
}
