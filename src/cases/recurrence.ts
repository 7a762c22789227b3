import { severityRank, type Alert, type AttackTags, type Severity } from "../core/index.js";
import { fromJson, type CasesTable, type Executor } from "../store/index.js";

/** Verdicts that say a case held no attack: a repeat of its flood is the same nothing. */
const BENIGN_VERDICTS = ["false_positive", "benign_true_positive"];
const CLOSED_STATUSES = ["closed", "resolved"];

const iso = (ms: number) => new Date(ms).toISOString();

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

/**
 * A flood that was judged benign and closed: the latest case that took alerts of this group key (same scope,
 * rule and entity) within the window, when it is closed with a benign verdict. SOC rule: a repeat of a flood already judged
 * benign, bringing nothing new (`addsNothingTo`), is the same flood — it joins that case, counted and audited,
 * instead of opening a new case for the same noise; a repeat that brings anything new opens a case.
 */
export async function closedFloodFor(trx: Executor, groupKey: string, alert: Alert, at: number, windowMs: number): Promise<CasesTable | undefined> {
  const closed = await trx
    .selectFrom("case_keys")
    .innerJoin("cases", "cases.id", "case_keys.case_id")
    .selectAll("cases")
    .where("case_keys.group_key", "=", groupKey)
    .where("case_keys.last_alert_at", ">=", iso(at - windowMs))
    .where("case_keys.last_alert_at", "<=", iso(at + windowMs))
    .orderBy("case_keys.last_alert_at", "desc")
    .orderBy("cases.created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!closed || !CLOSED_STATUSES.includes(closed.status) || !BENIGN_VERDICTS.includes(closed.verdict ?? "")) return undefined;
  return addsNothingTo(closed, alert) ? closed : undefined;
}
