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
  /**
   * Closed on analyst precedent where an asset-based forced rule would have fired (crew.md step 4): counted
   * for NOVA, and `sample_for_review` flags it for human sampling.
   */
  precedent_closure: z.boolean().optional(),
  sample_for_review: z.boolean().optional(),
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

// ——— VERA, tier 2 (crew.md "VERA — tier 2, investigation") ———

export const VeraVerdict = z.enum(["CLOSED", "ESCALATE_TO_ARIA", "HOLD"]);
export type VeraVerdict = z.infer<typeof VeraVerdict>;

export const RootCauseConfidence = z.enum(["CONFIRMED", "PROBABLE", "UNDETERMINED"]);
export type RootCauseConfidence = z.infer<typeof RootCauseConfidence>;

export const HypothesisResolution = z.enum(["CONFIRMED", "REFINED", "REFUTED"]);
export type HypothesisResolution = z.infer<typeof HypothesisResolution>;

export const ContainmentUrgency = z.enum(["immediate", "within_shift", "next_available"]);
export type ContainmentUrgency = z.infer<typeof ContainmentUrgency>;

export const ACTION_HINTS = [
  "isolate_host",
  "disable_account",
  "block_ioc",
  "reset_credentials",
  "revoke_tokens",
  "quarantine_file",
  "patch_vulnerability",
  "other",
] as const;
export const ActionHint = z.enum(ACTION_HINTS);
export type ActionHint = z.infer<typeof ActionHint>;

export const EvidenceWeight = z.enum(["strong", "moderate", "weak"]);
export type EvidenceWeight = z.infer<typeof EvidenceWeight>;

export const EVIDENCE_ID_PATTERN = /^EVD-\d{3,}$/;
export const VERA_ID_PATTERN = /^VERA-\d{8}-\d{4,}$/;

export const VeraEvidence = z.object({
  id: z.string().regex(EVIDENCE_ID_PATTERN, "evidence id of the form EVD-001"),
  type: z.string().min(1),
  description: z.string().min(1),
  weight: EvidenceWeight,
  /** What was queried to find it: "<tool or table>: <arguments>" — the part before ":" is the evidence's source. */
  source_query: z.string().min(1),
});
export type VeraEvidence = z.infer<typeof VeraEvidence>;

/** The independent source an evidence item came from: its source_query's tool or table. */
export function evidenceSource(evidence: Pick<VeraEvidence, "source_query">): string {
  const head = evidence.source_query.split(":")[0] ?? evidence.source_query;
  return head.trim().toLowerCase();
}

export const TimelineEvent = z.object({
  time: z.string(),
  description: z.string().min(1),
  kill_chain_phase: z.string().min(1),
  confidence: z.enum(["high", "medium", "low"]),
  evidence_ids: z.array(z.string()),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const ContainmentRecommendation = z.object({
  order: z.number().int().min(1),
  action_hint: ActionHint,
  target: z.string().min(1),
  rationale: z.string().min(1),
});
export type ContainmentRecommendation = z.infer<typeof ContainmentRecommendation>;

const KnownOrWhy = z
  .object({ value: z.string().nullable(), unknown_reason: z.string().nullable() })
  .refine((v) => (v.value === null) !== (v.unknown_reason === null), { message: "give either a value or why it is unknown" });

export const VeraNovaFeed = z.object({
  hypothesis_resolution: HypothesisResolution,
  root_cause_confidence: RootCauseConfidence,
  verdict: VeraVerdict,
  severity_delta: z.enum(["raised", "unchanged", "lowered"]),
  evidence_count: z.number().int().min(0),
  duration_ms: z.number().min(0),
  missing_telemetry: z.array(z.string()),
});
export type VeraNovaFeed = z.infer<typeof VeraNovaFeed>;

export const VeraOutput = z
  .object({
    schema_version: z.literal(CREW_SCHEMA_VERSION),
    agent: z.literal("VERA"),
    /** TORA's case id (the case's own id); vera_id carries the same number. */
    case_id: z.string().min(1),
    vera_id: z.string().regex(VERA_ID_PATTERN, "VERA id of the form VERA-YYYYMMDD-NNNN"),
    verdict: VeraVerdict,
    root_cause_confidence: RootCauseConfidence,
    tora_hypothesis_resolution: z.object({ status: HypothesisResolution, explanation: z.string().min(1) }),
    severity: Severity,
    severity_delta: z.object({ direction: z.enum(["raised", "unchanged", "lowered"]), from: Severity, to: Severity }),
    disposition: Verdict,
    root_cause: z.object({ description: z.string().min(1), attack_vector: z.string().min(1), kill_chain_stage: z.string().min(1) }),
    findings: z.object({
      endpoint: z.array(z.string()),
      network: z.array(z.string()),
      logs_identity: z.array(z.string()),
      attack_checklist: z.array(z.string()),
    }),
    scope: z.object({ confirmed_assets: z.array(z.string()), probable_assets: z.array(z.string()) }),
    ruled_out: z.array(z.string()),
    evidence: z.array(VeraEvidence),
    timeline: z.object({ events: z.array(TimelineEvent), gaps: z.array(z.string()) }),
    dwell_time: KnownOrWhy,
    entry_vector: KnownOrWhy,
    containment: z.object({
      urgency: ContainmentUrgency,
      recommendations: z.array(ContainmentRecommendation),
      if_not_contained: z.string(),
      recovery_notes: z.string(),
    }),
    reasoning_trace: z.array(TraceStep).length(6),
    narrative: z.string().min(1),
    nova_feed: VeraNovaFeed,
  })
  .superRefine((out, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (out.vera_id.replace(/^VERA-/, "") !== out.case_id.replace(/^[A-Z]+-/, ""))
      issue(["vera_id"], "the VERA id carries the case's day and number");
    if (out.verdict === "ESCALATE_TO_ARIA" && out.containment.recommendations.length === 0)
      issue(["containment", "recommendations"], "an escalation to ARIA needs at least one recommendation");
    if (out.root_cause_confidence === "CONFIRMED") {
      const strongEnough = out.evidence.filter((e) => e.weight !== "weak");
      if (new Set(strongEnough.map(evidenceSource)).size < 2)
        issue(["root_cause_confidence"], "a CONFIRMED root cause needs strong or moderate evidence from at least 2 independent sources");
    }
    const ids = out.evidence.map((e) => e.id);
    if (new Set(ids).size !== ids.length) issue(["evidence"], "evidence ids must be unique");
    const known = new Set(ids);
    out.timeline.events.forEach((event, i) => {
      event.evidence_ids.forEach((id, j) => {
        if (!known.has(id)) issue(["timeline", "events", i, "evidence_ids", j], `unknown evidence id ${id}`);
      });
    });
    const expected = out.severity === out.severity_delta.to;
    if (!expected) issue(["severity_delta", "to"], "severity_delta.to must equal severity");
    const orders = out.containment.recommendations.map((r) => r.order);
    if (new Set(orders).size !== orders.length) issue(["containment", "recommendations"], "recommendation orders must be unique");
    if (out.nova_feed.verdict !== out.verdict) issue(["nova_feed", "verdict"], "nova_feed.verdict must equal verdict");
    if (out.nova_feed.evidence_count !== out.evidence.length) issue(["nova_feed", "evidence_count"], "nova_feed.evidence_count must equal the evidence count");
  });
export type VeraOutput = z.infer<typeof VeraOutput>;
