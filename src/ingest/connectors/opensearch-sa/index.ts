import type { ConnectorKind } from "../registry.js";
import { OpenSearchSaSettings, basicAuth, createOpenSearchSaConnector } from "./client.js";

export { OpenSearchSaSettings, createOpenSearchSaConnector, findingsQuery, alertsQuery, type OpenSearchSaDeps } from "./client.js";
export { findingToAlert, triggerAlertToAlert, fieldsFromDocuments, DEFAULT_LEVEL_SEVERITIES, DEFAULT_TRIGGER_SEVERITIES } from "./mapping.js";

/** The `opensearch_sa` connector kind, for CONNECTOR_KINDS in ../registry.ts. */
export const kind: ConnectorKind<typeof OpenSearchSaSettings> = {
  settings: OpenSearchSaSettings,
  create: (settings, deps) => createOpenSearchSaConnector(settings, deps),
  derivedSecrets: (settings) => (settings.username && settings.password ? [basicAuth(settings.username, settings.password).slice("Basic ".length)] : []),
};
