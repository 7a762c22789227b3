import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { CsvError, parse } from "csv-parse";
import { parseJson } from "../core/index.js";

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

/** Lines without their terminators; a UTF-8 BOM at the start is dropped. */
async function* lines(source: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let first = true;
  for await (const chunk of source) {
    rest += decoder.write(chunk as Buffer);
    if (first && rest.length) {
      if (rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
      first = false;
    }
    let start = 0;
    let newline: number;
    while ((newline = rest.indexOf("\n", start)) >= 0) {
      yield rest.slice(start, newline).replace(/\r$/, "");
      start = newline + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.length) yield rest.replace(/\r$/, "");
}

async function* ndjsonRecords(source: Readable): AsyncGenerator<SourceRecord> {
  let line = 0;
  let record = 0;
  for await (const text of lines(source)) {
    line++;
    if (!text.trim()) continue;
    record++;
    try {
      yield { record, line, value: parseJson(text) };
    } catch (error) {
      yield { record, line, error: `invalid JSON: ${(error as Error).message}` };
    }
  }
}

/** A JSON document is parsed whole: an array is a batch of records, anything else one record. */
async function* jsonRecords(source: Readable): AsyncGenerator<SourceRecord> {
  const decoder = new StringDecoder("utf8");
  let text = "";
  for await (const chunk of source) text += decoder.write(chunk as Buffer);
  text += decoder.end();
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    yield { record: 1, error: `invalid JSON: ${(error as Error).message}` };
    return;
  }
  if (!Array.isArray(value)) {
    yield { record: 1, value };
    return;
  }
  for (let i = 0; i < value.length; i++) yield { record: i + 1, value: value[i] };
}

async function* csvRecords(source: Readable): AsyncGenerator<SourceRecord> {
  const parser = parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true });
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
    const line = (error as CsvError & { lines?: number }).lines;
    yield { record: record + 1, ...(line === undefined ? {} : { line }), error: error.message };
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
    for await (const text of lines(source)) {
      const trimmed = text.trim();
      if (trimmed) return trimmed.startsWith("[") ? "json" : "ndjson";
    }
    return "ndjson";
  } finally {
    source.destroy();
  }
}

/** Streams the records of a file (gunzipping transparently); NDJSON and CSV never sit in memory whole. */
export async function openRecords(file: string, format: FileFormat): Promise<RecordReader> {
  const totalBytes = (await stat(file)).size;
  const layout = format === "ocsf" ? await ocsfLayout(file) : format;
  const { source, bytesRead } = await openBytes(file);
  const read = layout === "csv" ? csvRecords : layout === "json" ? jsonRecords : ndjsonRecords;
  async function* records(): AsyncGenerator<SourceRecord> {
    try {
      yield* read(source);
    } finally {
      source.destroy();
    }
  }
  return { records: records(), bytesRead, totalBytes };
}
