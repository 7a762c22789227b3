import pg from "pg";
import { PostgresDialect } from "kysely";
import { logger } from "../../../core/index.js";

/** Codes the server sends when it ends a session itself: shutdown, crash recovery, a terminated backend. */
const SERVER_ENDED = new Set(["57P01", "57P02", "57P03"]);

/**
 * A lost connection is not a crash. pg emits `error` on a client whose connection breaks outside a query
 * (idle in the pool, or checked out between two queries of a transaction) and, for idle ones, on the pool
 * too; with no listener Node throws it as an uncaught exception. Every client gets a listener as it connects
 * and the pool gets one: the broken client is dropped (the query that was waiting on it fails, the next one
 * opens a new connection) and the error is reported once, in the log, unless the server ended the session
 * while the store was being closed.
 */
export function handlePoolErrors(pool: pg.Pool, state: { closing: boolean }, report: (message: string) => void): void {
  const onClientError = (error: Error & { code?: string }) => {
    if (state.closing && (SERVER_ENDED.has(error.code ?? "") || /terminated/i.test(error.message))) return;
    report(`nightshift: PostgreSQL connection lost: ${error.message}${error.code ? ` (${error.code})` : ""}\n`);
  };
  pool.on("connect", (client) => client.on("error", onClientError));
  // Idle clients' errors reach the pool as well: already reported by the client's own listener.
  pool.on("error", () => undefined);
}

function reportToLog(message: string): void {
  logger().warn({ component: "postgres" }, message.replace(/^nightshift: /, "").trim());
}

/** PostgreSQL for teams that outgrow the embedded file: same tables, same migrations. */
export function createPostgresDialect(url: string, report: (message: string) => void = reportToLog): { dialect: PostgresDialect; closing(): void } {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const state = { closing: false };
  handlePoolErrors(pool, state, report);
  return { dialect: new PostgresDialect({ pool }), closing: () => (state.closing = true) };
}
