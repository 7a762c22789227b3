export { runAgent, MAX_TOOL_ERRORS, RESULT_SHARE_OF_CAP, TRUNCATION_RATIO, TRUNCATION_MIN_TOKENS } from "./agent.js";
export { createModel, publicSettings, analystName } from "./provider.js";
export { classifyError, failure, RETRYABLE_KINDS } from "./failures.js";
export { renderTask, renderUntrusted, neutraliseDelimiters, UNTRUSTED_NOTICE } from "./messages.js";
export { extractJsonObject, toolCallsInText, looksLikeRefusal, stripFences } from "./parse.js";
export { defaultToolExecutor, type ToolExecutor } from "./tool-call.js";
export { createTokenCounter, requestCap, DEFAULT_SAFETY_MARGIN, MESSAGE_OVERHEAD_TOKENS, type TokenCounter } from "./tokens.js";
export {
  ModelSettings,
  type ModelSettingsInput,
  type UntrustedBlock,
  type AgentOutputSpec,
  type AgentSpec,
  type RunAgentOptions,
  type AgentOutcome,
  type AgentRunInput,
} from "./types.js";
