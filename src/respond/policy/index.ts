export { AutonomyPolicy, DAYS, POLICY_DECISIONS, PolicyDecision, PolicyRule, RuleWhen, stricter } from "./schema.js";
export { DEFAULT_POLICY, DEFAULT_POLICY_TEXT } from "./default.js";
export { loadPolicy, loadPolicyFile, parsePolicyText } from "./load.js";
export { PolicyFacts, approvalsRequired, evaluatePolicy, localTime, type PolicyFactsInput, type PolicyVerdict, type RuleCheck } from "./evaluate.js";
