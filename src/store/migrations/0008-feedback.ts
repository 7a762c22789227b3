import type { Kysely, Migration } from "kysely";

/**
 * Analyst feedback (owned by context/feedback.ts): one row per judged alert, from an imported SOAR/SIEM
 * history (`nightshift feedback import`) or a human closing or resolving a live case with a verdict. Rows are
 * history, never work: no job, no case. The shape keys TORA looks precedent up by are extracted columns
 * (source, rule, host, host role, source address), each with an index that ends on (benign, time), so a
 * lookup reads index entries of one shape only, whatever the table holds.
 */
export const feedback: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("feedback")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("origin", "text", (c) => c.notNull())
      .addColumn("ref", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("rule", "text", (c) => c.notNull())
      .addColumn("host", "text")
      .addColumn("host_role", "text")
      .addColumn("src_ip", "text")
      .addColumn("benign", "integer", (c) => c.notNull())
      .addColumn("label", "text", (c) => c.notNull())
      .addColumn("title", "text", (c) => c.notNull())
      .addColumn("time", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("feedback_host").on("feedback").columns(["source", "rule", "host", "benign", "time"]).execute();
    await db.schema.createIndex("feedback_role").on("feedback").columns(["source", "rule", "host_role", "benign", "time"]).execute();
    await db.schema.createIndex("feedback_src").on("feedback").columns(["source", "rule", "src_ip", "benign", "time"]).execute();
    await db.schema.createIndex("feedback_ref").on("feedback").columns(["origin", "ref"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("feedback").execute();
  },
};
