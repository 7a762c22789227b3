import { sql, type Insertable, type RawBuilder, type SqlBool } from "kysely";
import { z } from "zod";
import { ValidationError, issuesOf } from "../core/index.js";
import { fromJson, toJson, type EventsTable, type Executor } from "../store/index.js";
import {
  bodyOf,
  fieldValue,
  hostKey,
  isProcessStart,
  mayNeedStorable,
  normaliseGuid,
  normalisePid,
  processName,
  storable,
  userKey,
  words,
  type NewEvent,
  type StoredEvent,
} from "./extract.js";
import {
  Before,
  CountBy,
  EventQuery,
  EventsAround,
  ProcessTreeQuery,
  decodeCursor,
  encodeCursor,
  parseOrThrow,
  textTerms,
  type ParsedEventQuery,
} from "./query.js";
import { dataText, fullText, isPostgres } from "./sql/dialect.js";

export { eventKey, toNewEvent, type EventOrigin, type NewEvent, type StoredEvent } from "./extract.js";
export { EventQuery, EventFilter, FieldName, CountBy, EventsAround, ProcessTreeQuery } from "./query.js";

export interface ProcessNode {
  event: StoredEvent;
  children: ProcessNode[];
}

const COLUMNS = [
  "id",
  "time",
  "received_at",
  "host",
  "user_name",
  "process",
  "process_id",
  "process_guid",
  "parent_process_id",
  "parent_process_guid",
  "parent_process",
  "event_id",
  "channel",
  "provider",
  "origin_file",
  "origin_record",
  "data",
] as const;

type EventRow = Pick<EventsTable, (typeof COLUMNS)[number]>;

function toStored(row: EventRow, fields?: string[]): StoredEvent {
  const data = fromJson<Record<string, unknown>>(row.data, {});
  return {
    id: row.id,
    time: row.time,
    received_at: row.received_at,
    host: row.host,
    user: row.user_name,
    process: row.process,
    process_id: row.process_id,
    process_guid: row.process_guid,
    parent_process_id: row.parent_process_id,
    parent_process_guid: row.parent_process_guid,
    parent_process: row.parent_process,
    event_id: row.event_id,
    channel: row.channel,
    provider: row.provider,
    origin: { file: row.origin_file, record: Number(row.origin_record) },
    data: fields ? project(data, fields) : data,
  };
}

