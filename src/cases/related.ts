import type { Executor } from "../store/index.js";

/**
 * Lookups of what is like a case, each reading an index (migration 0013) so its cost follows the matches, not
 * the history: the alerts of other cases naming an entity, and the cases of a rule around a time.
 */

/**
 * The most recent alerts (at most `limit`) of cases other than `caseId` carrying an observable whose value is
 * one of `values` (lower-case), one row per alert and observable. Reads `observables (lower(value))`.
 */
export function relatedAlertRows(ex: Executor, caseId: string, values: string[], limit = 500) {
  return ex
    .selectFrom("observables")
    .innerJoin("alerts", "alerts.id", "observables.alert_id")
    .select(["alerts.id as alert_id", "alerts.case_id", "alerts.time", "alerts.title", "alerts.severity", "alerts.host_name", "alerts.user_name", "observables.type", "observables.value"])
    .where("observables.case_id", "!=", caseId)
    .where((eb) => eb(eb.fn("lower", ["observables.value"]), "in", values))
    .orderBy("alerts.time", "desc")
    .limit(limit);
}

/** Cases of `ruleId` other than `caseId` created in [from, to], most recent first. Reads `cases (rule_id, created_at)`. */
export function sameRuleCaseIds(ex: Executor, ruleId: string, caseId: string, from: string, to: string, limit = 100) {
  return ex
    .selectFrom("cases")
    .select("id")
    .where("rule_id", "=", ruleId)
    .where("id", "<>", caseId)
    .where("created_at", ">=", from)
    .where("created_at", "<=", to)
    .orderBy("created_at", "desc")
    .limit(limit);
}
