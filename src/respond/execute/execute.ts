import { ConflictError, ForbiddenError, ValidationError, type Clock } from "../../core/index.js";
import { appendAudit, lockAuditChain } from "../../cases/index.js";
import type { Db, Executor } from "../../store/index.js";
import { rollbackArgs } from "../actions/index.js";
import { DECIDING_ROLES, getAction, requestAction, type Approver, type PolicyContext, type ResponseAction } from "../approvals/index.js";
import { OutcomeUnknownError, pickConnector, type ActionConnector, type ConnectorCall, type ConnectorResult } from "../connectors/index.js";
import type { Notifier, NotifyEvent } from "../notify/index.js";
import type { AutonomyPolicy } from "../policy/index.js";
import { DEFAULT_LEASE_MS, claimExecution } from "./claim.js";
import { RESPONSE_ACTOR, recordOutcome } from "./record.js";

export interface ExecuteDeps {
  connectors: ActionConnector[];
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
  notifier?: Notifier | null;
  leaseMs?: number;
  /** Attempts whose outcome stayed unknown before the action is failed (default 5). */
  maxAttempts?: number;
  /** The policy in force: an approved action is judged again before its first attempt (claimExecution). */
  policy?: AutonomyPolicy | null;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function callFor(ex: Executor, action: ResponseAction): Promise<ConnectorCall> {
  const row = await ex.selectFrom("response_actions").select(["started_at"]).where("id", "=", action.id).executeTakeFirstOrThrow();
  const original = action.rollback_of ? await getAction(ex, action.rollback_of) : null;
  return {
    actionId: action.id,
    action: action.action,
    args: action.args,
    caseId: action.case_id,
    idempotencyKey: action.idempotency_key,
    startedAt: row.started_at ?? action.created_at,
    remoteRef: action.remote_ref,
    rollbackOf: original ? { remoteRef: original.remote_ref, detail: original.outcome?.detail ?? {} } : null,
  };
}

/** Whether an outcome is announced: failures always; successes unless the policy said plain `auto`. */
function announce(action: ResponseAction): NotifyEvent["kind"] | null {
  if (action.status === "failed") return "failed";
  if (action.policy.decision === "auto" && action.approvals.length === 0) return null;
  if (action.status === "executed" || action.status === "in_progress" || action.status === "awaiting_confirmation") return action.status;
  return null;
}

export async function notifyEvent(db: Db, notifier: Notifier | null | undefined, event: NotifyEvent, clock: Clock): Promise<void> {
  if (!notifier) return;
  const error = await notifier.send(event);
  if (error)
    await db.transaction().execute(async (trx) => {
      await lockAuditChain(trx);
      await appendAudit(trx, { actor: { kind: "system", name: "respond" }, action: "response.notify_failed", caseId: event.action.case_id, data: { action_id: event.action.id, kind: event.kind, error } }, clock);
    });
}

/**
 * Runs an approved action once. The attempt is persisted before the connector is called (claimExecution);
 * an interrupted attempt is settled by asking the vendor first (`reconcile`) and sent again only when the
 * vendor shows no trace; the outcome is recorded on the action, the case and the audit trail
 * (recordOutcome), then announced. An action already settled is returned as it is: never a second call.
 * A vendor that may have acted but did not answer leaves the action `executing` for the next attempt (after
 * the lease), up to `maxAttempts`, then `failed` with the reason.
 */
export async function executeAction(db: Db, id: string, deps: ExecuteDeps): Promise<ResponseAction> {
  const claim = await claimExecution(db, id, deps.connectors, deps.clock, deps.leaseMs ?? DEFAULT_LEASE_MS, deps.policy ?? null);
  if (!claim) return getAction(db, id);
  const ctx = { clock: deps.clock, sleep: deps.sleep ?? realSleep };
  const call = await callFor(db, claim.action);
  let result: ConnectorResult;
  try {
    result = (claim.resumed ? await claim.connector.reconcile(call, ctx) : null) ?? (await claim.connector.execute(call, ctx));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof OutcomeUnknownError && claim.attempt < (deps.maxAttempts ?? 5)) {
      await db.transaction().execute(async (trx) => {
        await lockAuditChain(trx);
        const at = deps.clock.now().toISOString();
        // The lease ends now: the next attempt may come at once, and it asks the vendor first.
        await trx.updateTable("response_actions").set({ error: message, lease_until: at, updated_at: at }).where("id", "=", id).where("attempts", "=", claim.attempt).execute();
        await appendAudit(trx, { actor: { kind: "system", name: "respond" }, action: "response.outcome_unknown", caseId: claim.action.case_id, data: { action_id: id, attempt: claim.attempt, error: message } }, deps.clock);
      });
      return getAction(db, id);
    }
    result = { status: "failed", action_taken: `${claim.action.action} on ${claim.action.target} through ${claim.connector.name}`, remote_ref: call.remoteRef, error: error instanceof OutcomeUnknownError ? `outcome unknown after ${claim.attempt} attempts: ${message}` : message };
  }
  const recorded = await recordOutcome(db, id, claim.attempt, claim.connector.name, result, deps.clock);
  const action = recorded ?? (await getAction(db, id));
  const kind = recorded ? announce(action) : null;
  if (kind) await notifyEvent(db, deps.notifier, { kind, action }, deps.clock);
  return action;
}

