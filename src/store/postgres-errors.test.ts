import pg from "pg";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { handlePoolErrors } from "./dialect/postgres/postgres-driver.js";

/** Ends every other session on the store's database, as DROP DATABASE … WITH (FORCE) or a server shutdown does. */
async function terminateSessions(db: ReturnType<ReturnType<typeof useTestEnvironment>["db"]>) {
  const { rows } = await sql<{ n: string }>`
    SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db);
  return Number(rows[0]!.n);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

// Needs a server to end connections: registered in the postgres project only (the sqlite project has no server).
if (testStoreKind() === "postgres") {
  describe("PostgreSQL connections the server ends", () => {
    const { db } = useTestEnvironment();

    it("drops an idle pooled connection the server terminated and goes on with a new one", async () => {
      // Two connections in the pool, both idle afterwards.
      await Promise.all([sql`SELECT pg_sleep(0.05)`.execute(db()), sql`SELECT pg_sleep(0.05)`.execute(db())]);
      // A transaction on one of them ends the other: an unhandled 'error' on the pool would crash the process here.
      await db().transaction().execute(async (trx) => expect(await terminateSessions(trx)).toBeGreaterThanOrEqual(1));
      await settle();
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db())).rows).toEqual([{ one: 1 }]);
    });

    it("fails the query of a checked-out connection the server terminated, without an uncaught error", async () => {
      const admin = db();
      await expect(
        admin.transaction().execute(async (trx) => {
          await sql`SELECT 1`.execute(trx);
          // Terminated from another connection while this transaction holds its own, between two queries.
          await admin.connection().execute(async (conn) => {
            await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(conn);
          });
          await settle();
          await sql`SELECT 2`.execute(trx);
        }),
      ).rejects.toThrow();
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db())).rows).toEqual([{ one: 1 }]);
    });
  });
}

describe("PostgreSQL pool errors", () => {
  it("reports a lost connection once on stderr, and stays quiet when it was closing", () => {
    const pool = new pg.Pool();
    const messages: string[] = [];
    const state = { closing: false };
    handlePoolErrors(pool, state, (m) => messages.push(m));
    const client = new pg.Client();
    pool.emit("connect", client);
    const ended = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    client.emit("error", ended);
    pool.emit("error", ended, client);
    expect(messages).toEqual(["nightshift: PostgreSQL connection lost: terminating connection due to administrator command (57P01)\n"]);
    state.closing = true;
    client.emit("error", ended);
    expect(messages).toHaveLength(1);
  });
});
