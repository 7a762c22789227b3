import { readFileSync } from "node:fs";
import { z } from "zod";
import { VeraOutput as VeraOutputSchema, caseIdForTier, severityRank, type VeraOutput } from "../../core/index.js";
import type { AgentSpec, UntrustedBlock } from "../runtime/types.js";
import type { ToolDefinition } from "../tools/tool.js";
import type { VeraInput } from "./schema.js";

/** The prompt file in use; recorded with every run so a trace says which instructions the model had. */
export const VERA_PROMPT_VERSION = "vera.v1";
export const VERA_OUTPUT_NAME = "vera_output";
/** Alerts placed in the first message; a larger case is reached through get_case / get_alert. */
export const MAX_VERA_ALERTS_IN_CONTEXT = 20;
export const DEFAULT_VERA_MAX_STEPS = 24;

const promptCache = new Map<string, string>();

/** The versioned system prompt (src/crew/vera/prompt/<version>.md, copied into dist by scripts/copy-assets.mjs). */
export function loadVeraPrompt(version: string = VERA_PROMPT_VERSION): string {
  if (!/^vera\.v\d+$/.test(version)) throw new Error(`unknown VERA prompt version ${version}`);
  let text = promptCache.get(version);
  if (text === undefined) {
    text = readFileSync(new URL(`./prompt/${version}.md`, import.meta.url), "utf8");
    promptCache.set(version, text);
  }
  return text;
}

/**
 * What a model proposes: VeraOutput without what code derives exactly — `vera_id` (from the case id),
 * `severity_delta` (TORA's severity against the proposed one) and `nova_feed` (from the structured input and
 * the measured duration). Structure only: the cross-field rules are the guardrails' (guardrails/vera.ts), which
 * repair the slips they can and hold the case where the evidence does not carry the verdict.
 */
const { nova_feed: _novaFeed, vera_id: _veraId, severity_delta: _delta, ...proposalShape } = VeraOutputSchema.shape;
export const VeraProposal = z.object(proposalShape);
export type VeraProposal = z.infer<typeof VeraProposal>;

/**
 * Checks a repair request can fix, beyond the schema: the run's case id, and the uniqueness rules the
 * guardrails cannot repair (they would reject the whole output).
 */
export function checkVeraProposal(value: VeraProposal, caseId: string): string[] {
  const problems: string[] = [];
  if (value.case_id !== caseId) problems.push(`case_id: must be ${caseId} (the case of this run), got ${value.case_id}`);
  const ids = value.evidence.map((e) => e.id);
  const dupIds = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (dupIds.length) problems.push(`evidence: ids must be unique (repeated: ${dupIds.join(", ")})`);
  const orders = value.containment.recommendations.map((r) => r.order);
  if (new Set(orders).size !== orders.length) problems.push("containment.recommendations: order values must be unique");
  value.reasoning_trace.forEach((step, i) => {
    if (step.step !== i + 1) problems.push(`reasoning_trace.${i}.step: must be ${i + 1}`);
  });
  return problems;
}

/** The alert as the model first sees it: the raw event stays out (get_alert returns it) so one event cannot fill the context. */
function alertForContext(alert: VeraInput["alerts"][number]["alert"]): Record<string, unknown> {
  return { ...alert, raw: alert.raw == null ? null : "[raw event omitted: call get_alert to read it]" };
}

const AUGMENTATION_PARTS = [
  ["events_around", "augmentation: events around each trigger"],
  ["process_trees", "augmentation: process trees"],
  ["persistence", "augmentation: persistence and file events"],
  ["network", "augmentation: network connections and destinations"],
  ["authentication", "augmentation: authentication"],
  ["dns_history", "augmentation: DNS history"],
  ["related_alerts", "augmentation: related alerts"],
  ["threat_actor", "augmentation: threat-actor profile"],
] as const satisfies readonly (readonly [keyof VeraInput["augmentation"], string])[];

/**
 * The untrusted data VERA starts from: TORA's decision whole (its escalation package first, nothing of it
 * dropped at the handoff), the case record, each alert with its enrichment, and each augmentation part with
 * its queries, missing telemetry and truncation flag.
 */
