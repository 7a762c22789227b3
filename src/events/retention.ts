import { sql } from "kysely";
import type { Executor } from "../store/index.js";
import { Before, parseOrThrow } from "./query.js";
import { isPostgres } from "./sql/dialect.js";

// Retention: events older than the retention period are dropped.

/**
 * Retention: deletes the events (and their full-text rows) stored before `before`; returns how many.
 * Arrival time, not event time: a historical EVTX imported today is kept for the whole retention period.
 */
export async function purgeEvents(ex: Executor, before: string): Promise<number> {
  const cutoff = parseOrThrow(Before, before, "purge time");
  if (!isPostgres(ex)) {
    await sql`DELETE FROM events_fts WHERE rowid IN (SELECT seq FROM events WHERE received_at < ${cutoff})`.execute(ex);
  }
  const result = await ex.deleteFrom("events").where("received_at", "<", cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}
