import type { Kysely, Migration } from "kysely";

/**
 * NOVA, the observer (owned by src/nova): every published cross-tier analysis (`nova_analyses`, the whole
 * analysis as a document) and its proposals (`nova_proposals`), one row each so that a human accepts or
 * rejects them one by one; `suppression_id` names the suppression an accepted suppression proposal became.
 */
export const nova: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("nova_analyses")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("since", "text", (c) => c.notNull())
      .addColumn("until", "text", (c) => c.notNull())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("nova_proposals")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("analysis_id", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("decided_at", "text")
      .addColumn("decided_by", "text")
      .addColumn("suppression_id", "text")
      .execute();
    await db.schema.createIndex("nova_proposals_status").on("nova_proposals").columns(["status", "created_at"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("nova_proposals").execute();
    await db.schema.dropTable("nova_analyses").execute();
  },
};
