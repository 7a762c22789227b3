import { z } from "zod";
import { Priority, Severity } from "./severity.js";
import { Verdict } from "./case.js";

/** Version of the crew packages below; bump it when a field changes meaning. */
export const CREW_SCHEMA_VERSION = 1;

export const AGENTS = ["TORA", "VERA", "ARIA", "NOVA"] as const;
export const AgentName = z.enum(AGENTS);
export type AgentName = z.infer<typeof AgentName>;

export const ConfidenceLabel = z.enum(["high", "medium", "low"]);
export function confidenceLabel(confidence: number): z.infer<typeof ConfidenceLabel> {
  if (confidence >= 80) return "high";
  if (confidence >= 60) return "medium";
  return "low";
}

export const ToraVerdict = z.enum(["CLOSED", "ESCALATED", "INSUFFICIENT_CONTEXT"]);
export type ToraVerdict = z.infer<typeof ToraVerdict>;

export const TraceStep = z.object({
  step: z.number().int().min(1).max(6),
  name: z.string(),
  findings: z.array(z.string()),
  outcome: z.string(),
});
export type TraceStep = z.infer<typeof TraceStep>;

export const ForcedRule = z.object({ id: z.string(), description: z.string() });
export type ForcedRule = z.infer<typeof ForcedRule>;

export const Indicators = z.object({
  domains: z.array(z.string()),
  ips: z.array(z.string()),
  hashes: z.array(z.string()),
  urls: z.array(z.string()),
  usernames: z.array(z.string()),
  hostnames: z.array(z.string()),
  emails: z.array(z.string()),
});
export type Indicators = z.infer<typeof Indicators>;

export const EscalationPackage = z.object({
  case_summary: z.object({
    trigger: z.string(),
    what_was_found: z.string(),
    what_was_ruled_out: z.string(),
    why_it_matters: z.string(),
  }),
  hypothesis: z.string().min(1),
  suggested_focus: z.array(z.string()).min(1),
  priority: Priority,
  indicators: Indicators,
  /** Everything the enrichment knew, carried whole so that nothing is lost at the handoff. */
  preserved_context: z.object({
    network: z.record(z.string(), z.unknown()),
    asset: z.record(z.string(), z.unknown()).nullable(),
    identity: z.record(z.string(), z.unknown()).nullable(),
    threat_intel: z.record(z.string(), z.unknown()),
    history: z.record(z.string(), z.unknown()),
    email_context: z.record(z.string(), z.unknown()).nullable(),
    missing_fields: z.array(z.string()),
  }),
});
export type EscalationPackage = z.infer<typeof EscalationPackage>;

export const InsufficientContextPackage = z.object({
  blocking_reason: z.string(),
  blocking_fields: z.array(z.string()),
  enrichment_needed: z.array(z.string()),
  retry_possible: z.boolean(),
  partial_assessment: z.string(),
});
export type InsufficientContextPackage = z.infer<typeof InsufficientContextPackage>;

export const NovaFeed = z.object({
  disposition_class: Verdict,
  alert_type: z.string(),
  suppression_candidate: z.boolean(),
  confidence: z.number(),
  forced_escalation: z.boolean(),
  context_completeness: z.enum(["complete", "partial", "insufficient"]),
  missing_fields: z.array(z.string()),
  duration_ms: z.number(),
});
export type NovaFeed = z.infer<typeof NovaFeed>;

export const ToraOutput = z
  .object({
    schema_version: z.literal(CREW_SCHEMA_VERSION),
    agent: z.literal("TORA"),
    case_id: z.string(),
    verdict: ToraVerdict,
    severity: Severity,
    confidence: z.number().int().min(0).max(100),
    confidence_label: ConfidenceLabel,
    priority: Priority,
    rationale: z.string().min(1),
    false_positive_assessment: z.object({
      likely_false_positive: z.boolean(),
      disposition: Verdict,
      reasoning: z.string(),
      suppression_rule_id: z.string().nullable(),
    }),
    forced_escalation: z.object({ triggered: z.boolean(), rules: z.array(ForcedRule) }),
    reasoning_trace: z.array(TraceStep).length(4),
    narrative: z.string().min(1),
    escalation_package: EscalationPackage.nullable(),
    insufficient_context_package: InsufficientContextPackage.nullable(),
    nova_feed: NovaFeed,
  })
  .superRefine((out, ctx) => {
    if (out.verdict === "ESCALATED" && !out.escalation_package)
      ctx.addIssue({ code: "custom", path: ["escalation_package"], message: "an escalation needs its package" });
    if (out.verdict === "INSUFFICIENT_CONTEXT" && !out.insufficient_context_package)
      ctx.addIssue({ code: "custom", path: ["insufficient_context_package"], message: "insufficient context needs its package" });
    if (out.confidence_label !== confidenceLabel(out.confidence))
      ctx.addIssue({ code: "custom", path: ["confidence_label"], message: "label does not match confidence" });
  });
export type ToraOutput = z.infer<typeof ToraOutput>;

/** A decision is data: every agent output is stored with its trace before anything acts on it. */
export const Decision = z.object({
  id: z.string(),
  case_id: z.string(),
  agent: AgentName,
  tier: z.number().int().min(1).max(4),
  schema_version: z.number().int(),
  verdict: z.string(),
  output: z.record(z.string(), z.unknown()),
  analyst: z.string(),
  duration_ms: z.number(),
  created_at: z.string(),
});
export type Decision = z.infer<typeof Decision>;
