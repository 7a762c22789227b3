import { ConflictError, type Clock } from "../../core/index.js";
import { appendAudit, lockAuditChain } from "../../cases/index.js";
import type { Executor } from "../../store/index.js";
import { getAction } from "../approvals/index.js";
import type { ResponseAction } from "../approvals/index.js";
import { pickConnector, type ActionConnector } from "../connectors/index.js";

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
export async function claimExecution(ex: Executor, id: string, connectors: ActionConnector[], clock: Clock, leaseMs = DEFAULT_LEASE_MS): Promise<Claim | null> {
  const work = async (trx: Executor): Promise<Claim | null> => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    if (SETTLED.has(current.status)) return null;
    const now = clock.now();
    const row = await trx.selectFrom("response_actions").select(["lease_until", "started_at"]).where("id", "=", id).executeTakeFirstOrThrow();
    if (current.status === "executing" && row.lease_until && row.lease_until > now.toISOString()) return null;
    if (current.status !== "approved" && current.status !== "executing") throw new ConflictError(`response action ${id} is ${current.status}: only an approved action runs`);
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
  return ex.isTransaction ? work(ex) : ex.transaction().execute(work);
}
