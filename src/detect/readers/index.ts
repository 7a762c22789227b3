export { readEventFiles, listEventFiles, kindOf, unsupportedReason, SUPPORTED_EXTENSIONS } from "./read.js";
export type { EventFileRecord, EventFileError, EventFileProgress, ReadEventFilesOptions } from "./read.js";
