export type { ActionConnector, ConnectorCall, ConnectorContext, ConnectorResult } from "./types.js";
export { ApiError, OutcomeUnknownError, callApi } from "./http.js";
export { ACTION_CONNECTOR_KINDS, buildActionConnectors, pickConnector, type ActionConnectorConfig } from "./registry.js";
export { DEFENDER_ACTIONS, DefenderActionSettings, createDefenderConnector } from "./defender/index.js";
export { ENTRA_ACTIONS, EntraSettings, createEntraConnector } from "./entra/index.js";
export { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSettings, createWebhookConnector, signWebhook, type WebhookBody } from "./webhook/index.js";
export { RECORD_ONLY_NAME, RecordOnlySettings, createRecordOnlyConnector } from "./record-only/index.js";
