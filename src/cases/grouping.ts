import { sql } from "kysely";
import { z } from "zod";
import {
  Alert,
  NotFoundError,
  formatCaseId,
  hasBenignPrecedent,
  maxSeverity,
  type Enrichment,
  type AttackTags,
  type Clock,
  type Severity,
} from "../core/index.js";
import { fromJson, nextCounter, toJson, type CasesTable, type Executor } from "../store/index.js";
import { appendAudit, lockAuditChain } from "./audit.js";
import { inTransaction, normaliseTime, parseInput } from "./internal.js";
import { continuesKillChain } from "./kill-chain.js";
import { alertObservables } from "./observables.js";
import { closedRoutineFor } from "./recurrence.js";

export const GROUPING_ACTOR = { kind: "system", name: "grouping" } as const;
const OPEN_STATUSES = ["new", "in_progress", "on_hold"];

/** Sources whose alerts may share cases: a declared cross-source key (`grouping.cross_source`). */
export const CrossSourceGroup = z
  .object({
    name: z.string().trim().min(1, "a cross-source group needs a name"),
    sources: z.array(z.string().trim().min(1)).min(2, "a cross-source group joins at least two sources"),
  })
  .strict();

export const GroupingOptions = z
  .object({
    /** An alert joins an open case that took alerts of the same rule on the same entity within this window. */
    windowMinutes: z.number().positive(),
    /** An alert of another rule joins an open incident on the same entity whose last alert is this close. */
    incidentMinutes: z.number().min(0).default(60),
    /** ...when the incident began at most this long before (a long-running stream of noise is not joined), or
     * when the alert continues the incident's kill chain. */
    incidentSpanMinutes: z.number().min(0).default(120),
    /** A rule that already fired on the entity this many hours before is its routine, not a step of a new incident. */
    routineHours: z.number().min(0).default(24),
    crossSource: z.array(CrossSourceGroup).default([]),
  })
  .superRefine((options, ctx) => {
    const seen = new Map<string, string>();
    options.crossSource.forEach((group, index) => {
      for (const source of group.sources) {
        const key = source.toLowerCase();
        const other = seen.get(key);
        if (other !== undefined)
          ctx.addIssue({ code: "custom", path: ["crossSource", index, "sources"], message: `source "${source}" is already in cross-source group "${other}"` });
        seen.set(key, group.name);
      }
    });
  });
export type GroupingOptions = z.input<typeof GroupingOptions>;
type Grouping = z.output<typeof GroupingOptions>;

/**
 * Whose alerts may share a case: one source delivered by one authenticated sender, or a declared
 * cross-source group. Never a bare rule id: two products may both have a `rule-3`.
 */
export function groupScopeOf(alert: Alert, crossSource: Grouping["crossSource"] = []): [string, string, string | null] {
  const source = alert.source.toLowerCase();
  const group = crossSource.find((g) => g.sources.some((s) => s.toLowerCase() === source));
  if (group) return ["group", group.name.toLowerCase(), null];
  return ["source", source, alert.origin.sender ?? null];
}

/** The primary entity an alert is about: its host, else its user, else its source address, else its domain. */
export function primaryEntityOf(alert: Alert): string | null {
  if (alert.host?.name) return `host:${alert.host.name.toLowerCase()}`;
  if (alert.user?.name) return `user:${alert.user.name.toLowerCase()}`;
  if (alert.src?.ip) return `ip:${alert.src.ip.toLowerCase()}`;
  if (alert.dst?.domain) return `domain:${alert.dst.domain.toLowerCase()}`;
  return null;
}

/**
 * Alerts of the same rule on the same primary entity, within one scope, belong together. JSON framing:
 * no source, rule or host name can forge another key.
 */
export function groupKeyOf(alert: Alert, crossSource: Grouping["crossSource"] = []): string {
  const rule = (alert.rule?.id || alert.title).toLowerCase();
  return JSON.stringify([...groupScopeOf(alert, crossSource), rule, primaryEntityOf(alert) ?? "-"]);
}

