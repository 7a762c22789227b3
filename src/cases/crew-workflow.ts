import type { Actor, AgentName, Case, CaseStatus } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { getCase } from "./service.js";

/**
 * The case workflow of the crew: what each crew verdict does to a case, and who may move a case the crew
 * works. The crew decides; how a decision moves the case is the case domain's.
 */
export const TORA_ACTOR: Actor = { kind: "agent", name: "TORA" };
export const VERA_ACTOR: Actor = { kind: "agent", name: "VERA" };
export const ARIA_ACTOR: Actor = { kind: "agent", name: "ARIA" };
export const SOC_QUEUE: Actor = { kind: "human", name: "soc-queue" };

export interface CaseTransitionPlan {
  to: CaseStatus;
  assignee: Actor | null;
  needsHumanVerification: boolean;
}

/**
 * What each crew verdict does to the case. Nothing a crew member decides can leave a case closed
 * without a verdict, and a human-verification hold is never a closure.
 */
export const CREW_TRANSITIONS = {
  TORA: {
    CLOSED: { to: "closed", assignee: null, needsHumanVerification: false },
    ESCALATED: { to: "in_progress", assignee: VERA_ACTOR, needsHumanVerification: false },
    INSUFFICIENT_CONTEXT: { to: "on_hold", assignee: SOC_QUEUE, needsHumanVerification: false },
  },
  VERA: {
    CLOSED: { to: "closed", assignee: null, needsHumanVerification: false },
    ESCALATE_TO_ARIA: { to: "in_progress", assignee: ARIA_ACTOR, needsHumanVerification: false },
    HOLD: { to: "on_hold", assignee: SOC_QUEUE, needsHumanVerification: true },
  },
} as const satisfies Record<string, Record<string, CaseTransitionPlan>>;

export function transitionFor<A extends keyof typeof CREW_TRANSITIONS>(agent: A, verdict: keyof (typeof CREW_TRANSITIONS)[A]): CaseTransitionPlan {
  return CREW_TRANSITIONS[agent][verdict] as CaseTransitionPlan;
}

/**
 * Whether a failed crew run may put the case on hold for the SOC queue: a case still new, or in progress
 * and not taken by a human (soc-queue is no one yet). A case a human works keeps its status.
 */
export function crewMayHold(current: Case): boolean {
  const humanHasIt = current.assignee?.kind === "human" && current.assignee.name !== SOC_QUEUE.name;
  return current.status === "new" || (current.status === "in_progress" && !humanHasIt);
}

/**
 * A case the crew itself put on hold for the SOC queue (a failed model run): still on_hold, still with
 * soc-queue, and the last move was the agent's. A later successful run of that agent may move it; a case a
 * human moved or reassigned since is the human's.
 */
export async function heldByCrew(ex: Executor, caseId: string, agent: AgentName): Promise<boolean> {
  const current = await getCase(ex, caseId);
  if (!current || current.status !== "on_hold") return false;
  if (current.assignee?.kind !== SOC_QUEUE.kind || current.assignee.name !== SOC_QUEUE.name) return false;
  const last = await ex
    .selectFrom("audit_events")
    .select(["actor_kind", "actor_name"])
    .where("case_id", "=", caseId)
    .where("action", "in", ["case.transition", "case.assigned"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return last?.actor_kind === "agent" && last.actor_name === agent;
}
