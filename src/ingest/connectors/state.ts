import { sql } from "kysely";
import type { Clock } from "../../core/index.js";
import type { ConnectorStateTable, Executor } from "../../store/index.js";
import { parseCheckpoint } from "./checkpoint.js";
import { EMPTY_CHECKPOINT, type Checkpoint } from "./types.js";

export interface ConnectorStatus {
  name: string;
  kind: string;
  last_run: string | null;
  last_success: string | null;
  /** Now minus the high-water mark; null before the first alert. */
  lag_seconds: number | null;
  checkpoint_time: string | null;
  fetched: number;
  created: number;
  duplicates: number;
  rejected: number;
  last_error: string | null;
  last_error_at: string | null;
  /**
   * What the connector said about itself at its last page, when its cursor says it (a file tail:
   * "caught up", "waiting: /var/log/eve.json does not exist"…); null for connectors that do not.
   */
  state: string | null;
  /** The connector's last notable event, when its cursor keeps one (a tail: a rotation or truncation). */
  note: string | null;
}

export interface StoredState {
  checkpoint: Checkpoint;
  row: ConnectorStateTable | undefined;
}

export async function loadState(ex: Executor, name: string): Promise<StoredState> {
  const row = await ex.selectFrom("connector_state").selectAll().where("name", "=", name).executeTakeFirst();
  return { row, checkpoint: row ? parseCheckpoint(row.checkpoint) : { ...EMPTY_CHECKPOINT } };
}

/** Creates the row on first use, so the later updates of a run have something to update. */
export async function ensureState(ex: Executor, name: string, kind: string, clock: Clock): Promise<void> {
  await ex
    .insertInto("connector_state")
    .values({
      name,
      kind,
      checkpoint: JSON.stringify(EMPTY_CHECKPOINT),
      checkpoint_time: null,
      last_run_at: null,
      last_success_at: null,
      last_error: null,
      last_error_at: null,
      fetched: 0,
      created: 0,
      duplicates: 0,
      rejected: 0,
      updated_at: clock.now().toISOString(),
    })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
}

export async function saveProgress(
  ex: Executor,
  name: string,
  checkpoint: Checkpoint,
  counts: { fetched: number; created: number; duplicates: number; rejected: number },
  clock: Clock,
): Promise<void> {
  await ex
    .updateTable("connector_state")
    .set({
      checkpoint: JSON.stringify(checkpoint),
      checkpoint_time: checkpoint.time,
      fetched: sql<number>`fetched + ${counts.fetched}`,
      created: sql<number>`created + ${counts.created}`,
      duplicates: sql<number>`duplicates + ${counts.duplicates}`,
      rejected: sql<number>`rejected + ${counts.rejected}`,
      updated_at: clock.now().toISOString(),
    })
    .where("name", "=", name)
    .execute();
}

export async function markRun(ex: Executor, name: string, fields: Partial<Pick<ConnectorStateTable, "last_run_at" | "last_success_at" | "last_error" | "last_error_at">>, clock: Clock) {
  await ex
    .updateTable("connector_state")
    .set({ ...fields, updated_at: clock.now().toISOString() })
    .where("name", "=", name)
    .execute();
}

/** A string field of the stored cursor; a checkpoint that does not parse tells nothing (health must not fail). */
function cursorText(row: ConnectorStateTable | undefined, field: "status" | "note"): string | null {
  if (!row) return null;
  let cursor: unknown;
  try {
    cursor = parseCheckpoint(row.checkpoint).cursor;
  } catch {
    return null;
  }
  if (!cursor || typeof cursor !== "object") return null;
  const value = (cursor as Record<string, unknown>)[field];
  return typeof value === "string" ? value : null;
}

function toStatus(name: string, kind: string, row: ConnectorStateTable | undefined, now: Date): ConnectorStatus {
  const time = row?.checkpoint_time ?? null;
  return {
    name,
    kind,
    last_run: row?.last_run_at ?? null,
    last_success: row?.last_success_at ?? null,
    lag_seconds: time ? Math.max(0, Math.round((now.getTime() - Date.parse(time)) / 1000)) : null,
    checkpoint_time: time,
    fetched: Number(row?.fetched ?? 0),
    created: Number(row?.created ?? 0),
    duplicates: Number(row?.duplicates ?? 0),
    rejected: Number(row?.rejected ?? 0),
    last_error: row?.last_error ?? null,
    last_error_at: row?.last_error_at ?? null,
    state: cursorText(row, "status"),
    note: cursorText(row, "note"),
  };
}

/**
 * Health of every configured connector (in configuration order; never run: zero counts), then of
 * connectors that have state but are no longer configured.
 */
export async function listConnectorStatus(ex: Executor, configured: { name: string; kind: string }[], clock: Clock): Promise<ConnectorStatus[]> {
  const rows = await ex.selectFrom("connector_state").selectAll().orderBy("name").execute();
  const byName = new Map(rows.map((row) => [row.name, row]));
  const now = clock.now();
  const out = configured.map((c) => toStatus(c.name, c.kind, byName.get(c.name), now));
  const names = new Set(configured.map((c) => c.name));
  for (const row of rows) if (!names.has(row.name)) out.push(toStatus(row.name, row.kind, row, now));
  return out;
}
