export {
  loadVeraInput,
  caseEntities,
  summariseDestinations,
  failureThenSuccess,
  toAuthEvent,
  toConnection,
  toDnsLookup,
  AUGMENT_CAPS,
  AUGMENT_WINDOW,
  type CaseEntities,
} from "./augment.js";
export { investigateDeterministic, DETERMINISTIC_VERA, VERA_STEPS, SOURCES as VERA_EVIDENCE_SOURCES } from "./deterministic.js";
export { renderVeraComment } from "./comment.js";
export {
  InvestigatePayload,
  URGENCY_PRIORITY,
  commitVeraDecision,
  getVeraDecision,
  investigateCase,
  veraHandlers,
  VERA_MODEL_FAILED_TAG,
  type CommitMeta,
  type VeraAnalyst,
  type VeraHandlerOptions,
} from "./handler.js";
export {
  VERA_PROMPT_VERSION,
  VERA_OUTPUT_NAME,
  MAX_VERA_ALERTS_IN_CONTEXT,
  DEFAULT_VERA_MAX_STEPS,
  VeraProposal,
  checkVeraProposal,
  completeVeraProposal,
  loadVeraPrompt,
  veraAgentSpec,
  veraDataBlocks,
} from "./model.js";
export { VeraInput, VeraAlertInput, Augmentation, EventDigest, type DestinationSummary, type Connection, type AuthEvent, type DnsLookup } from "./schema.js";
