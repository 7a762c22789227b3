import { ENRICH_JOB, ValidationError, isoNow, newId, systemClock, type Alert, type AlertOrigin, type Clock } from "../core/index.js";
import type { Insertable } from "kysely";
import { enqueueMany, inTransaction, toJson, type AlertsTable, type Executor } from "../store/index.js";
import { prefixPath, type Issue } from "./issues.js";
import { normaliseAlert, type InputKind } from "./normalise.js";

export type IngestVia = AlertOrigin["via"];

export interface IngestOptions {
  via: IngestVia;
  /** The authenticated deliverer (`webhook:<sender>`, `token:<id>`), kept in each alert's origin. */
  sender?: string;
  clock?: Clock;
  /** Per input (same index): the file and 1-based record it came from. */
  origins?: { file?: string; record?: number }[];
  /** Prefix issue paths with the input's index (`[3].severity`); default: when there is more than one input. */
  batch?: boolean;
  kind?: InputKind;
}

export interface IngestResult {
  /** Per input, in order: the stored alert's id, and whether this call created it (false for a duplicate). */
  results: { id: string; created: boolean }[];
}

/** Enough issues to fix a batch without turning an error response into a second copy of the batch. */
const MAX_ISSUES = 100;
const INSERT_CHUNK = 100;
const SELECT_CHUNK = 500;

interface Prepared {
  alert: Alert;
  dedupeKey: string;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function summarise(issues: Issue[], total = issues.length): string {
  const shown = issues.slice(0, 3).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  return `${shown.join("; ")}${total > shown.length ? ` (and ${total - shown.length} more)` : ""}`;
}

/** The alerts-table row of a normalised alert, as ingest stores it (stage `received`, no case yet). */
export function toAlertRow(alert: Alert, dedupeKey: string, duplicates = 0): Insertable<AlertsTable> {
  return {
    id: alert.id,
    dedupe_key: dedupeKey,
    source: alert.source,
    source_id: alert.source_id,
    time: alert.time,
    received_at: alert.received_at,
    title: alert.title,
    severity: alert.severity,
    rule_id: alert.rule?.id ?? null,
    host_name: alert.host?.name ?? null,
    user_name: alert.user?.name ?? null,
    origin_file: alert.origin.file ?? null,
    origin_record: alert.origin.record ?? null,
    doc: toJson(alert),
    enrichment: null,
    case_id: null,
    stage: "received",
    duplicates,
  };
}

/**
 * Stores alerts that are not there yet and queues their enrichment, in the caller's transaction.
 * Insert-or-nothing then read back makes concurrent writers of the same alert agree on one row: on
 * PostgreSQL the second insert waits on the unique dedupe key until the first commits. Keys are
 * inserted in sorted order so that two overlapping batches lock them in the same order (no deadlock).
 */
async function storeAlerts(trx: Executor, prepared: Prepared[]): Promise<IngestResult["results"]> {
  const firstByKey = new Map<string, Prepared>();
  const repeats = new Map<string, number>();
  for (const item of prepared) {
    if (!firstByKey.has(item.dedupeKey)) firstByKey.set(item.dedupeKey, item);
    else repeats.set(item.dedupeKey, (repeats.get(item.dedupeKey) ?? 0) + 1);
  }
  const keys = [...firstByKey.keys()].sort();
  for (const chunk of chunks(keys, INSERT_CHUNK)) {
    // A row already stored counts this delivery (and the batch's repeats) as collapsed duplicates.
    await trx
      .insertInto("alerts")
      .values(chunk.map((key) => toAlertRow(firstByKey.get(key)!.alert, key, repeats.get(key) ?? 0)))
      .onConflict((oc) =>
        oc.column("dedupe_key").doUpdateSet((eb) => ({
          duplicates: eb(eb(eb.ref("alerts.duplicates"), "+", eb.ref("excluded.duplicates")), "+", 1),
        })),
      )
      .execute();
  }
  const stored = new Map<string, string>();
  for (const chunk of chunks(keys, SELECT_CHUNK)) {
    const rows = await trx.selectFrom("alerts").select(["id", "dedupe_key"]).where("dedupe_key", "in", chunk).execute();
    for (const row of rows) stored.set(row.dedupe_key, row.id);
  }
  const results = prepared.map(({ alert, dedupeKey }) => {
    const id = stored.get(dedupeKey);
    if (!id) throw new Error(`alert with dedupe key ${dedupeKey} was neither inserted nor found`);
    return { id, created: id === alert.id };
  });
  const created = results.filter((result) => result.created).map((result) => ({ alert_id: result.id }));
  // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
  await enqueueMany(trx, ENRICH_JOB, created);
  return results;
}

/**
 * Validates every input first (nothing is written if one is bad), then stores the new alerts and queues
 * `alert.enrich` for each, in one transaction (the caller's, when given a transaction). A duplicate —
 * of a stored alert or of an earlier input of the same batch — returns the existing id.
 */
export async function ingestAlerts(ex: Executor, inputs: unknown[], options: IngestOptions): Promise<IngestResult> {
  const clock = options.clock ?? systemClock;
  const receivedAt = isoNow(clock);
  const batch = options.batch ?? inputs.length > 1;
  const issues: Issue[] = [];
  let issueCount = 0;
  const prepared: Prepared[] = [];
  inputs.forEach((input, index) => {
    const from = options.origins?.[index];
    const origin: AlertOrigin = { via: options.via };
    if (options.sender !== undefined) origin.sender = options.sender;
    if (from?.file !== undefined) origin.file = from.file;
    if (from?.record !== undefined) origin.record = from.record;
    const result = normaliseAlert(input, { id: newId(), receivedAt, origin, kind: options.kind });
    if (result.ok) {
      prepared.push(result);
      return;
    }
    issueCount += result.issues.length;
    for (const issue of result.issues)
      if (issues.length < MAX_ISSUES) issues.push({ path: batch ? prefixPath(`[${index}]`, issue.path) : issue.path, message: issue.message });
  });
  if (issueCount) throw new ValidationError(`invalid alert${batch ? "s" : ""}: ${summarise(issues, issueCount)}`, issues);
  if (!prepared.length) return { results: [] };
  const results = await inTransaction(ex, (trx) => storeAlerts(trx, prepared));
  return { results };
}
