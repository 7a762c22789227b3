import { z } from "zod";
import { ConflictError, ForbiddenError, ValidationError, issuesOf, type Clock } from "../../core/index.js";
import { appendAudit, lockAuditChain } from "../../cases/index.js";
import { inTransaction, toJson, type Executor } from "../../store/index.js";
import { ACTIONS, parseAction } from "../actions/index.js";
import { getAction } from "./queries.js";
import { actionHash, type ResponseAction } from "./record.js";
import { TargetFacts, requestAction, type PolicyContext } from "./request.js";

/** Only these roles decide on response actions (src/server/auth roles). */
export const DECIDING_ROLES = ["analyst", "admin"] as const;

export const Approver = z.strictObject({
  /** The person, as the audit trail names them (a token's name). */
  name: z.string().trim().min(1),
  role: z.string().min(1),
});
export type Approver = z.infer<typeof Approver>;

const Note = z.string().trim().max(2000).nullable().default(null);

/**
 * Everything that must hold before a person's decision counts: a deciding role, the request still open and
 * unexpired, the person not its requester and not already on it, and the stored arguments still hashing to
 * the stored hash (and to the hash the person saw, when they say which).
 */
function checkDecidable(current: ResponseAction, approver: Approver, now: Date, seenHash: string | null): void {
  if (!(DECIDING_ROLES as readonly string[]).includes(approver.role)) throw new ForbiddenError(`only the analyst and admin roles decide on response actions; ${approver.name} has ${approver.role}`);
  if (current.status !== "pending_approval") throw new ConflictError(`response action ${current.id} is ${current.status}, not pending approval`);
  if (current.expires_at && now.toISOString() >= current.expires_at) throw new ConflictError(`response action ${current.id} expired at ${current.expires_at}`);
  if (current.requested_by.name.toLowerCase() === approver.name.toLowerCase()) throw new ForbiddenError(`${approver.name} requested response action ${current.id} and cannot decide on it`);
  if (current.approvals.some((v) => v.approver.toLowerCase() === approver.name.toLowerCase()))
    throw new ConflictError(`${approver.name} already decided on response action ${current.id}; a second approval must come from someone else`);
  if (actionHash(current.action, current.args, current.case_id) !== current.args_hash) throw new ConflictError(`response action ${current.id}: its arguments no longer match the hash approvals are bound to`);
  if (seenHash !== null && seenHash !== current.args_hash) throw new ConflictError(`response action ${current.id} is bound to ${current.args_hash}, not to the ${seenHash} you approved`);
}

export interface DecisionOptions {
  note?: string | null;
  /** The args_hash the person was shown: the approval counts only for exactly those arguments. */
  args_hash?: string | null;
}

async function recordVote(trx: Executor, current: ResponseAction, approver: Approver, decision: "approve" | "deny", note: string | null, clock: Clock): Promise<void> {
  await trx
    .insertInto("response_approvals")
    .values({ action_id: current.id, approver: approver.name, role: approver.role, decision, args_hash: current.args_hash, note, at: clock.now().toISOString() })
    .execute();
}

/**
 * One person's vote on a pending action, in one transaction under the audit chain's lock: checked (role, not
 * the requester, not expired, the arguments they saw), recorded, then `then` moves the action and audits it.
 */
async function vote(
  ex: Executor,
  id: string,
  approver: Approver,
  decision: "approve" | "deny",
  clock: Clock,
  options: DecisionOptions,
  then: (trx: Executor, current: ResponseAction, who: Approver, note: string | null) => Promise<void>,
): Promise<ResponseAction> {
  const who = parseApprover(approver);
  const note = Note.parse(options.note ?? null);
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    checkDecidable(current, who, clock.now(), options.args_hash ?? null);
    await recordVote(trx, current, who, decision, note, clock);
    await then(trx, current, who, note);
    return getAction(trx, id);
  });
}

/** One person approves; the action becomes `approved` once as many different people as the policy requires have. */
export async function approveAction(ex: Executor, id: string, approver: Approver, clock: Clock, options: DecisionOptions = {}): Promise<ResponseAction> {
  return vote(ex, id, approver, "approve", clock, options, async (trx, current, who, note) => {
    const approvals = current.approvals.filter((v) => v.decision === "approve").length + 1;
    const complete = approvals >= current.approvals_required;
    const at = clock.now().toISOString();
    if (complete) await trx.updateTable("response_actions").set({ status: "approved", decided_at: at, updated_at: at }).where("id", "=", id).execute();
    else await trx.updateTable("response_actions").set({ updated_at: at }).where("id", "=", id).execute();
    await appendAudit(
      trx,
      {
        actor: { kind: "human", name: who.name },
        action: complete ? "response.approved" : "response.approval_recorded",
        caseId: current.case_id,
        data: { action_id: id, action: current.action, args_hash: current.args_hash, role: who.role, approvals, required: current.approvals_required, note },
      },
      clock,
    );
  });
}

