import { sql, type SqlBool } from "kysely";
import type { Executor } from "../store/index.js";
import { all, conditions } from "./conditions.js";
import type { StoredEvent } from "./extract.js";
import { CountBy, EventQuery, EventsAround, decodeCursor, encodeCursor, parseOrThrow } from "./query.js";
import { byTimeThenId, COLUMNS, toStored, type EventRow } from "./rows.js";
import { isPostgres } from "./sql/dialect.js";

// Reading events: by id, one page of a query, counts per group, the events around a time.

/** The events with these ids, in the order asked; ids not stored are skipped. */
export async function getEvents(ex: Executor, ids: string[]): Promise<StoredEvent[]> {
  const found = new Map<string, StoredEvent>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await ex.selectFrom("events").select(COLUMNS).where("id", "in", unique.slice(i, i + 1000)).execute();
    for (const row of rows) found.set(row.id, toStored(row));
  }
  return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
}

/** One page of events, newest first unless `order: "asc"`; `next_cursor` reads the next page; `total` on the first page. */
export async function searchEvents(
  ex: Executor,
  query: EventQuery,
): Promise<{ events: StoredEvent[]; next_cursor: string | null; total?: number }> {
  const q = parseOrThrow(EventQuery, query, "event query");
  const cursor = q.cursor !== undefined ? decodeCursor(q.cursor, q.order) : undefined;
  const postgres = isPostgres(ex);
  const where = conditions(postgres, q);
  const page = [...where];
  if (cursor) {
    page.push(
      q.order === "desc"
        ? sql<SqlBool>`(time < ${cursor.t} OR (time = ${cursor.t} AND id < ${cursor.i}))`
        : sql<SqlBool>`(time > ${cursor.t} OR (time = ${cursor.t} AND id > ${cursor.i}))`,
    );
  }
  const rows = await ex
    .selectFrom("events")
    .select(COLUMNS)
    .where(all(page))
    .orderBy("time", q.order)
    .orderBy("id", q.order)
    .limit(q.limit + 1)
    .execute();
  const more = rows.length > q.limit;
  const events = rows.slice(0, q.limit).map((row) => toStored(row, q.fields));
  const last = events[events.length - 1];
  const next_cursor = more && last ? encodeCursor({ o: q.order, t: last.time, i: last.id }) : null;
  if (cursor) return { events, next_cursor };
  const total = more
    ? Number((await ex.selectFrom("events").select(sql<string | number>`count(*)`.as("n")).where(all(where)).executeTakeFirstOrThrow()).n)
    : events.length;
  return { events, next_cursor, total };
}

const GROUP_COLUMN = {
  host: "host",
  user: "user_name",
  event_id: "event_id",
  process: "process",
  channel: "channel",
} as const;

/** Aggregation mode: how many matching events per host / user / event id / process / channel, most first (`limit` groups). */
export async function countEvents(ex: Executor, query: EventQuery, by: CountBy): Promise<{ key: string | null; count: number }[]> {
  const q = parseOrThrow(EventQuery, query, "event query");
  const column = GROUP_COLUMN[parseOrThrow(CountBy, by, "count field")];
  const n = sql<string | number>`count(*)`;
  const rows = await ex
    .selectFrom("events")
    .select([sql<string | null>`${sql.ref(column)}`.as("key"), n.as("n")])
    .where(all(conditions(isPostgres(ex), q)))
    .groupBy(column)
    .orderBy(n, "desc")
    .orderBy(sql`${sql.ref(column)} IS NULL`)
    .orderBy(column)
    .limit(q.limit)
    .execute();
  return rows.map((r) => ({ key: r.key, count: Number(r.n) }));
}

/**
 * Events of a host and/or user from `before_minutes` before to `after_minutes` after `time`, both ends
 * inclusive, oldest first; past `limit`, the ones nearest to `time` are kept.
 */
export async function eventsAround(ex: Executor, at: EventsAround): Promise<StoredEvent[]> {
  const q = parseOrThrow(EventsAround, at, "events-around query");
  const anchor = Date.parse(q.time);
  const from = new Date(anchor - q.before_minutes * 60_000).toISOString();
  const to = new Date(anchor + q.after_minutes * 60_000).toISOString();
  const base = conditions(isPostgres(ex), { host: q.host, user: q.user });
  const select = () => ex.selectFrom("events").select(COLUMNS);
  const before = await select()
    .where(all([...base, sql<SqlBool>`time >= ${from}`, sql<SqlBool>`time <= ${q.time}`]))
    .orderBy("time", "desc")
    .orderBy("id", "desc")
    .limit(q.limit)
    .execute();
  const after = await select()
    .where(all([...base, sql<SqlBool>`time > ${q.time}`, sql<SqlBool>`time <= ${to}`]))
    .orderBy("time", "asc")
    .orderBy("id", "asc")
    .limit(q.limit)
    .execute();
  const distance = (row: EventRow) => Math.abs(Date.parse(row.time) - anchor);
  const nearest = [...before, ...after].sort((a, b) => distance(a) - distance(b)).slice(0, q.limit);
  return nearest.sort(byTimeThenId).map((row) => toStored(row));
}
