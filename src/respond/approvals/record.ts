import type { Selectable } from "kysely";
import { z } from "zod";
import { canonicalJson, sha256 } from "../../core/index.js";
import { fromJson, type ResponseActionsTable, type ResponseApprovalsTable } from "../../store/index.js";
import { ActionName } from "../actions/index.js";
import { PolicyDecision } from "../policy/index.js";

/**
 * Where a response action stands. `pending_approval` → `approved` (enough people approved, or the policy
 * allowed it) | `denied` | `expired` | `superseded` (edited: a new request replaces it); `forbidden` never
 * runs. Execution: `approved` → `executing` (persisted before the connector is called) → `executed` |
 * `failed` | `in_progress` (the vendor accepted it and is still working) | `awaiting_confirmation`
 * (record-only: a human carries it out and confirms).
 */
export const ACTION_STATUSES = [
  "pending_approval",
  "approved",
  "denied",
  "expired",
  "superseded",
  "forbidden",
  "executing",
  "in_progress",
  "awaiting_confirmation",
  "executed",
  "failed",
] as const;
export const ActionStatus = z.enum(ACTION_STATUSES);
export type ActionStatus = z.infer<typeof ActionStatus>;

/** The hash an approval is bound to: the action, its exact (normalised) arguments and its case. */
export function actionHash(action: string, args: Record<string, unknown>, caseId: string | null): string {
  return sha256(canonicalJson({ v: 1, action, args, case_id: caseId }));
}

export const ApprovalVote = z.object({
  approver: z.string(),
  role: z.string(),
  decision: z.enum(["approve", "deny"]),
  args_hash: z.string(),
  note: z.string().nullable(),
  at: z.string(),
});
export type ApprovalVote = z.infer<typeof ApprovalVote>;

export const ActionOutcome = z.object({
  /** What the connector did, in a sentence (`isolated ws-042 (Defender machine action 5a…)`). */
  action_taken: z.string(),
  status: z.enum(["succeeded", "failed", "in_progress", "awaiting_confirmation"]),
  connector: z.string(),
  remote_ref: z.string().nullable(),
  error: z.string().nullable(),
  /** The action that undoes this one, when there is one and it succeeded. */
  rollback_available: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type ActionOutcome = z.infer<typeof ActionOutcome>;

/** A response action as the API, CLI and the ARIA stage see it. */
export const ResponseAction = z.object({
  id: z.string(),
  case_id: z.string().nullable(),
  action: ActionName,
  args: z.record(z.string(), z.unknown()),
  args_hash: z.string(),
  target: z.string(),
  status: ActionStatus,
  policy: z.object({ decision: PolicyDecision, rule: z.string(), explanation: z.string(), facts: z.record(z.string(), z.unknown()) }),
  approvals_required: z.number().int(),
  approvals: z.array(ApprovalVote),
  requested_by: z.object({ kind: z.enum(["agent", "human", "system"]), name: z.string() }),
  rationale: z.string(),
  evidence: z.array(z.string()),
  confidence: z.number().nullable(),
  connector: z.string().nullable(),
  supersedes: z.string().nullable(),
  rollback_of: z.string().nullable(),
  idempotency_key: z.string(),
  attempts: z.number().int(),
  remote_ref: z.string().nullable(),
  outcome: ActionOutcome.nullable(),
  error: z.string().nullable(),
  expires_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  decided_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type ResponseAction = z.infer<typeof ResponseAction>;

export function rowToAction(row: Selectable<ResponseActionsTable>, votes: Selectable<ResponseApprovalsTable>[]): ResponseAction {
  return {
    id: row.id,
    case_id: row.case_id,
    action: row.action as ActionName,
    args: fromJson<Record<string, unknown>>(row.args, {}),
    args_hash: row.args_hash,
    target: row.target,
    status: row.status as ActionStatus,
    policy: { decision: row.decision as PolicyDecision, rule: row.policy_rule, explanation: row.explanation, facts: fromJson<Record<string, unknown>>(row.facts, {}) },
    approvals_required: Number(row.approvals_required),
    approvals: votes
      .filter((v) => v.action_id === row.id)
      .sort((a, b) => a.at.localeCompare(b.at))
      .map((v) => ({ approver: v.approver, role: v.role, decision: v.decision as "approve" | "deny", args_hash: v.args_hash, note: v.note, at: v.at })),
    requested_by: { kind: row.requested_by_kind as "agent" | "human" | "system", name: row.requested_by },
    rationale: row.rationale,
    evidence: fromJson<string[]>(row.evidence, []),
    confidence: row.confidence === null ? null : Number(row.confidence),
    connector: row.connector,
    supersedes: row.supersedes,
    rollback_of: row.rollback_of,
    idempotency_key: row.idempotency_key,
    attempts: Number(row.attempts),
    remote_ref: row.remote_ref,
    outcome: row.outcome ? ActionOutcome.parse(fromJson(row.outcome, {})) : null,
    error: row.error,
    expires_at: row.expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    decided_at: row.decided_at,
    finished_at: row.finished_at,
  };
}
