export {
  GENERIC_PRODUCT,
  LogsourceFile,
  applyFieldMap,
  conditionTest,
  loadLogsourceMappings,
  mergeMappings,
  parseLogsourceFile,
  ruleTarget,
} from "./logsource.js";
export type {
  Conditions,
  EventSource,
  LogsourceMappings,
  ProductMappingResolved,
  RuleLogsource,
  RuleTarget,
} from "./logsource.js";
