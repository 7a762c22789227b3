import type { Kysely, Migration } from "kysely";

// Portable types only (text, integer) so that one migration serves SQLite and PostgreSQL.
export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("alerts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("dedupe_key", "text", (c) => c.notNull().unique())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("source_id", "text")
      .addColumn("time", "text", (c) => c.notNull())
      .addColumn("received_at", "text", (c) => c.notNull())
      .addColumn("title", "text", (c) => c.notNull())
      .addColumn("severity", "text", (c) => c.notNull())
      .addColumn("rule_id", "text")
      .addColumn("host_name", "text")
      .addColumn("user_name", "text")
      .addColumn("origin_file", "text")
      .addColumn("origin_record", "integer")
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("enrichment", "text")
      .addColumn("case_id", "text")
      .addColumn("stage", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("alerts_case_id").on("alerts").column("case_id").execute();
    await db.schema.createIndex("alerts_time").on("alerts").column("time").execute();
    await db.schema.createIndex("alerts_received_at").on("alerts").column("received_at").execute();
    await db.schema.createIndex("alerts_rule_host").on("alerts").columns(["rule_id", "host_name"]).execute();

    await db.schema
      .createTable("cases")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("day", "text", (c) => c.notNull())
      .addColumn("number", "integer", (c) => c.notNull())
      .addColumn("title", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("verdict", "text")
      .addColumn("verdict_rationale", "text")
      .addColumn("crew_verdict", "text")
      .addColumn("priority", "text")
      .addColumn("severity", "text", (c) => c.notNull())
      .addColumn("confidence", "integer")
      .addColumn("assignee_kind", "text")
      .addColumn("assignee_name", "text")
      .addColumn("tags", "text", (c) => c.notNull())
      .addColumn("attack", "text", (c) => c.notNull())
      .addColumn("rule_id", "text")
      .addColumn("group_key", "text", (c) => c.notNull())
      .addColumn("suppression_id", "text")
      .addColumn("needs_human_verification", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("last_alert_at", "text", (c) => c.notNull())
      .addColumn("acknowledged_at", "text")
      .addColumn("escalated_at", "text")
      .addColumn("resolved_at", "text")
      .addColumn("closed_at", "text")
      .execute();
    await db.schema.createIndex("cases_group").on("cases").columns(["group_key", "status"]).execute();
    await db.schema.createIndex("cases_updated_at").on("cases").column("updated_at").execute();
    await db.schema.createIndex("cases_status").on("cases").column("status").execute();

    await db.schema
      .createTable("observables")
      .addColumn("case_id", "text", (c) => c.notNull())
      .addColumn("alert_id", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addColumn("role", "text")
      .addPrimaryKeyConstraint("observables_pk", ["alert_id", "type", "value"])
      .execute();
    await db.schema.createIndex("observables_value").on("observables").columns(["type", "value"]).execute();
    await db.schema.createIndex("observables_case").on("observables").column("case_id").execute();

    await db.schema
      .createTable("comments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("case_id", "text", (c) => c.notNull())
      .addColumn("author_kind", "text", (c) => c.notNull())
      .addColumn("author_name", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("comments_case").on("comments").column("case_id").execute();

    await db.schema
      .createTable("audit_events")
      .addColumn("seq", "integer", (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("actor_kind", "text", (c) => c.notNull())
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("case_id", "text")
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("audit_case").on("audit_events").column("case_id").execute();

    await db.schema
      .createTable("decisions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("case_id", "text", (c) => c.notNull())
      .addColumn("agent", "text", (c) => c.notNull())
      .addColumn("tier", "integer", (c) => c.notNull())
      .addColumn("schema_version", "integer", (c) => c.notNull())
      .addColumn("verdict", "text", (c) => c.notNull())
      .addColumn("output", "text", (c) => c.notNull())
      .addColumn("analyst", "text", (c) => c.notNull())
      .addColumn("duration_ms", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("decisions_case").on("decisions").column("case_id").execute();

    await db.schema
      .createTable("assets")
      .addColumn("hostname", "text", (c) => c.primaryKey())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("asset_ips")
      .addColumn("ip", "text", (c) => c.notNull())
      .addColumn("hostname", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("asset_ips_pk", ["ip", "hostname"])
      .execute();
    await db.schema
      .createTable("identities")
      .addColumn("username", "text", (c) => c.primaryKey())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("indicators")
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("indicators_pk", ["type", "value"])
      .execute();
    await db.schema
      .createTable("suppressions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text")
      .execute();

    await db.schema
      .createTable("tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("last_used_at", "text")
      .addColumn("revoked_at", "text")
      .execute();

    await db.schema
      .createTable("jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("dedupe_key", "text", (c) => c.unique())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("run_after", "text", (c) => c.notNull())
      .addColumn("locked_by", "text")
      .addColumn("locked_until", "text")
      .addColumn("last_error", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("jobs_ready").on("jobs").columns(["status", "run_after"]).execute();

    await db.schema
      .createTable("counters")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("value", "integer", (c) => c.notNull())
      .execute();
  },
};
