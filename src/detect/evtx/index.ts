export { readEvtx, parseChunk, flattenEvent } from "./parser.js";
export type { EvtxRecord, EvtxError, ReadEvtxOptions } from "./parser.js";
