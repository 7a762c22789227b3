// The correlation engine, split by concept under correlate/: public types and limits (types.ts), group and
// window entries (group.ts), per-type evaluators (measure.ts), one correlation's windows (windows.ts), saved
// state (state.ts) and the engine itself (engine.ts).
export { DEFAULT_CORRELATION_LIMITS } from "./correlate/types.js";
export type { CorrelationFiring, CorrelationLimits, EventRef, EventSource } from "./correlate/types.js";
export { CorrelationState } from "./correlate/state.js";
export { correlationKey, createCorrelationEngine } from "./correlate/engine.js";
export type { CorrelationEngine } from "./correlate/engine.js";