/** Follows an `in_progress` action (a Defender machine action, a password reset operation) and records where it ended. */
export async function pollAction(db: Db, id: string, deps: ExecuteDeps): Promise<ResponseAction> {
  const action = await getAction(db, id);
  if (action.status !== "in_progress") return action;
  const connector = pickConnector(deps.connectors, action.action, action.connector);
  if (!connector.poll) return action;
  const result = await connector.poll(await callFor(db, action), { clock: deps.clock, sleep: deps.sleep ?? realSleep });
  if (result.status === "in_progress") return action;
  const recorded = await db.transaction().execute(async (trx) => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    if (current.status !== "in_progress") return null;
    return recordOutcome(trx, id, null, connector.name, result, deps.clock);
  });
  if (recorded) {
    const kind = announce(recorded);
    if (kind) await notifyEvent(db, deps.notifier, { kind, action: recorded }, deps.clock);
  }
  return recorded ?? getAction(db, id);
}

/** A human confirms a record-only action: they carried it out (`succeeded`) or could not (`failed`). */
export async function confirmAction(db: Db, id: string, person: Approver, result: { succeeded: boolean; note?: string | null }, clock: Clock): Promise<ResponseAction> {
  if (!(DECIDING_ROLES as readonly string[]).includes(person.role)) throw new ForbiddenError(`only the analyst and admin roles confirm response actions; ${person.name} has ${person.role}`);
  const note = result.note?.trim() || null;
  if (note && note.length > 2000) throw new ValidationError("invalid confirmation", [{ path: "note", message: "at most 2000 characters" }]);
  return db.transaction().execute(async (trx) => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    if (current.status !== "awaiting_confirmation") throw new ConflictError(`response action ${id} is ${current.status}, not awaiting confirmation`);
    const outcome: ConnectorResult = {
      status: result.succeeded ? "succeeded" : "failed",
      action_taken: `${current.outcome?.action_taken ?? current.action} — ${result.succeeded ? "carried out" : "not carried out"} by ${person.name}${note ? `: ${note}` : ""}`,
      remote_ref: null,
      error: result.succeeded ? null : (note ?? `${person.name} could not carry it out`),
      detail: { confirmed_by: person.name },
    };
    const recorded = await recordOutcome(trx, id, null, current.connector ?? "record-only", outcome, clock, { kind: "human", name: person.name });
    return recorded!;
  });
}

/**
 * Asks for the rollback of an executed action (isolate → release, disable → enable, block → unblock): a new
 * request, judged by the policy like any other, linked by `rollback_of`. Actions without one are refused.
 */
export async function requestRollback(db: Db, id: string, requester: { kind: "agent" | "human" | "system"; name: string }, rationale: string, ctx: PolicyContext): Promise<ResponseAction> {
  const original = await getAction(db, id);
  if (original.status !== "executed" && original.status !== "in_progress") throw new ConflictError(`response action ${id} is ${original.status}: only an executed action is rolled back`);
  const rollback = rollbackArgs(original.action, original.args);
  if (!rollback) throw new ConflictError(`${original.action} has no rollback`);
  const facts = original.policy.facts as { criticality?: unknown; environment?: unknown; do_not_touch?: unknown };
  return requestAction(
    db,
    {
      case_id: original.case_id,
      action: rollback.action,
      args: rollback.args,
      requested_by: requester,
      rationale,
      evidence: [`rollback of ${original.id}`],
      confidence: original.confidence,
      facts: { criticality: (facts.criticality as never) ?? null, environment: (facts.environment as string | null) ?? null, do_not_touch: Boolean(facts.do_not_touch) },
      connector: original.connector,
      request_key: `rollback:${original.id}`,
    },
    ctx,
    { rollbackOf: original.id },
  );
}

export { RESPONSE_ACTOR };
