import { sql, type Kysely, type Migration } from "kysely";

/**
 * Incident grouping and honest dedup (issue 12.6, 13.6):
 * - `case_keys`: every group key (scope|rule|entity) a case has taken alerts for, with the last alert time
 *   seen under that key, so that a flood keeps joining its case after the case became a multi-rule incident;
 * - `cases.entity_key` (scope|entity) and `cases.first_alert_at`: the entity an incident is about and when
 *   it began, for joining alerts of other rules on the same entity;
 * - `alerts.duplicates`: how many further deliveries of exactly the same content were collapsed into the row.
 * Cases opened before this migration keep their old group key (without the source) in `case_keys`; the new
 * keys never match it, so new alerts open new cases rather than join a case grouped by a bare rule id.
 */
export const grouping: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("cases").addColumn("entity_key", "text").execute();
    await db.schema.alterTable("cases").addColumn("first_alert_at", "text").execute();
    await db.schema.createIndex("cases_entity_last").on("cases").columns(["entity_key", "last_alert_at"]).execute();
    await db.schema
      .createTable("case_keys")
      .addColumn("group_key", "text", (c) => c.notNull())
      .addColumn("case_id", "text", (c) => c.notNull())
      .addColumn("last_alert_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("case_keys_pk", ["group_key", "case_id"])
      .execute();
    await db.schema.createIndex("case_keys_key_last").on("case_keys").columns(["group_key", "last_alert_at"]).execute();
    await sql`insert into case_keys (group_key, case_id, last_alert_at) select group_key, id, last_alert_at from cases`.execute(db);
    await sql`update cases set first_alert_at = created_at`.execute(db);
    await db.schema.alterTable("alerts").addColumn("duplicates", "integer", (c) => c.notNull().defaultTo(0)).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable("alerts").dropColumn("duplicates").execute();
    await db.schema.dropTable("case_keys").execute();
    await db.schema.dropIndex("cases_entity_last").execute();
    await db.schema.alterTable("cases").dropColumn("first_alert_at").execute();
    await db.schema.alterTable("cases").dropColumn("entity_key").execute();
  },
};