export function veraDataBlocks(input: VeraInput): UntrustedBlock[] {
  const { escalation_package, ...toraRest } = input.tora.output;
  const blocks: UntrustedBlock[] = [
    { label: "TORA's escalation package (the hypothesis to test)", content: escalation_package },
    { label: "TORA's decision (the rest of its output)", content: { decision_id: input.tora.decision_id, analyst: input.tora.analyst, created_at: input.tora.created_at, ...toraRest } },
    { label: "the case record", content: input.case },
  ];
  const shown = input.alerts.slice(0, MAX_VERA_ALERTS_IN_CONTEXT);
  shown.forEach((item, i) => blocks.push({ label: `alert ${i + 1} of ${input.alerts.length} with its enrichment`, content: { alert: alertForContext(item.alert), enrichment: item.enrichment } }));
  const aug = input.augmentation;
  blocks.push({ label: "augmentation: window and missing telemetry", content: { window: aug.window, missing_telemetry: aug.missing_telemetry } });
  for (const [key, label] of AUGMENTATION_PARTS) blocks.push({ label, content: aug[key] });
  return blocks;
}

/**
 * VERA on a model: trusted instructions (the prompt file and a task built from the case id, TORA's decision
 * id and counts only), untrusted data (veraDataBlocks), the tools offered, and the output contract with its checks.
 */
export function veraAgentSpec(input: VeraInput, tools: ToolDefinition[], options: { maxSteps?: number; promptVersion?: string } = {}): AgentSpec<VeraProposal> {
  const promptVersion = options.promptVersion ?? VERA_PROMPT_VERSION;
  const caseId = input.case_id;
  const shown = Math.min(input.alerts.length, MAX_VERA_ALERTS_IN_CONTEXT);
  const omitted = input.alerts.length - shown;
  const task = [
    `Investigate case ${caseId} as of ${input.now}, escalated by TORA (decision ${input.tora.decision_id}).`,
    `The case has ${input.alerts.length} alert${input.alerts.length === 1 ? "" : "s"}${omitted > 0 ? `; the first ${shown} are below, read the other ${omitted} with get_case and get_alert` : ", all below"};`,
    `the augmentation layer follows in ${AUGMENTATION_PARTS.length} parts.`,
    "Test TORA's hypothesis through the six steps, use tools only where a lookup can answer an open question, then answer with the",
    `${VERA_OUTPUT_NAME} JSON object for case ${caseId} exactly as the system prompt specifies (case_id "${caseId}").`,
  ].join(" ");
  return {
    agent: "VERA",
    tier: 2,
    caseId,
    promptVersion,
    system: loadVeraPrompt(promptVersion),
    task,
    data: veraDataBlocks(input),
    tools,
    output: { name: VERA_OUTPUT_NAME, schema: VeraProposal, check: (value) => checkVeraProposal(value, caseId) },
    maxSteps: options.maxSteps ?? DEFAULT_VERA_MAX_STEPS,
  };
}

/**
 * The proposal made whole: `vera_id`, `severity_delta` and `nova_feed` filled from the input and the measured
 * duration. Not yet trusted: `guardVera()` re-checks the verdict rules before anything acts on it.
 */
export function completeVeraProposal(proposal: VeraProposal, input: VeraInput, durationMs: number): VeraOutput {
  const from = input.tora.output.severity;
  const to = proposal.severity;
  const direction = severityRank(to) > severityRank(from) ? "raised" : severityRank(to) < severityRank(from) ? "lowered" : "unchanged";
  return {
    ...proposal,
    vera_id: caseIdForTier(input.case_id, "VERA"),
    severity_delta: { direction, from, to },
    nova_feed: {
      hypothesis_resolution: proposal.tora_hypothesis_resolution.status,
      root_cause_confidence: proposal.root_cause_confidence,
      verdict: proposal.verdict,
      severity_delta: direction,
      evidence_count: proposal.evidence.length,
      duration_ms: Math.max(0, Math.round(durationMs)),
      missing_telemetry: [...input.augmentation.missing_telemetry],
    },
  };
}