function project(data: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = fieldValue(data, field);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

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

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function hostCondition(host: string): RawBuilder<SqlBool> {
  const key = host.toLowerCase();
  // A short name also finds its fully qualified forms: "ws-01" matches "ws-01.corp.local".
  return sql<SqlBool>`(host_key = ${key} OR (host_key >= ${`${key}.`} AND host_key < ${`${key}/`}))`;
}

function userCondition(user: string): RawBuilder<SqlBool> {
  const bare = userKey(user)!;
  if (bare === user.toLowerCase()) return sql<SqlBool>`user_key = ${bare}`;
  // "CORP\\alice" finds "CORP\\alice" and a bare "alice", not "OTHER\\alice".
  return sql<SqlBool>`(user_key = ${bare} AND (lower(user_name) = ${user.toLowerCase()} OR lower(user_name) = ${bare}))`;
}

function processCondition(process: string): RawBuilder<SqlBool> {
  const name = processName(process)!;
  if (/[\\/]/.test(process)) return sql<SqlBool>`(process_name = ${name} AND lower(process) = ${process.toLowerCase()})`;
  if (!name.includes(".")) return sql<SqlBool>`process_name IN (${name}, ${`${name}.exe`})`;
  return sql<SqlBool>`process_name = ${name}`;
}

function conditions(postgres: boolean, q: Omit<ParsedEventQuery, "limit" | "order" | "cursor" | "fields">): RawBuilder<SqlBool>[] {
  const out: RawBuilder<SqlBool>[] = [];
  if (q.from !== undefined) out.push(sql<SqlBool>`time >= ${q.from}`);
  if (q.to !== undefined) out.push(sql<SqlBool>`time < ${q.to}`);
  if (q.host !== undefined) out.push(hostCondition(q.host));
  if (q.user !== undefined) out.push(userCondition(q.user));
  if (q.process !== undefined) out.push(processCondition(q.process));
  if (q.event_id !== undefined) out.push(sql<SqlBool>`event_id = ${q.event_id}`);
  if (q.channel !== undefined) out.push(sql<SqlBool>`lower(channel) = ${q.channel.toLowerCase()}`);
  for (const filter of q.filters ?? []) {
    const value = dataText(postgres, filter.field);
    const lowered = filter.value.toLowerCase();
    if (filter.op === "exists") {
      out.push(sql<SqlBool>`${value} IS NOT NULL`);
    } else if (filter.op === "contains") {
      out.push(sql<SqlBool>`lower(${value}) LIKE ${`%${escapeLike(lowered)}%`} ESCAPE '\\'`);
    } else {
      const pattern = escapeLike(lowered).replace(/\*/g, "%");
      const match = sql<SqlBool>`lower(${value}) LIKE ${pattern} ESCAPE '\\'`;
      out.push(filter.op === "eq" ? match : sql<SqlBool>`(${value} IS NULL OR NOT (${match}))`);
    }
  }
  if (q.text !== undefined) {
    const terms = textTerms(q.text, words);
    if (terms.length) out.push(fullText(postgres, terms));
  }
  return out;
}

function all(conds: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return conds.length ? sql<SqlBool>`(${sql.join(conds, sql` AND `)})` : sql<SqlBool>`1 = 1`;
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

function byTimeThenId(a: { time: string; id: string }, b: { time: string; id: string }): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const MAX_TREE_NODES = 1000;
const MAX_ANCESTORS = 64;

/**
 * The process tree around one process on a host, from its oldest known ancestor. Process-creation events
 * link by guid (Sysmon, ECS entity ids); without guids, by pid: a process's parent is the latest start of
 * that pid on the host at or before it, so a reused pid starts a new process.
 */
export async function processTree(
  ex: Executor,
  at: ProcessTreeQuery,
): Promise<ProcessNode | null> {
  const q = parseOrThrow(ProcessTreeQuery, at, "process-tree query");
  const host = hostCondition(q.host);
  const starts = (...more: RawBuilder<SqlBool>[]) =>
    ex.selectFrom("events").select(COLUMNS).where(all([sql<SqlBool>`process_start = 1`, host, ...more]));

  let target: EventRow | undefined;
  const guid = normaliseGuid(q.process_guid ?? null);
  if (guid !== null) {
    target = await starts(sql<SqlBool>`process_guid = ${guid}`).orderBy("time").orderBy("id").limit(1).executeTakeFirst();
  }
  const pid = normalisePid(q.process_id ?? null);
  if (!target && pid !== null) {
    const before = q.time !== undefined ? [sql<SqlBool>`time <= ${q.time}`] : [];
    target = await starts(sql<SqlBool>`process_id = ${pid}`, ...before).orderBy("time", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
  }
  if (!target) return null;

  const parentOf = async (child: EventRow): Promise<EventRow | undefined> => {
    if (child.parent_process_guid !== null) {
      const byGuid = await starts(sql<SqlBool>`process_guid = ${child.parent_process_guid}`).orderBy("time").orderBy("id").limit(1).executeTakeFirst();
      if (byGuid) return byGuid;
    }
    if (child.parent_process_id === null) return undefined;
    const byPid = await starts(
      sql<SqlBool>`process_id = ${child.parent_process_id}`,
      sql<SqlBool>`(time < ${child.time} OR (time = ${child.time} AND id < ${child.id}))`,
    )
      .orderBy("time", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    // A parent named by guid is not replaced by an unrelated process that happens to share its pid.
    if (byPid && child.parent_process_guid !== null && byPid.process_guid !== null) return undefined;
    return byPid;
  };

  const seen = new Set<string>([target.id]);
  let root = target;
  for (let depth = 0; depth < MAX_ANCESTORS; depth++) {
    const parent = await parentOf(root);
    if (!parent || seen.has(parent.id)) break;
    seen.add(parent.id);
    root = parent;
  }

  const childrenOf = async (node: EventRow): Promise<EventRow[]> => {
    const found = new Map<string, EventRow>();
    if (node.process_guid !== null) {
      for (const row of await starts(sql<SqlBool>`parent_process_guid = ${node.process_guid}`).execute()) found.set(row.id, row);
    }
    if (node.process_id !== null) {
      const next = await starts(
        sql<SqlBool>`process_id = ${node.process_id}`,
        sql<SqlBool>`(time > ${node.time} OR (time = ${node.time} AND id > ${node.id}))`,
      )
        .orderBy("time")
        .orderBy("id")
        .limit(1)
        .executeTakeFirst();
      const window = [sql<SqlBool>`parent_process_id = ${node.process_id}`, sql<SqlBool>`(time > ${node.time} OR (time = ${node.time} AND id > ${node.id}))`];
      if (next) window.push(sql<SqlBool>`(time < ${next.time} OR (time = ${next.time} AND id < ${next.id}))`);
      for (const row of await starts(...window).execute()) {
        // Guid links win: a child naming another parent guid is not adopted by pid.
        if (row.parent_process_guid !== null && node.process_guid !== null) continue;
        if (row.parent_process_guid !== null && (await parentOf(row))?.id !== node.id) continue;
        found.set(row.id, row);
      }
    }
    return [...found.values()].sort(byTimeThenId);
  };

  const placed = new Set<string>([root.id]);
  const tree: ProcessNode = { event: toStored(root), children: [] };
  let level: { row: EventRow; node: ProcessNode }[] = [{ row: root, node: tree }];
  while (level.length && placed.size < MAX_TREE_NODES) {
    const next: typeof level = [];
    for (const { row, node } of level) {
      for (const child of await childrenOf(row)) {
        if (placed.has(child.id) || placed.size >= MAX_TREE_NODES) continue;
        placed.add(child.id);
        const childNode: ProcessNode = { event: toStored(child), children: [] };
        node.children.push(childNode);
        next.push({ row: child, node: childNode });
      }
    }
    level = next;
  }
  return tree;
}

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

const EPOCH = new Date(0).toISOString();

/**
 * A detector's saved state, or null. On PostgreSQL the row is locked until the caller's transaction ends
 * (created empty first, so even the first two workers serialise); SQLite transactions already run one at a time.
 */
export async function loadDetectionState(ex: Executor, id: string): Promise<unknown | null> {
  if (isPostgres(ex)) {
    await ex
      .insertInto("detection_state")
      .values({ id, state: "null", updated_at: EPOCH })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    const row = await ex.selectFrom("detection_state").select("state").where("id", "=", id).forUpdate().executeTakeFirst();
    return fromJson<unknown>(row?.state, null);
  }
  const row = await ex.selectFrom("detection_state").select("state").where("id", "=", id).executeTakeFirst();
  return fromJson<unknown>(row?.state, null);
}

export async function saveDetectionState(ex: Executor, id: string, state: unknown, now: string): Promise<void> {
  const updated_at = parseOrThrow(Before, now, "detection-state time");
  const text = toJson(state);
  await ex
    .insertInto("detection_state")
    .values({ id, state: text, updated_at })
    .onConflict((oc) => oc.column("id").doUpdateSet({ state: text, updated_at }))
    .execute();
}
