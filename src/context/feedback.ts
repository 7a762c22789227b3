import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { NotFoundError, ValidationError, isoNow, systemClock, type Alert, type Clock, type Verdict } from "../core/index.js";
import { flatRecordToGeneric, formatFromName, isMapTarget, MAP_TARGETS, normaliseAlert, openRecords, type FieldMap, type FileFormat, type Issue, type SourceRecord } from "../ingest/index.js";
import { inTransaction, type Executor, type FeedbackTable } from "../store/index.js";
import { hostKey, ipKey } from "./normalise.js";
import { getAssetRecord } from "./queries.js";

/**
 * Analyst feedback: how humans judged alerts, as history the crew weighs (crew.md step 3: dispositions are
 * signal on the history axis; step 4: a consistent benign precedent may close). Two writers, one table:
 * `importFeedback` (an old SOAR's or SIEM's decisions in bulk) and `recordCaseFeedback` (a human closing or
 * resolving a live case with a verdict). Feedback is never work in the queue and never a case.
 */

/** The shape keys of an alert, as stored and as looked up (context/precedent.ts). */
export interface AlertShape {
  source: string;
  rule: string;
  host: string | null;
  srcIp: string | null;
}

export function shapeOf(alert: Alert): AlertShape {
  const rule = (alert.rule?.id ?? alert.rule?.title ?? alert.title).trim().toLowerCase();
  const host = alert.host?.name ? hostKey(alert.host.name) : alert.host?.ip[0] ? ipKey(alert.host.ip[0]) : null;
  return { source: alert.source.trim().toLowerCase(), rule, host, srcIp: alert.src?.ip ? ipKey(alert.src.ip) : null };
}

export const FEEDBACK_FORMATS = ["csv", "ndjson"] as const satisfies readonly FileFormat[];
export type FeedbackFormat = (typeof FEEDBACK_FORMATS)[number];

/** At most this many rows per import (a history larger than this is imported in parts). */
export const MAX_FEEDBACK_ROWS = 5_000_000;
const BATCH = 1000;
const MAX_ISSUES = 20;

export interface FeedbackImportOptions {
  format?: FeedbackFormat;
  /** target → source column, exactly as `ingest alerts --map`. */
  map?: FieldMap;
  /** The column holding the analyst's label. */
  label: string;
  /** Label values that mean false positive; every other value is a true positive. Compared case-insensitively. */
  benign: string[];
  /**
   * Host → role for the history's hosts, consulted before the CMDB: history exported from another estate (an
   * old SOAR's, a sister site's) names hosts this CMDB does not hold, and precedent carries across hosts by role.
   */
  roles?: Record<string, string>;
  clock?: Clock;
  onProgress?: (p: { phase: "validate" | "import"; records: number; bytes: number; totalBytes: number }) => void;
}

export interface FeedbackImportResult {
  records: number;
  created: number;
  duplicates: number;
  benign: number;
  malicious: number;
  /** Label value → rows, for the operator to check the benign list. */
  labels: Record<string, number>;
}

function labelOf(value: unknown, column: string): string | null {
  if (!value || typeof value !== "object") return null;
  let cursor: unknown = value;
  for (const part of column.split(".")) {
    if (!cursor || typeof cursor !== "object") return null;
    cursor = (cursor as Record<string, unknown>)[part];
  }
  if (cursor === undefined || cursor === null) return null;
  const text = typeof cursor === "string" ? cursor : typeof cursor === "number" || typeof cursor === "boolean" ? String(cursor) : null;
  return text === null ? null : text.trim();
}

function checkOptions(options: FeedbackImportOptions): Issue[] {
  const issues: Issue[] = [];
  for (const [target, source] of Object.entries(options.map ?? {})) {
    if (!isMapTarget(target)) issues.push({ path: `map.${target}`, message: `unknown target "${target}"; accepted targets: ${MAP_TARGETS.join(", ")}` });
    else if (typeof source !== "string" || !source.trim()) issues.push({ path: `map.${target}`, message: "expected a source column name" });
  }
  if (!options.label?.trim()) issues.push({ path: "label", message: "name the column holding the analyst's label" });
  if (!options.benign.length || options.benign.some((v) => !v.trim())) issues.push({ path: "benign", message: "give at least one non-empty benign label value" });
  return issues;
}

