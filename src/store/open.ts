import path from "node:path";
import { Kysely, Migrator, type Dialect } from "kysely";
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
  close(): Promise<void>;
}

export interface StoreOptions {
  home: string;
  database_url?: string | undefined;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

/** Opens the store named by the configuration and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  let dialect: Dialect;
  let kind: StoreKind;
  let location: string;
  let closing = () => {};
  if (isPostgresUrl(options.database_url)) {
    const postgres = createPostgresDialect(options.database_url!);
    dialect = postgres.dialect;
    closing = postgres.closing;
    kind = "postgres";
    location = options.database_url!.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
  } else if (options.database_url && !options.database_url.startsWith("sqlite:")) {
    throw new Error(`NIGHTSHIFT_DATABASE_URL must be a postgres:// or sqlite: URL, got ${options.database_url}`);
  } else {
    location = options.database_url
      ? options.database_url.replace(/^sqlite:(\/\/)?/, "")
      : path.join(options.home, "nightshift.db");
    dialect = createSqliteDialect(location);
    kind = "sqlite";
  }
  const db = new Kysely<Database>({ dialect });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    kind,
    location,
    close: () => {
      closing();
      return db.destroy();
    },
  };
}

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${String(error)}`);
  }
}