/** The entity an incident is about, within one scope; null when the alert names none. */
export function entityKeyOf(alert: Alert, crossSource: Grouping["crossSource"] = []): string | null {
  const entity = primaryEntityOf(alert);
  return entity === null ? null : JSON.stringify([...groupScopeOf(alert, crossSource), entity]);
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

const iso = (ms: number) => new Date(ms).toISOString();

export interface AttachResult {
  caseId: string;
  created: boolean;
  /**
   * How the alert joined: `rule` (same rule and entity), `incident` (another rule on the entity), `recurrence`
   * (a repeat of noise closed as benign, bringing nothing new: the case stays closed; recurrence.ts — never for an alert a suppression in force covers, which is decided afresh so its closure cites the suppression), `new`.
   */
  joined: "rule" | "incident" | "recurrence" | "new";
}

/** The open case that took alerts under this group key within the window (either side: alerts arrive out of order). */
async function caseForKey(trx: Executor, groupKey: string, at: number, windowMs: number): Promise<CasesTable | undefined> {
  return trx
    .selectFrom("case_keys")
    .innerJoin("cases", "cases.id", "case_keys.case_id")
    .selectAll("cases")
    .where("case_keys.group_key", "=", groupKey)
    .where("cases.status", "in", OPEN_STATUSES)
    .where("case_keys.last_alert_at", ">=", iso(at - windowMs))
    .where("case_keys.last_alert_at", "<=", iso(at + windowMs))
    .orderBy("case_keys.last_alert_at", "desc")
    .orderBy("cases.created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}

/**
 * An open incident on the alert's entity that it continues: its last alert is within the incident gap,
 * and either the alert carries the next steps of its kill chain, or the incident began recently (a burst of
 * different rules on one host is one attack) and the alert's rule is not the entity's routine (it did not
 * fire on the entity in the `routineHours` before the incident began). A case that has been taking the same
 * noise for hours is not joined, and routine noise does not join an attack.
 */
async function incidentFor(trx: Executor, entityKey: string, groupKey: string, alert: Alert, at: number, options: Grouping, judgedBenign: boolean): Promise<CasesTable | undefined> {
  const gapMs = options.incidentMinutes * 60_000;
  const spanMs = options.incidentSpanMinutes * 60_000;
  const candidates = await trx
    .selectFrom("cases")
    .selectAll()
    .where("entity_key", "=", entityKey)
    .where("status", "in", OPEN_STATUSES)
    .where("last_alert_at", ">=", iso(at - gapMs))
    .where("first_alert_at", "<=", iso(at + gapMs))
    .orderBy("last_alert_at", "desc")
    .orderBy("created_at", "desc")
    .limit(20)
    .execute();
  if (!candidates.length) return undefined;
  const continues = (c: CasesTable) => continuesKillChain(fromJson<AttackTags>(c.attack, { tactics: [], techniques: [] }).tactics, alert.attack.tactics);
  const routineMs = options.routineHours * 3_600_000;
  for (const c of candidates) {
    if (continues(c)) return c;
    // Telemetry analysts consistently judged benign is routine: it neither joins an incident as one of its
    // steps nor anchors one (a burst of a host's known noise is not an attack, and an attack must not be
    // filed under it).
    if (judgedBenign || (await anchoredByPrecedent(trx, c.id))) continue;
    const began = Date.parse(c.first_alert_at ?? c.last_alert_at);
    if (Math.abs(at - began) > spanMs) continue;
    // Routine: the alert's rule fired on this entity before the incident began, or the incident was
    // opened by its entity's routine. Neither is a step of an attack.
    if (await firedBefore(trx, groupKey, Math.min(at, began), routineMs)) continue;
    if (await firedBefore(trx, c.group_key, began, routineMs, c.id)) continue;
    return c;
  }
  return undefined;
}

/** Whether a case's first alert came with a benign analyst precedent (core/precedent.ts). */
async function anchoredByPrecedent(trx: Executor, caseId: string): Promise<boolean> {
  const first = await trx.selectFrom("alerts").select("enrichment").where("case_id", "=", caseId).orderBy("time").orderBy("id").limit(1).executeTakeFirst();
  return hasBenignPrecedent(fromJson<Enrichment | null>(first?.enrichment ?? null, null)?.precedent);
}

/** Whether alerts of this group key were seen in the `windowMs` before `beforeMs` (in another case than `exceptCase`). */
async function firedBefore(trx: Executor, groupKey: string, beforeMs: number, windowMs: number, exceptCase?: string): Promise<boolean> {
  let query = trx
    .selectFrom("case_keys")
    .select("case_id")
    .where("group_key", "=", groupKey)
    .where("last_alert_at", "<", iso(beforeMs))
    .where("last_alert_at", ">=", iso(beforeMs - windowMs));
  if (exceptCase !== undefined) query = query.where("case_id", "!=", exceptCase);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

async function rememberKey(trx: Executor, groupKey: string, caseId: string, alertTime: string): Promise<void> {
  await trx
    .insertInto("case_keys")
    .values({ group_key: groupKey, case_id: caseId, last_alert_at: alertTime })
    .onConflict((oc) =>
      oc.columns(["group_key", "case_id"]).doUpdateSet({
        // The later of the two, written so that SQLite and PostgreSQL read it alike.
        last_alert_at: sql<string>`case when excluded.last_alert_at > case_keys.last_alert_at then excluded.last_alert_at else case_keys.last_alert_at end`,
      }),
    )
    .execute();
}

/**
 * Puts a stored alert into a case: the open case that took the same rule on the same entity within the
 * window (a flood is one case), else an open incident on the same entity that the alert continues (a
 * multi-step attack is one case), else a new case. Always within one scope (`groupScopeOf`). Idempotent.
 */
export async function attachAlert(ex: Executor, alert: Alert, options: GroupingOptions, clock: Clock): Promise<AttachResult> {
  const parsed = parseInput(Alert, alert, "alert");
  const grouping = parseInput(GroupingOptions, options, "grouping options");
  return inTransaction(ex, async (trx) => {
    // Taken first: it serialises grouping on PostgreSQL, so two alerts never open two cases for one key.
    await lockAuditChain(trx);
    const stored = await trx.selectFrom("alerts").select(["id", "case_id", "enrichment"]).where("id", "=", parsed.id).executeTakeFirst();
    if (!stored) throw new NotFoundError(`alert ${parsed.id}`);
    if (stored.case_id) return { caseId: stored.case_id, created: false, joined: "rule" as const };

    const groupKey = groupKeyOf(parsed, grouping.crossSource);
    const entityKey = entityKeyOf(parsed, grouping.crossSource);
    const alertTime = normaliseTime(parsed.time);
    const at = Date.parse(alertTime);
    const now = clock.now().toISOString();
    let joined: AttachResult["joined"] = "rule";
    const enrichment = fromJson<Enrichment | null>(stored.enrichment, null);
    let open = await caseForKey(trx, groupKey, at, grouping.windowMinutes * 60_000);
    if (!open && entityKey !== null) {
      open = await incidentFor(trx, entityKey, groupKey, parsed, at, grouping, hasBenignPrecedent(enrichment?.precedent));
      joined = "incident";
    }
    // An alert a suppression in force covers is decided afresh, so its closure cites the suppression (and the
    // people who accepted it), rather than being filed silently under an earlier benign verdict.
    if (!open && !enrichment?.history?.suppression_match?.in_force) {
      open = await closedRoutineFor(trx, groupKey, entityKey, parsed, at, { windowMs: grouping.windowMinutes * 60_000, routineMs: grouping.routineHours * 3_600_000 });
      joined = "recurrence";
    }

    let caseId: string;
    if (open) {
      caseId = open.id;
      const severity = maxSeverity(open.severity as Severity, parsed.severity);
      const first = open.first_alert_at ?? open.last_alert_at;
      await trx
        .updateTable("cases")
        .set({
          severity,
          tags: toJson(union(fromJson<string[]>(open.tags, []), tagsOf(parsed))),
          attack: toJson(unionAttack(fromJson<AttackTags>(open.attack, { tactics: [], techniques: [] }), parsed.attack)),
          last_alert_at: alertTime > open.last_alert_at ? alertTime : open.last_alert_at,
          first_alert_at: alertTime < first ? alertTime : first,
          updated_at: now,
        })
        .where("id", "=", caseId)
        .execute();
      await rememberKey(trx, groupKey, caseId, alertTime);
      await linkAlert(trx, caseId, parsed);
      const data: Record<string, unknown> = { alert_id: parsed.id, severity: { from: open.severity, to: severity } };
      if (joined !== "rule") data.group_key = groupKey;
      if (joined === "recurrence") data.recurrence = { status: open.status, verdict: open.verdict };
      await appendAudit(trx, { actor: GROUPING_ACTOR, action: "case.alert_linked", caseId, data }, clock);
    } else {
      joined = "new";
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
          entity_key: entityKey,
          suppression_id: null,
          needs_human_verification: 0,
          created_at: now,
          updated_at: now,
          first_alert_at: alertTime,
          last_alert_at: alertTime,
          acknowledged_at: null,
          escalated_at: null,
          resolved_at: null,
          closed_at: null,
        })
        .execute();
      await rememberKey(trx, groupKey, caseId, alertTime);
      await linkAlert(trx, caseId, parsed);
      await appendAudit(
        trx,
        { actor: GROUPING_ACTOR, action: "case.created", caseId, data: { alert_id: parsed.id, group_key: groupKey, severity: parsed.severity, title: parsed.title } },
        clock,
      );
    }
    return { caseId, created: joined === "new", joined };
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
