export { triageDeterministic, DETERMINISTIC_ANALYST } from "./tora/deterministic.js";
export { ToraInput, ToraAlertInput, unenrichedEnrichment, UNENRICHED_MISSING_FIELDS } from "./tora/schema.js";
export { renderToraComment, inlineMarkdown } from "./tora/comment.js";
export {
  triageCase,
  crewHandlers,
  toraHandlers,
  getToraDecision,
  loadToraInput,
  commitToraDecision,
  TriagePayload,
  MODEL_FAILED_TAG,
  type ToraHandlerOptions,
} from "./tora/handler.js";
export { toraAgentSpec, completeToraProposal, ToraProposal, TORA_PROMPT_VERSION, loadToraPrompt } from "./tora/model.js";
export * from "./stage/index.js";
export * from "./runtime/index.js";
export { ModelSettings, type ModelSettingsInput, type AgentSpec, type AgentOutcome, type RunAgentOptions, type UntrustedBlock } from "./runtime/types.js";
export * from "./tools/index.js";
export * from "./runs/index.js";
export {
  loadVeraInput,
  investigateDeterministic,
  investigateCase,
  commitVeraDecision,
  getVeraDecision,
  veraHandlers,
  renderVeraComment,
  DETERMINISTIC_VERA,
  VeraInput,
  VeraProposal,
  veraAgentSpec,
  completeVeraProposal,
  VERA_PROMPT_VERSION,
  VERA_MODEL_FAILED_TAG,
  type VeraHandlerOptions,
} from "./vera/index.js";
export { guardVera, VERA_BLOCKING_RULES } from "./guardrails/vera.js";
export { assessCase, CONFIDENCE_WEIGHTS, MALICIOUS_WEIGHTS, BENIGN_WEIGHTS, EVIDENCE_CAP } from "./assessment/assessment.js";
export type { CaseAssessment, Evidence, BruteForceChain } from "./assessment/assessment.js";
export { SEVERITY_GROUP_CAPS, MAX_RAISE } from "./assessment/severity.js";
export { STALE_INTEL_DAYS, STRONG_INTEL_SOURCES, WEAK_INTEL_SOURCES, SUPPRESSION_MAX_AGE_DAYS } from "./assessment/facts.js";
export { applyGuardrails, guard, type GuardedOutput } from "./guardrails/apply.js";
export { FORCED_RULES, evaluateForcedRules, toForcedRule, type ForcedRuleDefinition, type FiredRule } from "./guardrails/forced-rules.js";
export {
  CLOSE_MIN_CONFIDENCE,
  ESCALATE_MIN_CONFIDENCE,
  CLOSE_MAX_SEVERITY,
  CREW_TRANSITIONS,
  TORA_ACTOR,
  VERA_ACTOR,
  ARIA_ACTOR,
  SOC_QUEUE,
  closeBlockers,
  escalateBlockers,
  decideVerdict,
  priorityFor,
  transitionFor,
  type CaseTransitionPlan,
} from "./guardrails/decision.js";
