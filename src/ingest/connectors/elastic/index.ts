import type { ConnectorKind } from "../registry.js";
import { ElasticSettings, authorization, createElasticConnector } from "./client.js";

export { ElasticSettings, SORT_FIELDS, WORKFLOW_STATUSES, authorization, createElasticConnector, parseCursor, searchBody, type ElasticCursor, type ElasticDeps } from "./client.js";
export { DEFAULT_SEVERITY_MAP, SeverityMapInput, alertId, alertTimestamp, elasticHitToAlert, elasticTime, field, severityFor, threatOf, type ElasticHit, type SeverityMap } from "./mapping.js";

/** The `elastic` connector kind, for the registry. */
export const kind: ConnectorKind<typeof ElasticSettings> = {
  settings: ElasticSettings,
  create: (settings, deps) => createElasticConnector(settings, deps),
  // The header's credential part (an encoded API key or a basic-auth token) is a secret in its own right.
  derivedSecrets: (settings) => [authorization(settings).replace(/^(ApiKey|Basic) /, "")],
};
