import { PostgresAdapter, type QueryExecutor } from "kysely";

/**
 * Whether a connection (the database, a transaction, a migration's Kysely) speaks PostgreSQL rather than
 * SQLite: the one test every dialect difference branches on. By class, and by name for an adapter loaded
 * from another copy of Kysely.
 */
export function isPostgres(ex: { getExecutor(): QueryExecutor }): boolean {
  const adapter = ex.getExecutor().adapter;
  return adapter instanceof PostgresAdapter || adapter.constructor.name.startsWith("Postgres");
}
