import type { Alert, CaseStatus, Outcome, Verdict } from "../../core/index.js";
import { alertObservables } from "../observables.js";
import { attacks, classification, compact, confidence, epochMs, metadata, observables, severity, type ActivityId } from "./ocsf.js";

/** What became of the alert: its case, if grouped, and the outcome the NDJSON export also reports. */
export interface AlertCaseState {
  case_id: string | null;
  case_status: CaseStatus | null;
  case_verdict: Verdict | null;
  outcome: Outcome;
  stage: string;
  duplicates: number;
}

/** Finding lifecycle (activity) from the case: none or new → Create, being worked → Update, done → Close. */
function activityOf(status: CaseStatus | null): ActivityId {
  if (status === "resolved" || status === "closed") return 3;
  if (status === "in_progress" || status === "on_hold") return 2;
  return 1;
}

/** Finding status_id: New, In Progress, Suppressed (closed as benign or false positive, or by a suppression), Resolved. */
function statusOf(state: AlertCaseState): [number, string] {
  if (state.outcome === "suppressed") return [3, "Suppressed"];
  if (state.case_status === "resolved" || state.case_status === "closed") {
    return state.case_verdict === "false_positive" || state.case_verdict === "benign_true_positive" ? [3, "Suppressed"] : [4, "Resolved"];
  }
  if (state.case_status === "in_progress" || state.case_status === "on_hold") return [2, "In Progress"];
  return [1, "New"];
}

/** One alert as an OCSF 1.8 Detection Finding (class 2004). */
export function detectionFinding(alert: Alert, state: AlertCaseState): Record<string, unknown> {
  const [status_id, status] = statusOf(state);
  const time = epochMs(alert.time);
  const findingAttacks = attacks(alert.attack);
  const analytic = alert.rule ? compact({ uid: alert.rule.id, name: alert.rule.title, type_id: 1, type: "Rule" }) : undefined;
  const device = alert.host?.name || alert.host?.ip.length
    ? compact({ hostname: alert.host.name, name: alert.host.name, ip: alert.host.ip[0], type_id: 0, type: "Unknown" })
    : undefined;
  return compact({
    ...classification(2004, "Detection Finding", activityOf(state.case_status)),
    ...severity(alert.severity),
    ...confidence(alert.confidence),
    time,
    message: alert.title,
    status_id,
    status,
    is_alert: true,
    count: state.duplicates + 1,
    metadata: compact(
      metadata(alert.id, { logged_time: epochMs(alert.received_at), log_name: alert.source, correlation_uid: state.case_id ?? undefined }),
    ),
    finding_info: compact({
      uid: alert.id,
      title: alert.title,
      desc: alert.description,
      created_time: time,
      analytic,
      attacks: findingAttacks.length ? findingAttacks : undefined,
      types: alert.subtype ? [alert.subtype] : undefined,
      product: { name: alert.rule?.source ?? alert.source },
    }),
    device,
    observables: observables(alertObservables(alert)),
    unmapped: {
      nightshift: compact({
        source: alert.source,
        source_id: alert.source_id,
        case_id: state.case_id,
        case_status: state.case_status,
        case_verdict: state.case_verdict,
        outcome: state.outcome,
        stage: state.stage,
        priority: alert.priority,
      }),
    },
  });
}
