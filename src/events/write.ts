import { sql, type Insertable } from "kysely";
import { z } from "zod";
import { ValidationError, issuesOf } from "../core/index.js";
import { toJson, type EventsTable, type Executor } from "../store/index.js";
import { bodyOf, hostKey, isProcessStart, mayNeedStorable, normaliseGuid, normalisePid, processName, storable, userKey, type NewEvent } from "./extract.js";
import { isPostgres } from "./sql/dialect.js";

// Writing events: each validated, indexed columns extracted, stored once (ids already stored are skipped).

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO-8601 time")
  .transform((v) => (CANONICAL_TIME.test(v) ? v : new Date(v).toISOString()));
const nullableText = z.string().nullable();

const NewEventSchema = z.object({
  id: z.string().min(1).max(200),
  time: isoTime,
  received_at: isoTime,
  host: nullableText,
  user: nullableText,
  process: nullableText,
  process_id: nullableText,
  process_guid: nullableText,
  parent_process_id: nullableText,
  parent_process_guid: nullableText,
  parent_process: nullableText,
  event_id: nullableText,
  channel: nullableText,
  provider: nullableText,
  origin: z.object({ file: z.string(), record: z.number().int() }),
  // Checked as a plain object only: its content is the event as given, whatever it holds.
  data: z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be an object"),
});

// 21 bound values a row (22 with PostgreSQL's body): 1000 rows stay under SQLite's 32766 and PostgreSQL's 65535.
const INSERT_CHUNK = 1000;

/** Inserts, skipping ids already stored (and duplicates within the batch), in multi-row statements inside the caller's transaction. */
export async function insertEvents(ex: Executor, events: NewEvent[]): Promise<{ inserted: string[]; duplicates: string[] }> {
  const parsed = z.array(NewEventSchema).safeParse(events);
  if (!parsed.success) throw new ValidationError("invalid events", issuesOf(parsed.error, "events"));
  const duplicates: string[] = [];
  const unique = new Map<string, NewEvent>();
  for (const event of parsed.data) {
    if (unique.has(event.id)) duplicates.push(event.id);
    else unique.set(event.id, event);
  }
  const postgres = isPostgres(ex);
  const batch = [...unique.values()];
  const stored = new Set<string>();
  for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
    const chunk = batch.slice(i, i + INSERT_CHUNK);
    const data = new Map(chunk.map((e) => [e.id, e.data]));
    const rows = chunk.map((given) => {
      let json = toJson(given.data);
      let event = given;
      if (mayNeedStorable(json) || Object.values(given).some((v) => typeof v === "string" && v !== storable(v))) {
        event = { ...storable({ ...given, data: {} }), data: storable(given.data), origin: storable(given.origin) };
        json = toJson(event.data);
        data.set(event.id, event.data);
      }
      const row: Insertable<EventsTable> & { body?: string } = {
        id: event.id,
        time: event.time,
        received_at: event.received_at,
        host: event.host,
        host_key: hostKey(event.host),
        user_name: event.user,
        user_key: userKey(event.user),
        process: event.process,
        process_name: processName(event.process),
        process_id: normalisePid(event.process_id),
        process_guid: normaliseGuid(event.process_guid),
        parent_process_id: normalisePid(event.parent_process_id),
        parent_process_guid: normaliseGuid(event.parent_process_guid),
        parent_process: event.parent_process,
        event_id: event.event_id,
        channel: event.channel,
        provider: event.provider,
        process_start: isProcessStart(event) ? 1 : 0,
        origin_file: event.origin.file,
        origin_record: event.origin.record,
        data: json,
      };
      if (postgres) row.body = bodyOf(event.data);
      return row;
    });
    const insert = ex
      .insertInto("events")
      .values(rows)
      .onConflict((oc) => oc.column("id").doNothing());
    if (postgres) {
      for (const row of await insert.returning("id").execute()) stored.add(row.id);
    } else {
      const returned = await insert.returning(["id", sql<number>`seq`.as("seq")]).execute();
      for (const row of returned) stored.add(row.id);
      if (returned.length) {
        const values = returned.map((r) => sql`(${r.seq}, ${bodyOf(data.get(r.id))})`);
        await sql`INSERT INTO events_fts (rowid, body) VALUES ${sql.join(values)}`.execute(ex);
      }
    }
  }
  const inserted: string[] = [];
  for (const id of unique.keys()) {
    if (stored.has(id)) inserted.push(id);
    else duplicates.push(id);
  }
  return { inserted, duplicates };
}