interface Row {
  alert: Alert;
  label: string;
  benign: boolean;
  id: string;
  ref: string;
}

/**
 * Imports a labelled history file (CSV or NDJSON, gzip too) as analyst feedback. Each row is read through
 * the alert normaliser with the same `--map` as `ingest alerts`; its label decides false positive (a benign
 * value) or true positive (any other). Bad input changes nothing: pass 1 validates every row, pass 2 writes
 * in batches. Re-importing a file adds nothing (an id per file name, record number and content).
 */
export async function importFeedback(db: Executor, file: string, options: FeedbackImportOptions): Promise<FeedbackImportResult> {
  const absolute = path.resolve(file);
  const info = await stat(absolute).catch(() => null);
  if (!info?.isFile()) throw new NotFoundError(`feedback file ${absolute}`);
  const named = formatFromName(absolute);
  const format = options.format ?? (named === "csv" || named === "ndjson" ? named : null);
  if (!format || !(FEEDBACK_FORMATS as readonly string[]).includes(format))
    throw new ValidationError(`cannot tell the format of ${absolute}: give --format csv or ndjson`, [{ path: "format", message: `expected one of ${FEEDBACK_FORMATS.join(", ")}` }]);
  const optionIssues = checkOptions(options);
  if (optionIssues.length) throw new ValidationError(`invalid feedback options: ${optionIssues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, optionIssues);
  const clock = options.clock ?? systemClock;
  const benignValues = new Set(options.benign.map((v) => v.trim().toLowerCase()));
  const receivedAt = isoNow(clock);
  const base = path.basename(absolute);

  const toRow = (record: SourceRecord): { row?: Row; issues: Issue[] } => {
    const at = `record[${record.record}]`;
    if (record.error !== undefined) return { issues: [{ path: at, message: record.error }] };
    const value = record.value;
    if (!value || typeof value !== "object" || Array.isArray(value)) return { issues: [{ path: at, message: "expected a flat record" }] };
    const label = labelOf(value, options.label);
    if (label === null || label === "") return { issues: [{ path: `${at}.${options.label}`, message: `no label in column "${options.label}"` }] };
    const { alert: input } = flatRecordToGeneric(value as Record<string, unknown>, options.map);
    const result = normaliseAlert(input, { id: "feedback", receivedAt, origin: { via: "file", file: absolute, record: record.record }, kind: "auto" });
    if (!result.ok) return { issues: result.issues.map((i) => ({ path: `${at}.${i.path}`, message: i.message })) };
    const ref = `${base}:${record.record}`;
    const id = createHash("sha256").update(`import\n${ref}\n${JSON.stringify(value)}`).digest("hex").slice(0, 40);
    return { row: { alert: result.alert, label, benign: benignValues.has(label.toLowerCase()), id, ref }, issues: [] };
  };

  // Pass 1: every row, nothing written.
  const issues: Issue[] = [];
  let records = 0;
  let reader = await openRecords(absolute, format);
  const progress = (phase: "validate" | "import") => options.onProgress?.({ phase, records, bytes: reader.bytesRead(), totalBytes: reader.totalBytes });
  for await (const record of reader.records) {
    records++;
    if (records > MAX_FEEDBACK_ROWS)
      throw new ValidationError(`${absolute} holds more than ${MAX_FEEDBACK_ROWS} rows; nothing was imported (split the file)`, [{ path: "file", message: `over ${MAX_FEEDBACK_ROWS} rows` }]);
    if (record.record === 1 && format === "csv" && record.value && typeof record.value === "object") {
      const header = Object.keys(record.value);
      for (const [target, source] of Object.entries(options.map ?? {}))
        if (!header.includes(source)) issues.push({ path: `map.${target}`, message: `column "${source}" is not in the file (columns: ${header.join(", ")})` });
      if (!header.includes(options.label)) issues.push({ path: "label", message: `column "${options.label}" is not in the file (columns: ${header.join(", ")})` });
    }
    for (const issue of toRow(record).issues) if (issues.length < MAX_ISSUES) issues.push(issue);
    if (records % 5000 === 0) progress("validate");
  }
  if (issues.length) {
    const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join("; ");
    throw new ValidationError(`${absolute}: nothing was imported. ${shown}${issues.length > 3 ? "; …" : ""}`, issues);
  }

  // Pass 2: batches, each in its own transaction.
  const roles = new Map<string, string | null>(Object.entries(options.roles ?? {}).map(([host, role]) => [host.trim().toLowerCase(), role.trim().toLowerCase() || null]));
  const result: FeedbackImportResult = { records: 0, created: 0, duplicates: 0, benign: 0, malicious: 0, labels: {} };
  let batch: Row[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    for (const r of rows) {
      const host = shapeOf(r.alert).host;
      if (host && !roles.has(host)) roles.set(host, (await getAssetRecord(db, host))?.asset.role?.trim().toLowerCase() ?? null);
    }
    const created = await insertFeedback(db, rows.map((r) => ({ ...feedbackValues(r.alert, { origin: "import", ref: r.ref, benign: r.benign, label: r.label, createdAt: receivedAt }), id: r.id, host_role: roles.get(shapeOf(r.alert).host ?? "") ?? null })));
    result.created += created;
    result.duplicates += rows.length - created;
    progress("import");
  };
  records = 0;
  reader = await openRecords(absolute, format);
  for await (const record of reader.records) {
    records++;
    const { row } = toRow(record);
    if (!row) throw new Error(`${absolute} changed while it was imported: record ${record.record}`);
    result.records++;
    result[row.benign ? "benign" : "malicious"]++;
    result.labels[row.label] = (result.labels[row.label] ?? 0) + 1;
    batch.push(row);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return result;
}

/** One row of the `feedback` table (store/database.ts owns its shape). */
type FeedbackValues = FeedbackTable;

function feedbackValues(alert: Alert, o: { origin: "import" | "case"; ref: string; benign: boolean; label: string; createdAt: string; role?: string | null }): FeedbackValues {
  const shape = shapeOf(alert);
  return {
    id: createHash("sha256").update(`${o.origin}\n${o.ref}`).digest("hex").slice(0, 40),
    origin: o.origin,
    ref: o.ref,
    source: shape.source,
    rule: shape.rule,
    host: shape.host,
    host_role: o.role ?? null,
    src_ip: shape.srcIp,
    benign: o.benign ? 1 : 0,
    label: o.label,
    title: alert.title.slice(0, 500),
    time: new Date(alert.time).toISOString(),
    created_at: o.createdAt,
  };
}

/** Inserts rows in one transaction; returns how many were new. */
async function insertFeedback(ex: Executor, rows: FeedbackValues[]): Promise<number> {
  const write = async (trx: Executor) => {
    let created = 0;
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      const result = await trx.insertInto("feedback").values(chunk).onConflict((oc) => oc.column("id").doNothing()).executeTakeFirst();
      created += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return created;
  };
  return inTransaction(ex, write);
}

/** Verdicts a human gives that say the alert was benign; true_positive says malicious; the rest say nothing. */
const BENIGN_VERDICTS: ReadonlySet<string> = new Set(["false_positive", "benign_true_positive"]);

/**
 * A human's verdict on a live case feeds the same store: one row per alert of the case (replacing what an
 * earlier verdict on the same case recorded). `duplicate` and `undetermined` teach nothing and write nothing.
 * Call it in the transaction that closes or resolves the case.
 */
export async function recordCaseFeedback(ex: Executor, caseId: string, verdict: Verdict, options: { clock?: Clock } = {}): Promise<number> {
  if (!BENIGN_VERDICTS.has(verdict) && verdict !== "true_positive") return 0;
  const rows = await ex.selectFrom("alerts").select(["id", "doc", "enrichment"]).where("case_id", "=", caseId).execute();
  const createdAt = isoNow(options.clock ?? systemClock);
  const values: FeedbackValues[] = [];
  for (const row of rows) {
    const alert = JSON.parse(row.doc) as Alert;
    const enrichment = row.enrichment ? (JSON.parse(row.enrichment) as { asset?: { role?: string } | null }) : null;
    values.push(
      feedbackValues(alert, { origin: "case", ref: `${caseId}:${row.id}`, benign: BENIGN_VERDICTS.has(verdict), label: verdict, createdAt, role: enrichment?.asset?.role?.trim().toLowerCase() ?? null }),
    );
  }
  if (!values.length) return 0;
  await ex.deleteFrom("feedback").where("origin", "=", "case").where("ref", "in", values.map((v) => v.ref)).execute();
  return insertFeedback(ex, values);
}


