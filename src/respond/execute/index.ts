export { DEFAULT_LEASE_MS, SETTLED, claimExecution, type Claim } from "./claim.js";
export { RESPONSE_ACTOR, outcomeComment, recordOutcome } from "./record.js";
export { confirmAction, executeAction, notifyEvent, pollAction, requestRollback, type ExecuteDeps } from "./execute.js";
