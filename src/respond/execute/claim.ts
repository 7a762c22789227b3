import { ConflictError, type Clock } from "../../core/index.js";
import { appendAudit, lockAuditChain } from "../../cases/index.js";
import { inTransaction, type Executor } from "../../store/index.js";
import { getAction } from "../approvals/index.js";
import type { ResponseAction } from "../approvals/index.js";
import { pickConnector, type ActionConnector } from "../connectors/index.js";
import { approvalsRequired, evaluatePolicy, type AutonomyPolicy } from "../policy/index.js";

export const DEFAULT_LEASE_MS = 5 * 60_000;

/** Statuses an execution has settled into: asking again returns the record, never a second call. */
export const SETTLED = new Set(["executed", "failed", "in_progress", "awaiting_confirmation"]);

export interface Claim {
  action: ResponseAction;
  connector: ActionConnector;
  attempt: number;
  /** An earlier attempt was interrupted: the vendor must be asked before anything is sent again. */
  resumed: boolean;
}

/**
 * Takes an approved action for one attempt, in its own transaction, before any connector is called: status
 * `executing`, the attempt counted, a lease, the first start time kept (audited `response.started`).
 * Returns null when there is nothing to do — settled already, or another worker's lease still runs. An
 * action still `executing` with a lapsed lease was interrupted (kill -9, a lost answer): it is resumed.
 * Throws ConflictError for an action that is not approved.
 */
export async function claimExecution(ex: Executor, id: string, connectors: ActionConnector[], clock: Clock, leaseMs = DEFAULT_LEASE_MS, policy: AutonomyPolicy | null = null): Promise<Claim | null> {
  const work = async (trx: Executor): Promise<Claim | null> => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    if (SETTLED.has(current.status)) return null;
    const now = clock.now();
    const row = await trx.selectFrom("response_actions").select(["lease_until", "started_at"]).where("id", "=", id).executeTakeFirstOrThrow();
    if (current.status === "executing" && row.lease_until && row.lease_until > now.toISOString()) return null;
    if (current.status !== "approved" && current.status !== "executing") throw new ConflictError(`response action ${id} is ${current.status}: only an approved action runs`);
    if (policy && current.status === "approved" && (await recheckPolicy(trx, current, policy, clock))) return null;
    const connector = pickConnector(connectors, current.action, current.connector);
    const resumed = current.status === "executing";
    const attempt = current.attempts + 1;
    const at = now.toISOString();
    await trx
      .updateTable("response_actions")
      .set({ status: "executing", attempts: attempt, lease_until: new Date(now.getTime() + leaseMs).toISOString(), started_at: row.started_at ?? at, connector: connector.name, updated_at: at })
      .where("id", "=", id)
      .execute();
    await appendAudit(
      trx,
      { actor: { kind: "system", name: "respond" }, action: "response.started", caseId: current.case_id, data: { action_id: id, action: current.action, args_hash: current.args_hash, connector: connector.name, attempt, resumed, idempotency_key: current.idempotency_key } },
      clock,
    );
    return { action: await getAction(trx, id), connector, attempt, resumed };
  };
  return inTransaction(ex, work);
}

/**
 * Nothing runs outside the policy in force: an approved action is judged again, with its recorded facts, just
 * before its first attempt. Forbidden now → `forbidden`; more approvals required than it has → back to
 * `pending_approval` under the new verdict (audited `response.rechecked`). Returns true when it must not run.
 * (A resumed attempt is not judged again: the vendor may already have acted, and that must be settled.)
 */
async function recheckPolicy(trx: Executor, current: ResponseAction, policy: AutonomyPolicy, clock: Clock): Promise<boolean> {
  const facts = current.policy.facts as { criticality?: never; environment?: string | null; do_not_touch?: boolean };
  const now = clock.now();
  const verdict = evaluatePolicy(policy, { action: current.action, criticality: facts.criticality ?? null, environment: facts.environment ?? null, do_not_touch: facts.do_not_touch ?? false, confidence: current.confidence, at: now.toISOString() });
  const approvals = current.approvals.filter((v) => v.decision === "approve").length;
  const required = approvalsRequired(verdict.decision);
  const forbidden = verdict.decision === "forbidden";
  if (!forbidden && required <= approvals) return false;
  const at = now.toISOString();
  await trx
    .updateTable("response_actions")
    .set({
      status: forbidden ? "forbidden" : "pending_approval",
      decision: verdict.decision,
      policy_rule: verdict.rule,
      explanation: verdict.explanation,
      approvals_required: required,
      expires_at: forbidden ? null : new Date(now.getTime() + policy.approval_ttl_minutes * 60_000).toISOString(),
      decided_at: forbidden ? at : null,
      updated_at: at,
    })
    .where("id", "=", current.id)
    .execute();
  await appendAudit(
    trx,
    { actor: { kind: "system", name: "respond" }, action: "response.rechecked", caseId: current.case_id, data: { action_id: current.id, action: current.action, was: current.policy.decision, decision: verdict.decision, rule: verdict.rule, approvals, required } },
    clock,
  );
  return true;
}
