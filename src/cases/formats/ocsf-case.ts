import type { Actor, Case, CaseStatus, Priority, Verdict } from "../../core/index.js";
import { attacks, classification, compact, confidence, epochMs, metadata, observables, severity, type ActivityId } from "./ocsf.js";

/** What a case's export says of each of its alerts. */
export interface CaseAlertSummary {
  id: string;
  title: string;
  rule_id: string | null;
  time: string;
}

const STATUS_IDS: Record<CaseStatus, [number, string]> = {
  new: [1, "New"],
  in_progress: [2, "In Progress"],
  on_hold: [3, "On Hold"],
  resolved: [4, "Resolved"],
  closed: [5, "Closed"],
};

const PRIORITY_IDS: Record<Priority, [number, string]> = { P1: [4, "Critical"], P2: [3, "High"], P3: [2, "Medium"], P4: [1, "Low"] };

/** `undetermined` is the crew's "not enough to decide": OCSF's Insufficient Data. */
const VERDICT_IDS: Record<Verdict, [number, string]> = {
  false_positive: [1, "False Positive"],
  true_positive: [2, "True Positive"],
  benign_true_positive: [5, "Benign"],
  duplicate: [10, "Duplicate"],
  undetermined: [7, "Insufficient Data"],
};

/** Who holds the case. Unassigned cases sit in the crew's queue, OCSF's assignee_group. */
export const CREW_QUEUE = { name: "Nightshift crew", uid: "nightshift-crew" } as const;

function assignee(actor: Actor | null) {
  if (!actor) return { assignee_group: CREW_QUEUE };
  const user = actor.kind === "human" ? { name: actor.name, type_id: 1, type: "User" } : { name: actor.name, type_id: 99, type: actor.kind === "agent" ? "Agent" : "System" };
  return { assignee: user };
}

function activityOf(status: CaseStatus): ActivityId {
  if (status === "new") return 1;
  return status === "resolved" || status === "closed" ? 3 : 2;
}

/** One case as an OCSF 1.8 Incident Finding (class 2005), its alerts as finding_info_list. */
export function incidentFinding(c: Case, alerts: readonly CaseAlertSummary[]): Record<string, unknown> {
  const [status_id, status] = STATUS_IDS[c.status];
  const [priority_id, priority] = c.priority ? PRIORITY_IDS[c.priority] : [0, "Unknown"];
  const verdict = c.verdict ? VERDICT_IDS[c.verdict] : undefined;
  let start: number | undefined;
  let end: number | undefined;
  for (const a of alerts) {
    const t = epochMs(a.time);
    if (start === undefined || t < start) start = t;
    if (end === undefined || t > end) end = t;
  }
  const caseAttacks = attacks(c.attack);
  return compact({
    ...classification(2005, "Incident Finding", activityOf(c.status)),
    ...severity(c.severity),
    ...confidence(c.confidence),
    time: epochMs(c.created_at),
    start_time: start,
    end_time: end,
    message: c.title,
    desc: c.verdict_rationale ?? undefined,
    status_id,
    status,
    priority_id,
    priority,
    verdict_id: verdict?.[0],
    verdict: verdict?.[1],
    ...assignee(c.assignee),
    metadata: metadata(c.id, { profiles: ["incident"], modified_time: epochMs(c.updated_at) }),
    finding_info_list: alerts.map((a) =>
      compact({
        uid: a.id,
        title: a.title,
        created_time: epochMs(a.time),
        analytic: a.rule_id ? { uid: a.rule_id, type_id: 1, type: "Rule" } : undefined,
      }),
    ),
    attacks: caseAttacks.length ? caseAttacks : undefined,
    observables: observables(c.observables),
    unmapped: {
      nightshift: compact({
        crew_verdict: c.crew_verdict,
        outcome: c.outcome,
        tags: c.tags,
        needs_human_verification: c.needs_human_verification,
        acknowledged_at: c.acknowledged_at,
        escalated_at: c.escalated_at,
        resolved_at: c.resolved_at,
        closed_at: c.closed_at,
      }),
    },
  });
}
