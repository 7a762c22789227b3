import { fromJson, type EventsTable } from "../store/index.js";
import { fieldValue, type StoredEvent } from "./extract.js";

// The columns read back from the `events` table and the stored event they make.

export const COLUMNS = [
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


export type EventRow = Pick<EventsTable, (typeof COLUMNS)[number]>;

export function toStored(row: EventRow, fields?: string[]): StoredEvent {
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

/** Oldest first, ties by id: the order events are shown in. */
export function byTimeThenId(a: { time: string; id: string }, b: { time: string; id: string }): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
