import type { ConnectorKind } from "../registry.js";
import { SentinelSettings, createSentinelConnector } from "./client.js";

/** `kind: sentinel` — Microsoft Sentinel incidents and their alerts (REST API Microsoft.SecurityInsights). */
export const kind: ConnectorKind<typeof SentinelSettings> = {
  settings: SentinelSettings,
  create: (settings, deps) => createSentinelConnector(settings, deps),
};

export { MANAGEMENT_SCOPE, SentinelSettings, createSentinelConnector, incidentsBase, incidentsUrl, type SentinelDeps } from "./client.js";
export { DEFAULT_SEVERITY_MAP, SentinelAlert, SentinelIncident, sentinelAlertToGeneric, sentinelIncidentToGeneric } from "./mapping.js";
