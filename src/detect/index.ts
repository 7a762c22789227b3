export * from "./sigma/index.js";
export * from "./evtx/index.js";
export * from "./engine.js";
export * from "./logsource/index.js";
export * from "./readers/index.js";
// The detector's event origin; the logsource module's own `EventSource` (a rule target) stays reachable from ./logsource.
export type { EventSource } from "./engine.js";
export { CorrelationState, DEFAULT_CORRELATION_LIMITS, correlationKey, createCorrelationEngine } from "./correlate.js";
export type { CorrelationEngine, CorrelationFiring, CorrelationLimits, EventRef } from "./correlate.js";
export { detectionToAlertInput } from "./alert-input.js";
export * from "./rules/index.js";
