export { loadContext, loadContextFile, parseContextText, parseContextCsv, validateContext, writeContext } from "./load.js";
export type { ContextData, ContextCountsLoaded, LoadOptions } from "./load.js";
export { enrichAlert, type EnrichOptions } from "./enrich.js";
export { contextHandlers, enrichStoredAlert, EnrichPayload, ENRICH_JOB, GROUP_JOB, type ContextHandlerOptions } from "./handler.js";
export {
  contextCounts,
  getAsset,
  getAssetRecord,
  getIdentity,
  getIdentityRecord,
  listAssets,
  listIdentities,
  listIndicators,
  listSuppressions,
  lookupIndicator,
} from "./queries.js";
export type { AssetRecord, IdentityRecord, ContextCounts, ListOptions } from "./queries.js";
export { hostKey, userKey, indicatorKey } from "./normalise.js";
