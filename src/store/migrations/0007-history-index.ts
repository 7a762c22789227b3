import { sql, type Kysely, type Migration } from "kysely";
import { isPostgres } from "../dialect/which.js";


/**
 * Indexed lookups whose cost does not grow with history (src/context/history-keys.ts):
 * - `alert_keys`: each alert's history keys (`h:` host, `u:` user, `i:` address, `d:` domain and its parent
 *   domains, `l:` URL, `f:` file hash, `e:` e-mail), with the alert's time, looked up by (key, time).
 * - `alert_keys_pending`: alerts whose keys are not written yet. A trigger adds every inserted alert (any
 *   writer: ingest, tests, bulk loads), and the alerts already stored are added here, so the keys are
 *   written by the first history lookup after them, in its transaction.
 * - the queue's claim reads `jobs (status, created_at, id)` and `jobs (status, locked_until)` instead of
 *   sorting every queued job; same-rule history reads `alerts (rule_id, time, id, host_name)` alone; the last disposition reads
 *   `alerts (rule_id, lower(host_name))`. `jobs_ready` (status, run_after) goes: it led the claim to sort.
 */
export const historyIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("alert_keys")
      .addColumn("alert_id", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("time", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("alert_keys_pk", ["alert_id", "key"])
      .execute();
    await db.schema.createIndex("alert_keys_key_time").on("alert_keys").columns(["key", "time", "alert_id"]).execute();
    await db.schema.createTable("alert_keys_pending").addColumn("alert_id", "text", (c) => c.primaryKey()).execute();
    await sql`INSERT INTO alert_keys_pending (alert_id) SELECT id FROM alerts`.execute(db);
    if (isPostgres(db)) {
      await sql`
        CREATE FUNCTION alert_keys_pending_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO alert_keys_pending (alert_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$`.execute(db);
      await sql`CREATE TRIGGER alerts_keys_pending AFTER INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION alert_keys_pending_add()`.execute(db);
    } else {
      await sql`
        CREATE TRIGGER alerts_keys_pending AFTER INSERT ON alerts
        BEGIN INSERT OR IGNORE INTO alert_keys_pending (alert_id) VALUES (NEW.id); END`.execute(db);
    }
    // jobs_ready (status, run_after) would tempt the planner into sorting every queued job again.
    await db.schema.dropIndex("jobs_ready").execute();
    await db.schema.createIndex("jobs_claim").on("jobs").columns(["status", "created_at", "id"]).execute();
    await db.schema.createIndex("jobs_lease").on("jobs").columns(["status", "locked_until"]).execute();
    await db.schema.createIndex("alerts_rule_time").on("alerts").columns(["rule_id", "time", "id", "host_name"]).execute();
    await sql`CREATE INDEX alerts_rule_host_key ON alerts (rule_id, lower(host_name))`.execute(db);
  },
};
