export { readEventFiles, listEventFiles, kindOf, SUPPORTED_EXTENSIONS } from "./read.js";
export type { EventFileRecord, EventFileError, EventFileProgress, ReadEventFilesOptions } from "./read.js";
