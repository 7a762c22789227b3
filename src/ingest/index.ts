export {
  GenericAlertInput,
  GENERIC_KEYS,
  genericToAlert,
  deriveObservables,
  parseAlertTime,
  parseSeverity,
  type GenericAlert,
  type Normalised,
  type NormaliseContext,
} from "./formats/generic.js";
export { OcsfFinding, OCSF_FINDING_CLASSES, OCSF_OBSERVABLE_TYPES, isOcsf, ocsfToGeneric } from "./formats/ocsf.js";
export { MAP_TARGETS, parseMapOption, flatRecordToGeneric, isMapTarget, type FieldMap, type MapTarget } from "./formats/csv.js";
export { normaliseAlert, type InputKind, type NormaliseOptions, type NormaliseResult } from "./normalise.js";
export { dedupeKey } from "./dedupe.js";
export { ingestAlerts, toAlertRow, type IngestOptions, type IngestResult, type IngestVia } from "./ingest.js";
export { reviseAlerts } from "./revise.js";
export { importAlertFile, type ImportOptions, type ImportProgress, type ImportResult } from "./import.js";
export { FILE_FORMATS, formatFromName, isGzipFile, openRecords, type FileFormat, type SourceRecord } from "./readers.js";
export { getAlert, listAlerts, ListAlertsOptions, type StoredAlert } from "./query.js";
export type { Issue } from "./issues.js";
export {
  ingestEvents,
  importEventFiles,
  type EventImportProgress,
  type ImportEventFilesOptions,
  type ImportEventFilesResult,
  type IngestEventsOptions,
  type IngestEventsResult,
} from "./events.js";
