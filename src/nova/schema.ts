import { z } from "zod";
import { Suppression } from "../core/index.js";

/** Pattern types of crew.md's NOVA section. */
export const PatternType = z.enum([
  "triage_calibration",
  "hypothesis_accuracy",
  "pipeline_gap",
  "campaign_confirmation",
  "infrastructure_reuse",
  "recurring_false_positive",
  "context_gap",
  "telemetry_contradiction",
]);
export type PatternType = z.infer<typeof PatternType>;

export const Pattern = z.object({
  /** P1…Pn, numbered within the analysis. */
  id: z.string().regex(/^P\d+$/),
  type: PatternType,
  title: z.string().min(1),
  /** The cases the pattern stands on. */
  evidence: z.array(z.string()).min(1),
  confidence: z.enum(["high", "medium", "low"]),
  what_would_confirm: z.string().min(1),
  /** Linked case ids for campaigns, counts for calibration: the figures behind the title. */
  details: z.record(z.string(), z.unknown()).default({}),
});
export type Pattern = z.infer<typeof Pattern>;

export const ProposalKind = z.enum(["suppression", "detection_tuning", "cmdb_record", "telemetry_review", "triage_calibration"]);
export type ProposalKind = z.infer<typeof ProposalKind>;

export const ProposalStatus = z.enum(["proposed", "accepted", "rejected"]);
export type ProposalStatus = z.infer<typeof ProposalStatus>;

/** What a suppression proposal would create: the scope and expiry of a context-domain suppression. */
export const SuppressionDraft = z.object({ scope: Suppression.shape.scope, expires_at: z.string(), reason: z.string().min(1) });
export type SuppressionDraft = z.infer<typeof SuppressionDraft>;

export const Proposal = z.object({
  /** `<analysis id>-Rn`. */
  id: z.string().min(1),
  kind: ProposalKind,
  /** The pattern it follows from (P-number). */
  pattern: z.string().regex(/^P\d+$/),
  summary: z.string().min(1),
  evidence: z.array(z.string()),
  suppression: SuppressionDraft.optional(),
  /** Kind-specific figures: the host of a missing CMDB record, the rule to tune and its refutation rate… */
  details: z.record(z.string(), z.unknown()).default({}),
});
export type Proposal = z.infer<typeof Proposal>;

export const Analysis = z.object({
  schema_version: z.literal(1),
  /** `NOVA-<shift>-YYYYMMDD` (crew.md). */
  id: z.string().regex(/^NOVA-[A-Za-z0-9_.-]+-\d{8}$/),
  shift: z.string().min(1),
  since: z.string(),
  until: z.string(),
  analyst: z.literal("deterministic"),
  counts: z.object({ cases: z.number().int(), tora_decisions: z.number().int(), vera_decisions: z.number().int() }),
  patterns: z.array(Pattern),
  open_questions: z.array(z.string()),
  proposals: z.array(Proposal),
});
export type Analysis = z.infer<typeof Analysis>;
