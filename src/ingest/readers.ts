import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { CsvError, parse } from "csv-parse";
import { parseJson } from "../core/index.js";
import { jsonFileRecords } from "./json-stream.js";
import { MAX_RECORD_CHARS, splitLines, textChunks, type ScanStats, type StreamLimits } from "./stream-text.js";

export const FILE_FORMATS = ["ndjson", "json", "csv", "ocsf"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** One record of a file: its parsed value, or why it could not be read. */
export interface SourceRecord {
  /** 1-based, counting records (not blank lines or a CSV header). */
  record: number;
  /** The line it ends on, where the format has lines. */
  line?: number;
  value?: unknown;
  error?: string;
}

export interface RecordReader {
  records: AsyncGenerator<SourceRecord>;
  /** Bytes of the file consumed so far (compressed bytes for a gzip file). */
  bytesRead(): number;
  totalBytes: number;
}

/** `alerts.ndjson.gz` → ndjson; null when the name does not say. */
export function formatFromName(file: string): Exclude<FileFormat, "ocsf"> | null {
  const name = path.basename(file).toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".ndjson") || name.endsWith(".jsonl")) return "ndjson";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".csv")) return "csv";
  return null;
}

/** Gzip by its magic bytes, whatever the file is called. */
export async function isGzipFile(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function openBytes(file: string): Promise<{ source: Readable; bytesRead: () => number }> {
  const raw = createReadStream(file);
  if (!(await isGzipFile(file))) return { source: raw, bytesRead: () => raw.bytesRead };
  const gunzip = createGunzip();
  raw.on("error", (error) => gunzip.destroy(error));
  return { source: raw.pipe(gunzip), bytesRead: () => raw.bytesRead };
}

/** Every line is one record; an overlong line is an error naming its record and line. */
async function* ndjsonRecords(source: Readable, limits: StreamLimits): AsyncGenerator<SourceRecord> {
  let record = 0;
  for await (const item of splitLines(textChunks(source), limits)) {
    if ("overlong" in item) {
      yield { record: ++record, line: item.line, error: `line ${item.line} is longer than ${limits.maxRecordChars} characters (the cap on one record)` };
      continue;
    }
    if (!item.text.trim()) continue;
    record++;
    try {
      yield { record, line: item.line, value: parseJson(item.text) };
    } catch (error) {
      yield { record, line: item.line, error: `invalid JSON: ${(error as Error).message}` };
    }
  }
}

/** A JSON document: an array is streamed element by element, anything else is one record. */
async function* jsonRecords(source: Readable, limits: StreamLimits): AsyncGenerator<SourceRecord> {
  yield* jsonFileRecords(textChunks(source), limits);
}

async function* csvRecords(source: Readable, limits: StreamLimits): AsyncGenerator<SourceRecord> {
  const parser = parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: limits.maxRecordChars });
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);
  let record = 0;
  try {
    for await (const row of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; error?: Error } }>) {
      record++;
      // A row with more or fewer cells than the header would silently lose or shift values.
      if (row.info.error) yield { record, line: row.info.lines, error: row.info.error.message };
      else yield { record, line: row.info.lines, value: row.record };
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const { lines: line, records: parsed } = error as CsvError & { lines?: number; records?: number };
    // Records the parser had read but not yet handed over when it failed still count (the error names the next).
    const at = Math.max(record, typeof parsed === "number" ? parsed : 0) + 1;
    yield { record: at, ...(line === undefined ? {} : { line }), error: error.message };
  } finally {
    source.destroy();
  }
}

/** OCSF comes as NDJSON or as a JSON document; the name tells, or else the first character does. */
async function ocsfLayout(file: string): Promise<"ndjson" | "json"> {
  const byName = formatFromName(file);
  if (byName === "ndjson" || byName === "json") return byName;
  const { source } = await openBytes(file);
  try {
    // Only up to the first character that is not white space: never a whole (possibly huge) line.
    for await (const text of textChunks(source)) {
      const trimmed = text.trimStart();
      if (trimmed) return trimmed.startsWith("[") ? "json" : "ndjson";
    }
    return "ndjson";
  } finally {
    source.destroy();
  }
}

export interface ReadLimits {
  /** The cap on one line or record, in characters (default MAX_RECORD_CHARS). */
  maxRecordChars?: number;
  stats?: ScanStats;
}

/**
 * Streams the records of a file (gunzipping transparently): no format is ever held in memory whole, and
 * each character is examined a bounded number of times, so time and memory grow linearly with the file
 * and with its longest record (at most `maxRecordChars`).
 */
export async function openRecords(file: string, format: FileFormat, options: ReadLimits = {}): Promise<RecordReader> {
  const limits: StreamLimits = { maxRecordChars: options.maxRecordChars ?? MAX_RECORD_CHARS, ...(options.stats && { stats: options.stats }) };
  const totalBytes = (await stat(file)).size;
  const layout = format === "ocsf" ? await ocsfLayout(file) : format;
  const { source, bytesRead } = await openBytes(file);
  const read = layout === "csv" ? csvRecords : layout === "json" ? jsonRecords : ndjsonRecords;
  async function* records(): AsyncGenerator<SourceRecord> {
    try {
      yield* read(source, limits);
    } finally {
      source.destroy();
    }
  }
  return { records: records(), bytesRead, totalBytes };
}
