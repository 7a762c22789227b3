import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ToraOutput } from "../../core/index.js";
import { evaluateForcedRules } from "../guardrails/forced-rules.js";
import type { AgentSpec, UntrustedBlock } from "../runtime/types.js";
import type { ToolDefinition } from "../tools/tool.js";
import { assessCase } from "../assessment/assessment.js";
import { suppressionCandidate } from "./deterministic.js";
import { ToraOutput as ToraOutputSchema, type ToraInput } from "./schema.js";

/** The prompt file in use; recorded with every run so a trace says which instructions the model had. */
export const TORA_PROMPT_VERSION = "tora.v1";
export const TORA_OUTPUT_NAME = "tora_output";
/** Alerts placed in the first message; a larger case is reached through get_case / get_alert. */
export const MAX_ALERTS_IN_CONTEXT = 20;

const promptCache = new Map<string, string>();

/** The versioned system prompt (src/crew/tora/prompt/<version>.md, copied into dist by scripts/copy-assets.mjs). */
export function loadToraPrompt(version: string = TORA_PROMPT_VERSION): string {
  if (!/^tora\.v\d+$/.test(version)) throw new Error(`unknown TORA prompt version ${version}`);
  let text = promptCache.get(version);
  if (text === undefined) {
    text = readFileSync(new URL(`./prompt/${version}.md`, import.meta.url), "utf8");
    promptCache.set(version, text);
  }
  return text;
}

/**
 * What a model proposes: ToraOutput without `nova_feed` (code fills it). Structure only: the consistency
 * slips `guard()` repairs (a label that disagrees with the confidence, a missing package) are not a reason
 * to spend a repair request; everything else is checked by the guardrails after the run.
 */
const { nova_feed: _novaFeed, ...proposalShape } = ToraOutputSchema.shape;
export const ToraProposal = z.object(proposalShape);
export type ToraProposal = z.infer<typeof ToraProposal>;

/** The alert as the model first sees it: the raw event stays out (get_alert returns it) so one event cannot fill the context. */
function alertForContext(alert: ToraInput["alerts"][number]["alert"]): Record<string, unknown> {
  return { ...alert, raw: alert.raw == null ? null : "[raw event omitted: call get_alert to read it]" };
}

/**
 * TORA on a model: trusted instructions (the prompt file and a task statement built from the case id and
 * counts only), untrusted data (each alert with its enrichment — what TORA reasons on — and the suppression
 * records the matches point at), the tools offered, and the output contract with its case-id check.
 */
export function toraAgentSpec(input: ToraInput, tools: ToolDefinition[], options: { maxSteps?: number; promptVersion?: string } = {}): AgentSpec<ToraProposal> {
  const promptVersion = options.promptVersion ?? TORA_PROMPT_VERSION;
  const shown = input.alerts.slice(0, MAX_ALERTS_IN_CONTEXT);
  const data: UntrustedBlock[] = shown.map((item, i) => ({
    label: `alert ${i + 1} of ${input.alerts.length} with its enrichment`,
    content: { alert: alertForContext(item.alert), enrichment: item.enrichment },
  }));
  if (input.suppressions?.length) data.push({ label: "suppression records matched by the enrichment", content: input.suppressions });
  const omitted = input.alerts.length - shown.length;
  const task = [
    `Triage case ${input.caseId} as of ${input.now}.`,
    `The case has ${input.alerts.length} alert${input.alerts.length === 1 ? "" : "s"}${omitted > 0 ? `; the first ${shown.length} are below, read the other ${omitted} with get_case and get_alert` : ", all below"}.`,
    "Work the four mandatory steps, use tools only where a lookup can answer an open question, then answer with the",
    `${TORA_OUTPUT_NAME} JSON object for case ${input.caseId} exactly as the system prompt specifies (case_id "${input.caseId}").`,
  ].join(" ");
  return {
    agent: "TORA",
    tier: 1,
    caseId: input.caseId,
    promptVersion,
    system: loadToraPrompt(promptVersion),
    task,
    data,
    tools,
    output: {
      name: TORA_OUTPUT_NAME,
      schema: ToraProposal,
      check: (value) => (value.case_id === input.caseId ? [] : [`case_id: must be ${input.caseId} (the case of this run), got ${value.case_id}`]),
    },
    maxSteps: options.maxSteps ?? 12,
  };
}

/**
 * The proposal made whole: `nova_feed` filled from the structured input and the measured duration. Not yet
 * trusted: `guard()` (guardrails/apply.ts) recomputes the forced rules and thresholds before anything acts on it.
 */
export function completeToraProposal(proposal: ToraProposal, input: ToraInput, durationMs: number): ToraOutput {
  const a = assessCase(input);
  const rules = evaluateForcedRules(a);
  return {
    ...proposal,
    nova_feed: {
      disposition_class: proposal.false_positive_assessment.disposition,
      alert_type: a.primary.subtype,
      suppression_candidate: suppressionCandidate(a, rules),
      confidence: proposal.confidence,
      forced_escalation: rules.length > 0,
      context_completeness: a.context.completeness,
      missing_fields: a.context.missingFields,
      duration_ms: Math.max(0, Math.round(durationMs)),
    },
  };
}
