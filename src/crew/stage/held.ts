import type { AgentName } from "../../core/index.js";
import { getCase } from "../../cases/index.js";
import type { Executor } from "../../store/index.js";
import { SOC_QUEUE } from "../guardrails/decision.js";

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
