export type {
  ResultBudget,
  ResultStore,
  StagedEffect,
  StoredResult,
  ToolCaller,
  ToolContext,
  ToolDefinition,
  ToolErrorCode,
  ToolResult,
} from "./tool.js";
export { TOOL_ERROR_CODES, ToolError } from "./tool.js";
export { fitResult, errorResult, tokensWithin, listOf } from "./budget.js";
export { createResultStore } from "./results.js";
export { callTool } from "./call.js";
export { CREW_TOOLS, toolsFor, toolByName } from "./registry.js";
export {
  applyEffects,
  StagedEffectSchema,
  ProposedActionDoc,
  PROPOSED_ACTIONS,
  MEMORY_VALUE_MAX_BYTES,
  COMMENT_MAX_CHARS,
  type AppliedEffect,
  type EffectActor,
} from "./effects.js";
export { canonicalCaseId, caseEntities, isCaseEntity, requireOwnCase, type CaseEntities } from "./scope.js";
export { MAX_EVENTS_PER_CALL } from "./search-events.js";
