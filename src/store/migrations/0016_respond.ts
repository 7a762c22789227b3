import type { Kysely, Migration } from "kysely";

/**
 * The response tier (owned by src/respond): `response_actions`, one row per action ARIA (or a human) asked
 * for — its exact arguments and their hash, the autonomy policy's verdict, the approval state, and the
 * execution state that makes running it idempotent (idempotency key, lease, remote reference, outcome);
 * `response_approvals`, one row per person's approve/deny of an action, bound to the hash they saw.
 */
export const respond: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("response_actions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("request_key", "text", (c) => c.unique())
      .addColumn("case_id", "text")
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("args", "text", (c) => c.notNull())
      .addColumn("args_hash", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("decision", "text", (c) => c.notNull())
      .addColumn("policy_rule", "text", (c) => c.notNull())
      .addColumn("explanation", "text", (c) => c.notNull())
      .addColumn("facts", "text", (c) => c.notNull())
      .addColumn("approvals_required", "integer", (c) => c.notNull())
      .addColumn("requested_by_kind", "text", (c) => c.notNull())
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("rationale", "text", (c) => c.notNull())
      .addColumn("evidence", "text", (c) => c.notNull())
      .addColumn("confidence", "integer")
      .addColumn("connector", "text")
      .addColumn("supersedes", "text")
      .addColumn("rollback_of", "text")
      .addColumn("idempotency_key", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("lease_until", "text")
      .addColumn("remote_ref", "text")
      .addColumn("outcome", "text")
      .addColumn("error", "text")
      .addColumn("expires_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("decided_at", "text")
      .addColumn("started_at", "text")
      .addColumn("finished_at", "text")
      .execute();
    await db.schema.createIndex("response_actions_status").on("response_actions").columns(["status", "created_at"]).execute();
    await db.schema.createIndex("response_actions_case").on("response_actions").columns(["case_id", "created_at"]).execute();
    await db.schema
      .createTable("response_approvals")
      .addColumn("action_id", "text", (c) => c.notNull())
      .addColumn("approver", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("decision", "text", (c) => c.notNull())
      .addColumn("args_hash", "text", (c) => c.notNull())
      .addColumn("note", "text")
      .addColumn("at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("response_approvals_pk", ["action_id", "approver"])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("response_approvals").execute();
    await db.schema.dropTable("response_actions").execute();
  },
};
