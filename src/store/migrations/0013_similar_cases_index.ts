import { sql, type Kysely, type Migration } from "kysely";

/**
 * Indexed lookups for the cases and alerts like a case (src/cases/related.ts), whose cost followed the size of
 * the history instead of the number of matches:
 * - `observables (lower(value))`: the alerts of other cases naming one of a case's entities whatever their case
 *   (VERA's related alerts) were found by scanning every observable with `lower(value) IN (…)`.
 * - `cases (rule_id, created_at)`: the cases of the same rule around a case's creation (the `similar_cases`
 *   tool) read every case of the rule, then sorted them.
 * Both PostgreSQL and SQLite use an expression index for the same expression in a query.
 */
export const similarCasesIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`CREATE INDEX observables_value_lower ON observables (lower(value))`.execute(db);
    await db.schema.createIndex("cases_rule_created").on("cases").columns(["rule_id", "created_at"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("cases_rule_created").execute();
    await db.schema.dropIndex("observables_value_lower").execute();
  },
};
