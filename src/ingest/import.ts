import { stat } from "node:fs/promises";
import path from "node:path";
import { NotFoundError, ValidationError, isoNow, systemClock, type Clock } from "../core/index.js";
import type { Db } from "../store/index.js";
import { columnForPath, flatRecordToGeneric, isMapTarget, MAP_TARGETS, type FieldMap } from "./formats/csv.js";
import { ingestAlerts } from "./ingest.js";
import { prefixPath, type Issue } from "./issues.js";
import { normaliseAlert, type InputKind } from "./normalise.js";
import { FILE_FORMATS, formatFromName, openRecords, type FileFormat, type SourceRecord } from "./readers.js";

export interface ImportProgress {
  /** Pass 1 validates the whole file, pass 2 imports it: each reads the file once. */
  phase: "validate" | "import";
  records: number;
  bytes: number;
  totalBytes: number;
}

export interface ImportOptions {
  format?: FileFormat;
  /** target → source column (see parseMapOption). */
  map?: Record<string, string>;
  clock?: Clock;
  batchSize?: number;
  /** The cap on one line or record, in characters (default MAX_RECORD_CHARS, 64 Mi). */
  maxRecordChars?: number;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportResult {
  records: number;
  created: number;
  duplicates: number;
}

const MAX_FILE_ISSUES = 20;
const DEFAULT_BATCH_SIZE = 500;
const PROGRESS_EVERY = 1000;

function checkMap(map: Record<string, string> | undefined, format: FileFormat): FieldMap | undefined {
  if (!map) return undefined;
  const issues: Issue[] = [];
  for (const [target, source] of Object.entries(map)) {
    if (!isMapTarget(target)) issues.push({ path: `map.${target}`, message: `unknown target "${target}"; accepted targets: ${MAP_TARGETS.join(", ")}` });
    else if (typeof source !== "string" || !source.trim()) issues.push({ path: `map.${target}`, message: "expected a source column name" });
  }
  if (format === "ocsf") issues.push({ path: "map", message: "--map applies to flat records (CSV, JSON), not to OCSF findings" });
  if (issues.length) throw new ValidationError(`invalid --map: ${issues.map((i) => i.message).join("; ")}`, issues);
  return map as FieldMap;
}

/** The input a record stands for, and which column fed which field (to name columns in errors). */
function toInput(record: SourceRecord, format: FileFormat, map: FieldMap | undefined): { input: unknown; columns?: Map<string, string> } {
  const value = record.value;
  const flat = typeof value === "object" && value !== null && !Array.isArray(value);
  if (format === "csv" || (map && flat && format !== "ocsf")) {
    const { alert, columns } = flatRecordToGeneric(value as Record<string, unknown>, map);
    return { input: alert, columns };
  }
  return { input: value };
}

function where(record: SourceRecord): string {
  return record.line !== undefined && record.line !== record.record ? ` (line ${record.line})` : "";
}

/**
 * Imports an alert file: NDJSON, JSON (object or array), CSV or OCSF, gzip or not, streamed in every
 * format (a record longer than the cap is an error naming it). Bad input changes nothing: pass 1
 * validates every record and reports the first problems with their record numbers; pass 2 imports in
 * batches. Re-importing a file creates nothing new (the dedupe key of each alert).
 */
export async function importAlertFile(db: Db, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const absolute = path.resolve(file);
  const info = await stat(absolute).catch(() => null);
  if (!info?.isFile()) throw new NotFoundError(`alert file ${absolute}`);
  const format = options.format ?? formatFromName(absolute);
  if (!format || !FILE_FORMATS.includes(format))
    throw new ValidationError(`cannot tell the format of ${absolute}: give one of ${FILE_FORMATS.join(", ")}`, [
      { path: "format", message: `expected one of ${FILE_FORMATS.join(", ")} (from the option or a .ndjson/.jsonl/.json/.csv name, optionally .gz)` },
    ]);
  const map = checkMap(options.map, format);
  const kind: InputKind = format === "ocsf" ? "ocsf" : "auto";
  const clock = options.clock ?? systemClock;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);

  // Pass 1: every record, nothing written.
  const issues: Issue[] = [];
  let invalid = 0;
  let records = 0;
  const limits = options.maxRecordChars === undefined ? {} : { maxRecordChars: options.maxRecordChars };
  let reader = await openRecords(absolute, format, limits);
  const progress = (phase: ImportProgress["phase"]) =>
    options.onProgress?.({ phase, records, bytes: reader.bytesRead(), totalBytes: reader.totalBytes });
  const receivedAt = isoNow(clock);
  try {
    for await (const record of reader.records) {
      records++;
      const at = `record[${record.record}]`;
      if (record.record === 1 && format === "csv" && map && record.value) {
        const header = Object.keys(record.value);
        for (const [target, source] of Object.entries(map))
          if (!header.includes(source))
            issues.push({ path: `map.${target}`, message: `column "${source}" is not in the file (columns: ${header.join(", ")})` });
      }
      let recordIssues: Issue[];
      if (record.error !== undefined) recordIssues = [{ path: at, message: `${record.error}${where(record)}` }];
      else {
        const { input, columns } = toInput(record, format, map);
        const result = normaliseAlert(input, { id: "validation", receivedAt, origin: { via: "file", file: absolute, record: record.record }, kind });
        recordIssues = result.ok
          ? []
          : result.issues.map((issue) => {
              const column = columns && columnForPath(columns, issue.path);
              const suffix = column && column !== issue.path ? ` (column "${column}")` : "";
              return { path: prefixPath(at, issue.path), message: `${issue.message}${suffix}${where(record)}` };
            });
      }
      if (recordIssues.length) invalid++;
      for (const issue of recordIssues) if (issues.length < MAX_FILE_ISSUES) issues.push(issue);
      if (records % PROGRESS_EVERY === 0) progress("validate");
    }
  } catch (error) {
    throw unreadable(absolute, error);
  }
  progress("validate");
  if (issues.length) {
    const what = invalid ? `${invalid} of ${records} records are invalid` : "the mapping does not fit the file";
    const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join("; ");
    throw new ValidationError(`${absolute}: ${what}; nothing was imported. ${shown}${issues.length > 3 ? "; …" : ""}`, issues);
  }

  // Pass 2: batches, each in its own transaction.
  let created = 0;
  records = 0;
  reader = await openRecords(absolute, format, limits);
  let inputs: unknown[] = [];
  let origins: { file: string; record: number }[] = [];
  const flush = async () => {
    if (!inputs.length) return;
    const { results } = await ingestAlerts(db, inputs, { via: "file", clock, origins, batch: true, kind });
    created += results.filter((r) => r.created).length;
    inputs = [];
    origins = [];
    progress("import");
  };
  try {
    for await (const record of reader.records) {
      if (record.error !== undefined) throw new Error(`${absolute} changed while it was imported: record ${record.record}: ${record.error}`);
      records++;
      inputs.push(toInput(record, format, map).input);
      origins.push({ file: absolute, record: record.record });
      if (inputs.length >= batchSize) await flush();
    }
    await flush();
  } catch (error) {
    throw unreadable(absolute, error);
  }
  return { records, created, duplicates: records - created };
}

/** A file that cannot be read (a corrupt gzip stream) is bad input too; database errors pass through. */
function unreadable(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && (code.startsWith("Z_") || code.startsWith("CSV_")))
    return new ValidationError(`${file} cannot be read: ${(error as Error).message}`, [{ path: "file", message: (error as Error).message }]);
  return error;
}