/** One person denies: the action is `denied` and never runs. */
export async function denyAction(ex: Executor, id: string, approver: Approver, clock: Clock, options: DecisionOptions = {}): Promise<ResponseAction> {
  return vote(ex, id, approver, "deny", clock, options, async (trx, current, who, note) => {
    const at = clock.now().toISOString();
    await trx.updateTable("response_actions").set({ status: "denied", decided_at: at, updated_at: at }).where("id", "=", id).execute();
    await appendAudit(trx, { actor: { kind: "human", name: who.name }, action: "response.denied", caseId: current.case_id, data: { action_id: id, action: current.action, args_hash: current.args_hash, role: who.role, note } }, clock);
  });
}

export const EditInput = z.strictObject({
  args: z.record(z.string(), z.unknown()),
  /** The CMDB facts of the edited target (required when the edit changes the target). */
  facts: TargetFacts.optional(),
  note: z.string().trim().max(2000).nullable().optional(),
});
export type EditInput = z.input<typeof EditInput>;

/**
 * Edit-then-approve: the request is `superseded` by a new one with the edited arguments (a new hash), which
 * the policy judges afresh — a `forbidden` verdict refuses the edit and changes nothing; otherwise the
 * editor's approval counts on the new request (a two-person verdict still needs someone else).
 */
export async function editAndApprove(ex: Executor, id: string, approver: Approver, edit: EditInput, ctx: PolicyContext): Promise<{ superseded: ResponseAction; action: ResponseAction }> {
  const who = parseApprover(approver);
  const parsed = EditInput.safeParse(edit);
  if (!parsed.success) throw new ValidationError("invalid edit", issuesOf(parsed.error));
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const current = await getAction(trx, id);
    checkDecidable(current, who, ctx.clock.now(), null);
    const { args } = parseAction(current.action, parsed.data.args);
    if (actionHash(current.action, args, current.case_id) === current.args_hash) throw new ValidationError("invalid edit", [{ path: "args", message: "the edit changes nothing; approve the request instead" }]);
    const oldFacts = current.policy.facts as Partial<TargetFacts>;
    const sameTarget = ACTIONS[current.action].targetOf(args) === current.target;
    if (!sameTarget && !parsed.data.facts) throw new ValidationError("invalid edit", [{ path: "facts", message: "the edit changes the target: its CMDB facts are needed to re-check the policy" }]);
    const facts = parsed.data.facts ?? TargetFacts.parse({ criticality: oldFacts.criticality ?? null, environment: oldFacts.environment ?? null, do_not_touch: oldFacts.do_not_touch ?? false });
    const at = ctx.clock.now().toISOString();
    await trx.updateTable("response_actions").set({ status: "superseded", decided_at: at, updated_at: at }).where("id", "=", id).execute();
    const replacement = await requestAction(
      trx,
      {
        case_id: current.case_id,
        action: current.action,
        args,
        requested_by: current.requested_by,
        rationale: current.rationale,
        evidence: current.evidence,
        confidence: current.confidence,
        facts,
        connector: current.connector,
      },
      ctx,
      { supersedes: id },
    );
    if (replacement.status === "forbidden") throw new ConflictError(`the edited action is forbidden by the policy: ${replacement.policy.explanation}`);
    await appendAudit(
      trx,
      { actor: { kind: "human", name: who.name }, action: "response.edited", caseId: current.case_id, data: { action_id: id, replaced_by: replacement.id, old_args_hash: current.args_hash, new_args_hash: replacement.args_hash, args: toJson(args), note: parsed.data.note ?? null } },
      ctx.clock,
    );
    const action = replacement.status === "pending_approval" ? await approveAction(trx, replacement.id, who, ctx.clock, { note: parsed.data.note ?? null, args_hash: replacement.args_hash }) : replacement;
    return { superseded: await getAction(trx, id), action };
  });
}

/** Marks every pending request past its expiry `expired` (audited); returns how many. */
export async function expireApprovals(ex: Executor, clock: Clock): Promise<number> {
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const now = clock.now().toISOString();
    const due = await trx.selectFrom("response_actions").select(["id", "case_id", "action", "expires_at"]).where("status", "=", "pending_approval").where("expires_at", "<=", now).execute();
    for (const row of due) {
      await trx.updateTable("response_actions").set({ status: "expired", decided_at: now, updated_at: now }).where("id", "=", row.id).where("status", "=", "pending_approval").execute();
      await appendAudit(trx, { actor: { kind: "system", name: "respond" }, action: "response.expired", caseId: row.case_id, data: { action_id: row.id, action: row.action, expires_at: row.expires_at } }, clock);
    }
    return due.length;
  });
}

function parseApprover(approver: Approver): Approver {
  const parsed = Approver.safeParse(approver);
  if (!parsed.success) throw new ValidationError("invalid approver", issuesOf(parsed.error, "approver"));
  return parsed.data;
}
