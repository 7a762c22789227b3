import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from "kysely";
import type { Executor } from "../../database.js";

/** Kysely's connection → the better-sqlite3 handle behind it, for the few bulk paths that need prepared statements. */
const handles = new WeakMap<DatabaseConnection, SQLite.Database>();

/**
 * Transactions begin IMMEDIATE: they take the write lock up front, so a second process on the same file
 * (`serve` beside `shift run`) waits for busy_timeout instead of failing when a read turns into a write.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(private readonly database: SQLite.Database) {
    super({ database: cachingStatements(database) });
  }
  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    handles.set(connection, this.database);
    return connection;
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/** How many distinct statements stay prepared (least recently used ones are dropped past it). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * The handle Kysely's driver sees: `prepare` hands back the statement already prepared for the same SQL
 * (Kysely prepares every query it runs, 27 times per enrichment job), unless that one is busy iterating
 * (a stream still open), when a fresh one is prepared.
 */
export function cachingStatements(database: SQLite.Database): SqliteDialectConfig["database"] {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    const cached = cache.get(sql);
    if (cached && !cached.busy) {
      cache.delete(sql);
      cache.set(sql, cached);
      return cached;
    }
    const statement = database.prepare(sql);
    if (!cached) {
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    return statement;
  };
  return {
    prepare,
    close: () => {
      cache.clear();
      database.close();
    },
  };
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SQLite.Database) {
    super({ database });
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.database);
  }
}

/** The embedded default: one SQLite file in WAL mode. */
export function createSqliteDialect(file: string): SqliteDialect {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 10000");
  return new ImmediateSqliteDialect(database);
}

/**
 * Runs `work` with the better-sqlite3 handle of `ex`'s connection (null on PostgreSQL), holding that
 * connection: inside `ex`'s transaction when it is one, else exclusively, so no other Kysely query
 * interleaves. For bulk paths only (prepared statements reused over many rows); `work` must be synchronous
 * on the handle.
 */
export function withSqliteHandle<T>(ex: Executor, work: (database: SQLite.Database | null) => T | Promise<T>): Promise<T> {
  return ex.getExecutor().provideConnection(async (connection) => work(handles.get(connection) ?? null));
}
