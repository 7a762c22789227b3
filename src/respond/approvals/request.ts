import { z } from "zod";
import { Actor, Criticality, NotFoundError, ValidationError, issuesOf, newId, type Clock } from "../../core/index.js";
import { appendAudit, getCase, lockAuditChain } from "../../cases/index.js";
import { inTransaction, toJson, type Executor } from "../../store/index.js";
import { ACTIONS, parseAction } from "../actions/index.js";
import { approvalsRequired, evaluatePolicy, type AutonomyPolicy, type PolicyVerdict } from "../policy/index.js";
import { getAction } from "./queries.js";
import { actionHash, type ActionStatus, type ResponseAction } from "./record.js";

/** The CMDB facts of the target, as the caller found them (context's `responseTargetFacts`); unknown is null. */
export const TargetFacts = z.strictObject({
  criticality: Criticality.nullable().default(null),
  environment: z.string().trim().min(1).nullable().default(null),
  do_not_touch: z.boolean().default(false),
});
export type TargetFacts = z.infer<typeof TargetFacts>;

export const RequestActionInput = z.strictObject({
  case_id: z.string().min(1).nullable().default(null),
  action: z.string().min(1),
  args: z.record(z.string(), z.unknown()).default({}),
  requested_by: Actor,
  rationale: z.string().trim().min(1, "a rationale is required").max(4000),
  /** Evidence references (`EVD-001: …`), shown to approvers. */
  evidence: z.array(z.string().trim().min(1).max(2000)).max(50).default([]),
  confidence: z.number().min(0).max(100).nullable().default(null),
  facts: TargetFacts.default({ criticality: null, environment: null, do_not_touch: false }),
  /** The connector to run it with (a configured name); null: the first configured connector that supports the action. */
  connector: z.string().min(1).nullable().default(null),
  /** The requester's own key (the proposed action's id): asking twice with it returns the first request. */
  request_key: z.string().min(1).max(200).nullable().default(null),
});
export type RequestActionInput = z.input<typeof RequestActionInput>;

export interface PolicyContext {
  policy: AutonomyPolicy;
  clock: Clock;
}

/** The status a fresh request takes from the policy's verdict. */
export function statusFor(verdict: PolicyVerdict): ActionStatus {
  if (verdict.decision === "forbidden") return "forbidden";
  return approvalsRequired(verdict.decision) > 0 ? "pending_approval" : "approved";
}

interface InsertExtras {
  supersedes?: string | null;
  rollbackOf?: string | null;
}

/**
 * Records a request for an action and what the autonomy policy says about it, in one transaction with its
 * audit event (`response.requested`): `forbidden` is recorded and never runs, `auto`/`auto_then_notify` are
 * `approved` at once, the rest wait for approvals until `approval_ttl_minutes` have passed. Nothing runs
 * here (see execute). Arguments are validated and normalised first; a bad field is a ValidationError.
 */
export async function requestAction(ex: Executor, input: RequestActionInput, ctx: PolicyContext, extras: InsertExtras = {}): Promise<ResponseAction> {
  const parsed = RequestActionInput.safeParse(input);
  if (!parsed.success) throw new ValidationError("invalid action request", issuesOf(parsed.error));
  const request = parsed.data;
  const { action, args } = parseAction(request.action, request.args);
  const run = async (trx: Executor) => {
    await lockAuditChain(trx);
    if (request.request_key) {
      const existing = await trx.selectFrom("response_actions").select("id").where("request_key", "=", request.request_key).executeTakeFirst();
      if (existing) return getAction(trx, existing.id);
    }
    if (request.case_id && !(await getCase(trx, request.case_id))) throw new NotFoundError(`case ${request.case_id}`);
    const now = ctx.clock.now();
    const at = now.toISOString();
    const verdict = evaluatePolicy(ctx.policy, { action, ...request.facts, confidence: request.confidence, at });
    const status = statusFor(verdict);
    const id = newId();
    const hash = actionHash(action, args, request.case_id);
    await trx
      .insertInto("response_actions")
      .values({
        id,
        request_key: request.request_key,
        case_id: request.case_id,
        action,
        args: toJson(args),
        args_hash: hash,
        target: ACTIONS[action].targetOf(args),
        status,
        decision: verdict.decision,
        policy_rule: verdict.rule,
        explanation: verdict.explanation,
        facts: toJson(verdict.facts),
        approvals_required: approvalsRequired(verdict.decision),
        requested_by_kind: request.requested_by.kind,
        requested_by: request.requested_by.name,
        rationale: request.rationale,
        evidence: toJson(request.evidence),
        confidence: request.confidence === null ? null : Math.round(request.confidence),
        connector: request.connector,
        supersedes: extras.supersedes ?? null,
        rollback_of: extras.rollbackOf ?? null,
        idempotency_key: `nightshift-${id}`,
        attempts: 0,
        lease_until: null,
        remote_ref: null,
        outcome: null,
        error: null,
        expires_at: status === "pending_approval" ? new Date(now.getTime() + ctx.policy.approval_ttl_minutes * 60_000).toISOString() : null,
        created_at: at,
        updated_at: at,
        decided_at: status === "pending_approval" ? null : at,
        started_at: null,
        finished_at: null,
      })
      .execute();
    await appendAudit(
      trx,
      {
        actor: request.requested_by,
        action: "response.requested",
        caseId: request.case_id,
        data: { action_id: id, action, target: ACTIONS[action].targetOf(args), args_hash: hash, decision: verdict.decision, rule: verdict.rule, status, supersedes: extras.supersedes ?? null, rollback_of: extras.rollbackOf ?? null },
      },
      ctx.clock,
    );
    return getAction(trx, id);
  };
  return inTransaction(ex, run);
}
