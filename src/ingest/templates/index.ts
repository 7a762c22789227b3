export {
  compileExpression,
  evaluate,
  parsePath,
  resolvePath,
  ExpressionError,
  type Expression,
  type ExpressionSpec,
  type PathRef,
  type Scope,
} from "./expression.js";
export { TemplateSpec, TemplateError, applyTemplate, compileTemplate, recordHash, type CompiledTemplate, type TemplateOutput } from "./template.js";
export { BUILTIN_TEMPLATES, BUILTIN_TEMPLATE_NAMES } from "./builtin.js";
export {
  MAX_WEBHOOK_SKEW_MS,
  SenderAuth,
  SenderSpec,
  compileSenders,
  mapSenderPayload,
  signForSender,
  verifySenderAuth,
  type AuthCheck,
  type Sender,
  type SenderSecrets,
} from "./senders.js";
export { MAX_WEBHOOK_RECORDS, ingestWebhookPayload, mapSenderDocuments, type WebhookDocument, type WebhookIngestResult } from "./ingest.js";
