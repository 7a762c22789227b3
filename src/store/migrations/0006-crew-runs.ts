import type { Kysely, Migration } from "kysely";

/**
 * The crew's runs and their traces (every request, response, tool call and result), the agents' shift
 * memory, and the actions agents propose for ARIA. A run's row and its trace are written together when the
 * run ends, with the decision it produced or the failure that put the case on hold.
 */
export const crewRuns: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("agent_runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("case_id", "text", (c) => c.notNull())
      .addColumn("agent", "text", (c) => c.notNull())
      .addColumn("tier", "integer", (c) => c.notNull())
      .addColumn("analyst", "text", (c) => c.notNull())
      .addColumn("prompt_version", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("failure", "text")
      .addColumn("decision_id", "text")
      .addColumn("fallback", "text")
      .addColumn("usage", "text", (c) => c.notNull())
      .addColumn("input", "text", (c) => c.notNull())
      .addColumn("started_at", "text", (c) => c.notNull())
      .addColumn("finished_at", "text")
      .execute();
    await db.schema.createIndex("agent_runs_case").on("agent_runs").columns(["case_id", "started_at"]).execute();

    await db.schema
      .createTable("trace_entries")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("latency_ms", "double precision")
      .addColumn("tokens_in", "integer")
      .addColumn("tokens_out", "integer")
      .addColumn("tokens_estimated", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("cost", "double precision")
      .addColumn("data", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("trace_entries_pk", ["run_id", "seq"])
      .execute();

    await db.schema
      .createTable("shift_memory")
      .addColumn("agent", "text", (c) => c.notNull())
      .addColumn("shift", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addColumn("case_id", "text")
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("shift_memory_pk", ["agent", "shift", "key"])
      .execute();

    await db.schema
      .createTable("proposed_actions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("case_id", "text", (c) => c.notNull())
      .addColumn("run_id", "text")
      .addColumn("proposed_by", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("proposed_actions_case").on("proposed_actions").column("case_id").execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ["proposed_actions", "shift_memory", "trace_entries", "agent_runs"]) await db.schema.dropTable(table).execute();
  },
};
