import type { Kysely, Migration } from "kysely";

/**
 * A keyed audit chain (issue 13.21). `alg` says how each event's hash was made: `sha256` for the events
 * written before this migration (a plain hash, kept as they are: rewriting them would need the key, which
 * migrations do not have), `hmac-sha256` for every event after it; `key_id` names the key's fingerprint.
 * The first keyed event links to the last plain one, so the old events are pinned by the first MAC.
 * `audit_checkpoints` records signed heads of the chain (export them elsewhere to detect a truncated tail).
 */
export const auditKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("audit_events").addColumn("alg", "text", (c) => c.notNull().defaultTo("sha256")).execute();
    await db.schema.alterTable("audit_events").addColumn("key_id", "text").execute();
    await db.schema
      .createTable("audit_checkpoints")
      .addColumn("seq", "integer", (c) => c.primaryKey())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("mac", "text", (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("audit_checkpoints").execute();
    await db.schema.alterTable("audit_events").dropColumn("key_id").execute();
    await db.schema.alterTable("audit_events").dropColumn("alg").execute();
  },
};
