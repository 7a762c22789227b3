export { loadContext, loadContextFile, parseContextText, parseContextCsv, validateContext, writeContext } from "./load.js";
export type { ContextData, ContextCountsLoaded, LoadOptions } from "./load.js";
export { enrichAlert, type EnrichOptions } from "./enrich.js";
export { contextHandlers, enrichStoredAlert, type EnrichPayload, type ContextHandlerOptions } from "./handler.js";
export {
  contextCounts,
  getAsset,
  getAssetRecord,
  getIdentity,
  getIdentityRecord,
  listAssets,
  listIdentities,
  listIndicators,
  getSuppressions,
  listSuppressions,
  lookupIndicator,
} from "./queries.js";
export type { AssetRecord, IdentityRecord, ContextCounts, ListOptions } from "./queries.js";
export { responseTargetFacts, type ResponseTargetFacts } from "./response-facts.js";
export { hostKey, userKey, indicatorKey } from "./normalise.js";
export {
  INTEL_FORMATS,
  importIntel,
  importIntelFile,
  readIntel,
  parseStixBundle,
  parseStixPattern,
  parseMispEvent,
  parseMispCsv,
  readMispFeed,
  parsePlainList,
  detectIndicatorType,
  networkKey,
  coveringKeys,
} from "./intel/index.js";
export type { IntelFormat, IntelImportResult, IntelParse, ImportIntelFileOptions } from "./intel/index.js";
export { matchIntel, type IntelResult } from "./intel.js";
export { collectObservables, type AlertObservables } from "./observables.js";
export { indexAlertHistory, historyKeysOf } from "./history-keys.js";
export {
  gapCounts,
  caseMissingFields,
  enrichmentOverview,
  formatGapCounts,
  GapCountsOptions,
  type EnrichmentExample,
  type EnrichmentOverview,
  type GapCount,
  type GapCounts,
} from "./gaps.js";
export { identityAsOf, parseAnomalyCell, DEFAULT_ANOMALY_WINDOW_DAYS } from "./identity.js";
export { dateProvenance, DEFAULT_STALE_AFTER_DAYS } from "./freshness.js";
export {
  importDeviceInventory,
  importInventoryFile,
  validateDevices,
  DeviceRecordSchema,
  LEASE_FORMATS,
  importLeaseFile,
  parseLeases,
  writeLeases,
  resolveAddresses,
  findSubnets,
  DEFAULT_IP_STALE_DAYS,
} from "./assets/index.js";
export type { DeviceRecord, InventoryDevice, Lease, LeaseFormat, AddressOwner, SubnetRecord } from "./assets/index.js";
export { resolveHosts, type HostLabel, type ResolveHostsOptions } from "./hosts.js";
export { importFeedback, recordCaseFeedback, shapeOf, FEEDBACK_FORMATS, MAX_FEEDBACK_ROWS } from "./feedback.js";
export type { AlertShape, FeedbackFormat, FeedbackImportOptions, FeedbackImportResult } from "./feedback.js";
export { lookupPrecedent, type Precedent, type PrecedentOptions } from "./precedent.js";
