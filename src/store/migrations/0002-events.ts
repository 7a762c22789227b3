import { sql, type Kysely, type Migration } from "kysely";
import { isPostgres } from "../dialect/which.js";

/**
 * The event store (src/events) and the detection state. Full text differs per backend: SQLite keeps a
 * contentless FTS5 table keyed by the event's `seq` (the rowid), PostgreSQL a GIN index over the `body`
 * column. Both index the same pre-split words (src/events writes them), so the two match the same events.
 */

export const events: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = isPostgres(db);
    // Byte order on PostgreSQL, as on SQLite: keyset paging, host-name ranges and group order agree on both.
    const key = postgres ? sql`text COLLATE "C"` : "text";
    let table = db.schema.createTable("events");
    table = postgres
      ? table.addColumn("id", key, (c) => c.primaryKey())
      : table.addColumn("seq", "integer", (c) => c.primaryKey()).addColumn("id", key, (c) => c.notNull().unique());
    table = table
      .addColumn("time", key, (c) => c.notNull())
      .addColumn("received_at", key, (c) => c.notNull())
      .addColumn("host", key)
      .addColumn("host_key", key)
      .addColumn("user_name", key)
      .addColumn("user_key", key)
      .addColumn("process", key)
      .addColumn("process_name", key)
      .addColumn("process_id", key)
      .addColumn("process_guid", key)
      .addColumn("parent_process_id", key)
      .addColumn("parent_process_guid", key)
      .addColumn("parent_process", key)
      .addColumn("event_id", key)
      .addColumn("channel", key)
      .addColumn("provider", key)
      .addColumn("process_start", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("origin_file", "text", (c) => c.notNull())
      .addColumn("origin_record", "integer", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull());
    if (postgres) table = table.addColumn("body", "text", (c) => c.notNull());
    await table.execute();

    await db.schema.createIndex("events_time").on("events").columns(["time", "id"]).execute();
    await db.schema.createIndex("events_received_at").on("events").column("received_at").execute();
    await db.schema.createIndex("events_host_time").on("events").columns(["host_key", "time"]).execute();
    await db.schema.createIndex("events_user_time").on("events").columns(["user_key", "time"]).execute();
    await db.schema.createIndex("events_process_time").on("events").columns(["process_name", "time"]).execute();
    await db.schema.createIndex("events_event_id_time").on("events").columns(["event_id", "time"]).execute();
    await db.schema.createIndex("events_process_guid").on("events").column("process_guid").execute();
    // Process trees read only process-creation events: partial indexes cost nothing for the other events.
    const starts = sql<boolean>`process_start = 1`;
    await db.schema.createIndex("events_start_parent_guid").on("events").column("parent_process_guid").where(starts).execute();
    await db.schema.createIndex("events_start_host_pid").on("events").columns(["host_key", "process_id", "time"]).where(starts).execute();
    await db.schema.createIndex("events_start_host_parent_pid").on("events").columns(["host_key", "parent_process_id", "time"]).where(starts).execute();

    if (postgres) {
      await sql`CREATE INDEX events_body ON events USING gin (to_tsvector('simple', body))`.execute(db);
    } else {
      await sql`CREATE VIRTUAL TABLE events_fts USING fts5(body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0')`.execute(db);
    }

    await db.schema
      .createTable("detection_state")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
  },
};
