import path from "node:path";
import { DETECT_JOB, ValidationError, isoNow, systemClock, type Clock } from "../core/index.js";
import { eventTime, normaliseEvent } from "../detect/engine.js";
import { listEventFiles, readEventFiles, type EventFileError } from "../detect/readers/index.js";
import { insertEvents, toNewEvent, type NewEvent } from "../events/index.js";
import { enqueue, inTransaction, type Db, type Executor } from "../store/index.js";
import { summarise } from "./ingest.js";
import { prefixPath, type Issue } from "./issues.js";

export interface IngestEventsOptions {
  /** Where the batch came from (`api`, a file): each event's record is its 1-based position in it. */
  origin: { file: string };
  /** Per input (same index), instead of `origin`: the file and record the event was read from. */
  origins?: { file: string; record: number }[];
  clock?: Clock;
}

export interface IngestEventsResult {
  /** Per input, in order: the event's id (the stored one for a duplicate). */
  ids: string[];
  stored: number;
  duplicates: number;
  /** Events without a time in a field Nightshift reads (TIME_FIELDS): stored with their arrival time. */
  untimed: number;
}

const MAX_ISSUES = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : `a ${typeof value}`;
}

/**
 * Stores raw events (EVTX-flat, Winlogbeat/ECS, NXLog or `{Event: …}` documents, normalised to the flat
 * EVTX naming) and queues `events.detect` for the new ones, in one transaction (the caller's, when given
 * one). Every input is checked first: one that is not a JSON object stores nothing. Idempotent: an event
 * already stored (same content key) is counted as a duplicate and not detected on again.
 */
export async function ingestEvents(ex: Executor, inputs: unknown[], options: IngestEventsOptions): Promise<IngestEventsResult> {
  const receivedAt = isoNow(options.clock ?? systemClock);
  const issues: Issue[] = [];
  let issueCount = 0;
  const rows: NewEvent[] = [];
  let untimed = 0;
  const addIssue = (issue: Issue) => {
    issueCount++;
    if (issues.length < MAX_ISSUES) issues.push(issue);
  };
  inputs.forEach((input, index) => {
    const at = `[${index}]`;
    if (!isObject(input)) return addIssue({ path: at, message: `expected a JSON object (one event), got ${describe(input)}` });
    if (Object.keys(input).length === 0) return addIssue({ path: at, message: "an event needs at least one field" });
    const origin = options.origins?.[index] ?? { file: options.origin.file, record: index + 1 };
    try {
      const event = normaliseEvent(input);
      if (eventTime(event) === null) untimed++;
      rows.push(toNewEvent(event, origin, receivedAt));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      if (error.issues.length === 0) addIssue({ path: at, message: error.message });
      for (const issue of error.issues) addIssue({ path: prefixPath(at, issue.path), message: issue.message });
    }
  });
  if (issueCount) throw new ValidationError(`invalid event${inputs.length > 1 ? "s" : ""}: ${summarise(issues, issueCount)}`, issues);
  if (rows.length === 0) return { ids: [], stored: 0, duplicates: 0, untimed };
  const store = async (trx: Executor) => {
    const { inserted } = await insertEvents(trx, rows);
    // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
    if (inserted.length) await enqueue(trx, DETECT_JOB, { ids: inserted });
    return inserted.length;
  };
  const stored = await inTransaction(ex, store);
  return { ids: rows.map((row) => row.id), stored, duplicates: rows.length - stored, untimed };
}

export interface EventImportProgress {
  bytes: number;
  totalBytes: number;
  events: number;
  stored: number;
}

export interface ImportEventFilesOptions {
  clock?: Clock;
  onProgress?: (progress: EventImportProgress) => void;
  /** Each unreadable file or record, as it is skipped. */
  onError?: (error: EventFileError) => void;
  batchSize?: number;
}

export interface ImportEventFilesResult {
  files: number;
  events: number;
  stored: number;
  duplicates: number;
  /** Events without a time in a field Nightshift reads: stored with their arrival time. */
  untimed: number;
  /** Unreadable files and records, skipped. */
  errors: number;
  /** The first few of them, `file:record: message`. */
  errorSamples: string[];
}

const MAX_ERROR_SAMPLES = 20;
const DEFAULT_BATCH_SIZE = 1000;

/**
 * Streams event files (EVTX, JSON, JSON lines, .gz, .zip; folders recursively) into the event store, one
 * transaction per batch (each queues its own `events.detect`). Memory stays flat whatever the input size.
 * A path that does not exist stores nothing; unreadable records are skipped and counted.
 */
export async function importEventFiles(db: Db, paths: string[], options: ImportEventFilesOptions = {}): Promise<ImportEventFilesResult> {
  if (paths.length === 0) throw new ValidationError("no input given", [{ path: "paths", message: "give at least one event file or folder" }]);
  const { files, missing } = await listEventFiles(paths.map((p) => path.resolve(p)));
  if (missing.length)
    throw new ValidationError(
      `input not found: ${missing.join(", ")}; nothing was stored`,
      missing.map((file) => ({ path: file, message: "no such file or directory" })),
    );
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const result: ImportEventFilesResult = { files: files.length, events: 0, stored: 0, duplicates: 0, untimed: 0, errors: 0, errorSamples: [] };
  const onError = (error: EventFileError) => {
    result.errors++;
    if (result.errorSamples.length < MAX_ERROR_SAMPLES)
      result.errorSamples.push(`${error.file}${error.record === undefined ? "" : `:${error.record}`}: ${error.message}`);
    options.onError?.(error);
  };
  let progress = { bytes: 0, totalBytes: files.reduce((sum, file) => sum + file.size, 0) };
  const report = () => options.onProgress?.({ ...progress, events: result.events, stored: result.stored });
  let events: Record<string, unknown>[] = [];
  let origins: { file: string; record: number }[] = [];
  const flush = async () => {
    if (!events.length) return;
    const batch = await ingestEvents(db, events, { origin: { file: origins[0]!.file }, origins, clock: options.clock });
    result.stored += batch.stored;
    result.duplicates += batch.duplicates;
    result.untimed += batch.untimed;
    events = [];
    origins = [];
    report();
  };
  const records = readEventFiles(
    files.map((file) => file.path),
    {
      onError,
      onProgress: (p) => {
        progress = { bytes: p.bytes, totalBytes: p.totalBytes };
        report();
      },
    },
  );
  for await (const record of records) {
    if (Object.keys(record.event).length === 0) {
      onError({ file: record.file, record: record.record, message: "empty event (no fields)" });
      continue;
    }
    result.events++;
    events.push(record.event);
    origins.push({ file: record.file, record: record.record });
    if (events.length >= batchSize) await flush();
  }
  await flush();
  return result;
}
