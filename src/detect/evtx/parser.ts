import { open } from "node:fs/promises";
import { crc32 } from "node:zlib";
import { ChunkDecoder, filetimeToIso, isElement, joinParts } from "./binxml.js";
import type { XElement, XValue } from "./binxml.js";

export interface EvtxRecord {
  record_id: number;
  /** The record's write time, ISO-8601 UTC with microseconds. */
  time: string;
  /** Flat event: System fields (attributes as `Element_Attr`), EventData by Data Name, UserData by element name. */
  event: Record<string, unknown>;
}

export interface EvtxError {
  /** Chunk index (0-based); -1 for the file header. */
  chunk: number;
  record?: number;
  message: string;
}

export interface ReadEvtxOptions {
  onError?: (error: EvtxError) => void;
  /** Verify the chunk header and record-data CRC32s; a chunk that fails is reported and skipped. */
  verifyChecksums?: boolean;
}

const FILE_HEADER_SIZE = 4096;
const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const RECORD_MAGIC = 0x00002a2a;
const FILE_MAGIC = Buffer.from("ElfFile\0", "latin1");
const CHUNK_MAGIC = Buffer.from("ElfChnk\0", "latin1");

/** Streams the records of an EVTX file, one 64 KiB chunk in memory at a time. */
export async function* readEvtx(file: string, options: ReadEvtxOptions = {}): AsyncGenerator<EvtxRecord> {
  const report = options.onError ?? (() => undefined);
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(FILE_HEADER_SIZE);
    const { bytesRead } = await handle.read(header, 0, FILE_HEADER_SIZE, 0);
    if (bytesRead < 8 || !header.subarray(0, 8).equals(FILE_MAGIC)) {
      throw new Error(`${file} is not an EVTX file (missing ElfFile signature)`);
    }
    const chunk = Buffer.alloc(CHUNK_SIZE);
    for (let index = 0; ; index++) {
      const position = FILE_HEADER_SIZE + index * CHUNK_SIZE;
      const { bytesRead: got } = await handle.read(chunk, 0, CHUNK_SIZE, position);
      if (got === 0) break;
      if (got < CHUNK_SIZE) {
        // A log copied while being written can end mid-chunk: keep the records that made it.
        report({ chunk: index, message: `truncated chunk (${got} of ${CHUNK_SIZE} bytes)` });
        chunk.fill(0, got);
        yield* parseChunk(chunk, index, false, report, got);
        break;
      }
      yield* parseChunk(chunk, index, options.verifyChecksums ?? false, report);
    }
  } finally {
    await handle.close();
  }
}

/** Parses one chunk; exported for tests and for callers that already hold chunk bytes. */
export function* parseChunk(
  chunk: Buffer,
  index: number,
  verifyChecksums: boolean,
  report: (error: EvtxError) => void,
  available = CHUNK_SIZE,
): Generator<EvtxRecord> {
  if (!chunk.subarray(0, 8).equals(CHUNK_MAGIC)) {
    // Pre-allocated chunks at the end of a log are all zeros; only report real damage.
    if (chunk.some((byte) => byte !== 0)) report({ chunk: index, message: "bad chunk signature" });
    return;
  }
  const freeSpace = Math.min(chunk.readUInt32LE(48), available);
  if (verifyChecksums) {
    const headerCrc = crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120)));
    if (headerCrc !== chunk.readUInt32LE(124)) {
      report({ chunk: index, message: "chunk header checksum mismatch" });
      return;
    }
    if (freeSpace >= CHUNK_HEADER_SIZE && crc32(chunk.subarray(CHUNK_HEADER_SIZE, freeSpace)) !== chunk.readUInt32LE(52)) {
      report({ chunk: index, message: "chunk record checksum mismatch" });
      return;
    }
  }
  const decoder = new ChunkDecoder(chunk);
  let p = CHUNK_HEADER_SIZE;
  while (p + 28 <= freeSpace) {
    const size = chunk.readUInt32LE(p + 4);
    if (chunk.readUInt32LE(p) !== RECORD_MAGIC || size < 28 || p + size > available) {
      report({ chunk: index, message: `record at chunk offset ${p} is damaged or cut off` });
      const next = findNextRecord(chunk, p + 1, freeSpace);
      if (next === -1) return;
      p = next;
      continue;
    }
    const recordId = Number(chunk.readBigUInt64LE(p + 8));
    try {
      const time = filetimeToIso(chunk.readBigUInt64LE(p + 16));
      const root = decoder.decodeRecord(p + 24, p + size - 4);
      yield { record_id: recordId, time, event: flattenEvent(root) };
    } catch (error) {
      report({ chunk: index, record: recordId, message: error instanceof Error ? error.message : String(error) });
    }
    p += size;
  }
}

