export { DEFAULT_RETRY, retryDecision, retryDelaySeconds, type RetryDecision, type RetryPolicy } from "./retry.js";
export { holdOnFailure, commitFailedRun, recordAppliedFallback, type AppliedFallback, type CrewFailure, type CrewFailureResult, type FailedRunCommit } from "./failure.js";
export { heldByCrew } from "./held.js";
export { getDecision, recordDecision, rowToDecision, type DecisionRecord } from "./decision.js";
export { defineCrewStage, type CheckedProposal, type CrewStage } from "./stage.js";
export { commitStagedEffects, screenEffects, type ApplyEffects, type RefusedEffect } from "./effects.js";
export { agentRunRecord, appendTrace, recordedSettings, runCrewAgent, type CrewRun, type RunAgent, type SaveRun } from "./run.js";
export { crewToolContext, shiftOf } from "./context.js";
export type { CrewStageOptions } from "./options.js";
