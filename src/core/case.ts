import { z } from "zod";
import { AttackTags, Observable } from "./alert.js";
import { Priority, Severity } from "./severity.js";

export const CASE_STATUSES = ["new", "in_progress", "on_hold", "resolved", "closed"] as const;
export const CaseStatus = z.enum(CASE_STATUSES);
export type CaseStatus = z.infer<typeof CaseStatus>;

/** The verdict is kept apart from the workflow status: a closed case says why it was closed. */
export const VERDICTS = ["true_positive", "benign_true_positive", "false_positive", "duplicate", "undetermined"] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

/** What became of an alert, for tools that score the crew. */
export const OUTCOMES = ["closed", "escalated", "held", "suppressed", "open"] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

export const Actor = z.object({
  kind: z.enum(["agent", "human", "system"]),
  name: z.string().min(1),
});
export type Actor = z.infer<typeof Actor>;

/** Case ids follow the crew's format; the number is carried through the tiers (VERA-…-NNNN). */
export const CASE_ID_PATTERN = /^TORA-\d{8}-\d{4,}$/;
export const CaseId = z.string().regex(CASE_ID_PATTERN, "case id of the form TORA-YYYYMMDD-NNNN");

export const Case = z.object({
  schema_version: z.literal(1),
  id: CaseId,
  title: z.string(),
  status: CaseStatus,
  verdict: Verdict.nullable(),
  verdict_rationale: z.string().nullable(),
  /** The crew's own decision label, e.g. TORA's CLOSED | ESCALATED | INSUFFICIENT_CONTEXT. */
  crew_verdict: z.string().nullable(),
  outcome: Outcome,
  priority: Priority.nullable(),
  severity: Severity,
  confidence: z.number().min(0).max(100).nullable(),
  assignee: Actor.nullable(),
  tags: z.array(z.string()),
  attack: AttackTags,
  observables: z.array(Observable),
  alert_ids: z.array(z.string()),
  rule_id: z.string().nullable(),
  group_key: z.string(),
  suppression_id: z.string().nullable(),
  needs_human_verification: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  /** First time anyone (agent or human) acted on the case: MTTA is acknowledged_at − created_at. */
  acknowledged_at: z.string().nullable(),
  escalated_at: z.string().nullable(),
  /** MTTR is resolved_at (or closed_at) − created_at. */
  resolved_at: z.string().nullable(),
  closed_at: z.string().nullable(),
});
export type Case = z.infer<typeof Case>;

export const Comment = z.object({
  id: z.string(),
  case_id: CaseId,
  author: Actor,
  body: z.string().min(1, "a comment needs a body").max(100_000),
  created_at: z.string(),
});
export type Comment = z.infer<typeof Comment>;

export const AuditEvent = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  actor: Actor,
  action: z.string().min(1),
  case_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