function findNextRecord(chunk: Buffer, from: number, end: number): number {
  for (let p = from; p + 28 <= end; p++) {
    if (chunk.readUInt32LE(p) !== RECORD_MAGIC) continue;
    const size = chunk.readUInt32LE(p + 4);
    // A genuine record repeats its size in its last four bytes.
    if (size >= 28 && p + size <= CHUNK_SIZE && chunk.readUInt32LE(p + size - 4) === size) return p;
  }
  return -1;
}

function textOf(element: XElement): XValue {
  return joinParts(element.children);
}

/** Strings are trimmed like the SigmaHQ JSON twins (Windows often pads command lines with a space). */
function plain(value: XValue): unknown {
  if (typeof value === "string") return value.trim();
  if (Array.isArray(value)) return value.some(isElement) ? undefined : value;
  return value;
}

function ownAttributes(element: XElement) {
  return element.attributes.filter((attribute) => attribute.name !== "xmlns" && !attribute.name.startsWith("xmlns:"));
}

function put(event: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  event[key] = value;
}

/** Flattens `<Event>` into the SigmaHQ field naming used by the regression data's JSON twins. */
export function flattenEvent(root: XElement): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const section of root.children) {
    if (!isElement(section)) continue;
    if (section.name === "System") flattenSystem(section, event);
    else if (section.name === "EventData") flattenEventData(section, event);
    else flattenTree(section, event, "");
  }
  return event;
}

function flattenSystem(system: XElement, event: Record<string, unknown>): void {
  for (const field of system.children) {
    if (!isElement(field)) continue;
    for (const attribute of ownAttributes(field)) put(event, `${field.name}_${attribute.name}`, plain(attribute.value));
    const text = textOf(field);
    if (text !== null) put(event, field.name, plain(text));
  }
}

function flattenEventData(data: XElement, event: Record<string, unknown>): void {
  const unnamed: unknown[] = [];
  for (const attribute of ownAttributes(data)) put(event, `EventData_${attribute.name}`, plain(attribute.value));
  for (const item of data.children) {
    if (!isElement(item)) continue;
    const name = item.attributes.find((attribute) => attribute.name === "Name")?.value;
    const nested = item.children.filter(isElement);
    if (nested.length > 0) {
      flattenTree(item, event, "");
      continue;
    }
    const value = plain(textOf(item));
    if (item.name === "Data" && (name === undefined || name === null || name === "")) {
      if (Array.isArray(value)) unnamed.push(...(value as unknown[]));
      else unnamed.push(value ?? "");
    }
    else put(event, item.name === "Data" ? String(name) : item.name, value ?? "");
  }
  if (unnamed.length > 0) event.Data = unnamed;
}

/** UserData and other sections: leaves keyed by element name; on a clash the parent's name prefixes it. */
function flattenTree(element: XElement, event: Record<string, unknown>, parent: string): void {
  const children = element.children.filter(isElement);
  const key = parent && element.name in event ? `${parent}_${element.name}` : element.name;
  for (const attribute of ownAttributes(element)) put(event, `${key}_${attribute.name}`, plain(attribute.value));
  if (children.length === 0) {
    const text = textOf(element);
    if (parent !== "" || text !== null) put(event, key, plain(text) ?? "");
    return;
  }
  for (const child of children) flattenTree(child, event, element.name);
}
