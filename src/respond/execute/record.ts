import type { Actor, Clock } from "../../core/index.js";
import { addComment, appendAudit, lockAuditChain } from "../../cases/index.js";
import { inTransaction, toJson, type Executor } from "../../store/index.js";
import { ACTIONS } from "../actions/index.js";
import { getAction, type ActionOutcome, type ActionStatus, type ResponseAction } from "../approvals/index.js";
import type { ConnectorResult } from "../connectors/index.js";

const STATUS_OF: Record<ConnectorResult["status"], ActionStatus> = {
  succeeded: "executed",
  failed: "failed",
  in_progress: "in_progress",
  awaiting_confirmation: "awaiting_confirmation",
};

export const RESPONSE_ACTOR: Actor = { kind: "agent", name: "ARIA" };

/** The case comment for an outcome (Markdown; the values are quoted as code, never as links or markup). */
export function outcomeComment(action: ResponseAction, outcome: ActionOutcome): string {
  // Vendor messages can echo alert content: one line, no backticks, so a value never leaves its code span.
  const code = (v: string) => `\`${v.replace(/`/g, "'").replace(/\s+/g, " ").slice(0, 500)}\``;
  const lines = [
    `**Response action ${outcome.status.replace("_", " ")}**: ${code(action.action)} on ${code(action.target)} via ${code(outcome.connector)}`,
    `- action taken: ${code(outcome.action_taken)}`,
    `- policy: ${action.policy.decision} (rule ${code(action.policy.rule)})${action.approvals.length ? `; approved by ${action.approvals.filter((v) => v.decision === "approve").map((v) => v.approver).join(", ")}` : ""}`,
  ];
  if (outcome.remote_ref) lines.push(`- reference: ${code(outcome.remote_ref)}`);
  if (outcome.error) lines.push(`- error: ${code(outcome.error)}`);
  if (outcome.rollback_available) lines.push(`- rollback available: ${code(outcome.rollback_available)} (\`nightshift approvals rollback ${action.id}\`)`);
  lines.push(`- action id: ${code(action.id)}`);
  return lines.join("\n");
}

/**
 * Writes an attempt's outcome, in one transaction: the action's status and outcome, the audit event
 * (`response.executed`, `response.failed`, `response.in_progress`, `response.awaiting_confirmation`) and a
 * comment on the case. `attempt` must still be the action's current attempt (else another worker took it
 * over and its outcome counts): returns null then.
 */
export async function recordOutcome(ex: Executor, id: string, attempt: number | null, connector: string, result: ConnectorResult, clock: Clock, actor: Actor = RESPONSE_ACTOR): Promise<ResponseAction | null> {
  const work = async (trx: Executor) => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    if (attempt !== null && (current.status !== "executing" || current.attempts !== attempt)) return null;
    const status = STATUS_OF[result.status];
    const rollback = ACTIONS[current.action].rollback;
    const outcome: ActionOutcome = {
      action_taken: result.action_taken,
      status: result.status,
      connector,
      remote_ref: result.remote_ref,
      error: result.error ?? null,
      rollback_available: result.status === "succeeded" || result.status === "in_progress" ? rollback : null,
      detail: result.detail ?? {},
    };
    const at = clock.now().toISOString();
    const done = status === "executed" || status === "failed";
    await trx
      .updateTable("response_actions")
      .set({ status, outcome: toJson(outcome), remote_ref: result.remote_ref, error: outcome.error, lease_until: null, updated_at: at, finished_at: done ? at : null })
      .where("id", "=", id)
      .execute();
    await appendAudit(
      trx,
      { actor, action: `response.${status}`, caseId: current.case_id, data: { action_id: id, action: current.action, args_hash: current.args_hash, connector, remote_ref: result.remote_ref, error: outcome.error, rollback_available: outcome.rollback_available } },
      clock,
    );
    const updated = await getAction(trx, id);
    if (current.case_id) await addComment(trx, current.case_id, { author: actor, body: outcomeComment(updated, outcome) }, clock);
    return updated;
  };
  return inTransaction(ex, work);
}
