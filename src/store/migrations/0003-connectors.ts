import type { Kysely, Migration } from "kysely";

/**
 * One row per pull connector: its checkpoint (JSON, never a secret) and its health. Counters are
 * cumulative since the connector was first run.
 */
export const connectors: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("connector_state")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("checkpoint", "text", (c) => c.notNull())
      .addColumn("checkpoint_time", "text")
      .addColumn("last_run_at", "text")
      .addColumn("last_success_at", "text")
      .addColumn("last_error", "text")
      .addColumn("last_error_at", "text")
      .addColumn("fetched", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("duplicates", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("rejected", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
  },
};
