import { severityRank, type Alert, type AttackTags, type Severity } from "../core/index.js";
import { fromJson, type CasesTable, type Executor } from "../store/index.js";

/** Verdicts that say a case held no attack: a repeat of its flood is the same nothing. */
const BENIGN_VERDICTS = ["false_positive", "benign_true_positive"];
const CLOSED_STATUSES = ["closed", "resolved"];

const iso = (ms: number) => new Date(ms).toISOString();

function closedBenign(c: Pick<CasesTable, "status" | "verdict">): boolean {
  return CLOSED_STATUSES.includes(c.status) && BENIGN_VERDICTS.includes(c.verdict ?? "");
}

/**
 * Whether an alert brings nothing its closed case did not already hold: no higher severity, and no ATT&CK
 * technique or tactic, and no subtype, the case did not carry. Anything new is a reason to look again.
 */
export function addsNothingTo(c: Pick<CasesTable, "severity" | "attack" | "tags">, alert: Alert): boolean {
  if (severityRank(alert.severity) > severityRank(c.severity as Severity)) return false;
  const attack = fromJson<AttackTags>(c.attack, { tactics: [], techniques: [] });
  const lower = (values: readonly string[]) => new Set(values.map((v) => v.trim().toLowerCase()));
  const tactics = lower(attack.tactics);
  const techniques = lower(attack.techniques);
  const tags = lower(fromJson<string[]>(c.tags, []));
  if (alert.attack.tactics.some((t) => !tactics.has(t.trim().toLowerCase()))) return false;
  if (alert.attack.techniques.some((t) => !techniques.has(t.trim().toLowerCase()))) return false;
  return !alert.subtype || tags.has(alert.subtype.trim().toLowerCase());
}

export interface RoutineWindows {
  /** `grouping.window_minutes`: a flood's alerts this close together are one flood. */
  windowMs: number;
  /** `grouping.routine_hours`: a rule that fired on the entity this recently is its routine. */
  routineMs: number;
}

/**
 * The closed case a repeat of benign noise joins (its status and verdict stay as judged; the join is audited).
 * Two SOC rules, each only for an alert that brings nothing new (`addsNothingTo`) and only when the latest
 * case that took its rule on its entity (same scope) was closed as benign:
 * 1. a repeat of a flood within the window is the same flood: it joins that case;
 * 2. a rule judged benign on the entity within the routine period is the entity's routine: it joins the
 *    entity's live benign case (one that took an alert within the window), else its own earlier case — a host's
 *    routine telemetry is one case, not one per rule and per quiet spell.
 * A rule never judged on the entity, or last judged an attack, opens a case and is triaged.
 */
export async function closedRoutineFor(trx: Executor, groupKey: string, entityKey: string | null, alert: Alert, at: number, w: RoutineWindows): Promise<CasesTable | undefined> {
  const reach = Math.max(w.windowMs, w.routineMs);
  const latest = await trx
    .selectFrom("case_keys")
    .innerJoin("cases", "cases.id", "case_keys.case_id")
    .selectAll("cases")
    .select("case_keys.last_alert_at as key_last_alert_at")
    .where("case_keys.group_key", "=", groupKey)
    .where("case_keys.last_alert_at", ">=", iso(at - reach))
    .where("case_keys.last_alert_at", "<=", iso(at + w.windowMs))
    .orderBy("case_keys.last_alert_at", "desc")
    .orderBy("cases.created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!latest || !closedBenign(latest)) return undefined;
  const { key_last_alert_at: keyLast, ...own } = latest;
  if (Math.abs(Date.parse(keyLast) - at) <= w.windowMs) return addsNothingTo(own, alert) ? own : undefined;
  if (entityKey !== null) {
    const live = await trx
      .selectFrom("cases")
      .selectAll()
      .where("entity_key", "=", entityKey)
      .where("status", "in", CLOSED_STATUSES)
      .where("verdict", "in", BENIGN_VERDICTS)
      .where("last_alert_at", ">=", iso(at - w.windowMs))
      .where("last_alert_at", "<=", iso(at + w.windowMs))
      .orderBy("last_alert_at", "desc")
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();
    if (live && addsNothingTo(live, alert)) return live;
  }
  return addsNothingTo(own, alert) ? own : undefined;
}
