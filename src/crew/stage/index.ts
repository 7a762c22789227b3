export { DEFAULT_RETRY, retryDecision, retryDelaySeconds, type RetryDecision, type RetryPolicy } from "./retry.js";
export { holdOnFailure, type CrewFailure, type CrewFailureResult } from "./failure.js";
export { heldByCrew } from "./held.js";
export { commitStagedEffects, screenEffects, type ApplyEffects, type RefusedEffect } from "./effects.js";
export { agentRunRecord, appendTrace, recordedSettings, runCrewAgent, type CrewRun, type RunAgent, type SaveRun } from "./run.js";
export { crewToolContext, shiftOf } from "./context.js";
