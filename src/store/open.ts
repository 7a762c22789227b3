import path from "node:path";
import { Kysely, Migrator, type Dialect } from "kysely";
import { withoutPassword } from "../core/index.js";
import { loadAuditKey, type AuditKey } from "./audit-key.js";
import type { Database, Db } from "./database.js";
import { createPostgresDialect } from "./dialect/postgres/postgres-driver.js";
import { createSqliteDialect } from "./dialect/sqlite/sqlite-driver.js";
import { migrationProvider } from "./migrations/index.js";

export type StoreKind = "sqlite" | "postgres";

export interface Store {
  db: Db;
  kind: StoreKind;
  /** The SQLite file or the PostgreSQL URL without its password. */
  location: string;
  /** The key that signs the audit chain (never stored in the database). */
  auditKey: AuditKey;
  /** The migrations this open applied (empty when the schema was up to date). */
  applied: string[];
  close(): Promise<void>;
}

export interface StoreOptions {
  home: string;
  database_url?: string | undefined;
  /** The audit chain's key (NIGHTSHIFT_AUDIT_KEY); else `$home/audit.key`, created on first use. */
  audit_key?: string | undefined;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

/** The SQLite file the configuration names (default `$home/nightshift.db`); null for PostgreSQL. */
export function sqliteFile(options: Pick<StoreOptions, "home" | "database_url">): string | null {
  if (isPostgresUrl(options.database_url)) return null;
  if (options.database_url && !options.database_url.startsWith("sqlite:"))
    throw new Error(`database_url (NIGHTSHIFT_DATABASE_URL) must be a postgres:// or sqlite: URL, got ${withoutPassword(options.database_url)}`);
  return options.database_url ? options.database_url.replace(/^sqlite:(\/\/)?/, "") : path.join(options.home, "nightshift.db");
}

/** Opens the store named by the configuration and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const auditKey = loadAuditKey(options.home, options.audit_key);
  let dialect: Dialect;
  let kind: StoreKind;
  let location: string;
  let closing = () => {};
  if (isPostgresUrl(options.database_url)) {
    const postgres = createPostgresDialect(options.database_url!);
    dialect = postgres.dialect;
    closing = postgres.closing;
    kind = "postgres";
    location = withoutPassword(options.database_url!);
  } else {
    location = sqliteFile(options)!;
    dialect = createSqliteDialect(location);
    kind = "sqlite";
  }
  const db = new Kysely<Database>({ dialect, plugins: [auditKey] });
  let applied: string[];
  try {
    applied = await migrate(db, location);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    kind,
    location,
    auditKey,
    applied,
    close: () => {
      closing();
      return db.destroy();
    },
  };
}

/**
 * Brings the schema up to date and returns the names of the migrations applied. A failure names the migration
 * that failed, or — when none ran because the database could not be reached — says so with the store's location
 * (never its password).
 */
export async function migrate(db: Db, location = "the database"): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (!error) return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  const message = withoutPassword(error instanceof Error ? error.message : String(error));
  const failed = results?.find((r) => r.status === "Error");
  if (failed) throw new Error(`migration ${failed.migrationName} failed on ${location}: ${message}`);
  throw new Error(`cannot open the store at ${location}: ${message}`);
}
