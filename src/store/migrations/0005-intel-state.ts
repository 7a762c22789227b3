import { sql, type Kysely, type Migration } from "kysely";
import { isPostgres } from "../dialect/which.js";


/**
 * The version of the threat-intel table: a random token replaced, in the writing transaction, by every
 * statement that changes `indicators` (a trigger, so no writer can forget it). A process keeps the
 * indicators in memory and rebuilds them when the token it reads differs from the one it built at. Random,
 * not a counter: a rolled-back write's token is never seen again, so memory built inside that transaction
 * can never pass for committed state.
 */
export const intelState: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("intel_state")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("version", "text", (c) => c.notNull())
      .execute();
    if (isPostgres(db)) {
      await sql`INSERT INTO intel_state (id, version) VALUES (1, md5(random()::text || clock_timestamp()::text))`.execute(db);
      await sql`
        CREATE FUNCTION intel_state_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE intel_state SET version = md5(random()::text || clock_timestamp()::text) WHERE id = 1;
          RETURN NULL;
        END $$`.execute(db);
      // Once per statement: a bulk upsert of a million rows bumps it once.
      await sql`
        CREATE TRIGGER indicators_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicators
        FOR EACH STATEMENT EXECUTE FUNCTION intel_state_bump()`.execute(db);
      return;
    }
    await sql`INSERT INTO intel_state (id, version) VALUES (1, lower(hex(randomblob(16))))`.execute(db);
    // SQLite has row triggers only: about half a microsecond a row on a bulk load.
    for (const event of ["INSERT", "UPDATE", "DELETE"]) {
      await sql
        .raw(
          `CREATE TRIGGER indicators_version_${event.toLowerCase()} AFTER ${event} ON indicators
           BEGIN UPDATE intel_state SET version = lower(hex(randomblob(16))) WHERE id = 1; END`,
        )
        .execute(db);
    }
  },
};
