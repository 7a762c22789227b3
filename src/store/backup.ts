import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { ValidationError } from "../core/index.js";
import { migrationProvider } from "./migrations/index.js";

/*
 * Backup and restore of the embedded SQLite store. A backup is `VACUUM INTO` a new file: one read
 * transaction, so it is a consistent snapshot taken while the server and workers keep writing (WAL
 * readers never block writers, and the snapshot is never restarted by their commits, unlike the page-copy
 * backup API). The audit key (`$NIGHTSHIFT_HOME/audit.key` or NIGHTSHIFT_AUDIT_KEY) is not in the database:
 * keep it with the backup, separately, or the restored audit chain cannot be verified.
 */

export interface BackupResult {
  file: string;
  bytes: number;
  /** Migrations applied in the backed-up database (its schema version). */
  migrations: number;
}

function appliedMigrations(database: SQLite.Database): string[] {
  const table = database.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
  if (!table) return [];
  return (database.prepare("select name from kysely_migration order by name").all() as { name: string }[]).map((r) => r.name);
}

/** Writes a consistent copy of the SQLite database `source` to `target` (which must not exist yet). */
export function backupSqlite(source: string, target: string): BackupResult {
  const file = path.resolve(target);
  if (existsSync(file)) throw new ValidationError("backup refused", [{ path: "FILE", message: `${file} exists; a backup never overwrites a file` }]);
  if (!existsSync(source)) throw new ValidationError("backup refused", [{ path: "database", message: `no database at ${source}` }]);
  const database = new SQLite(source, { fileMustExist: true });
  try {
    database.pragma("busy_timeout = 10000");
    database.prepare("VACUUM INTO ?").run(file);
    return { file, bytes: statSync(file).size, migrations: appliedMigrations(database).length };
  } finally {
    database.close();
  }
}

/** Checks that `file` is a sound Nightshift database this release can open: integrity, and no migration it does not know. */
export async function checkRestorable(file: string): Promise<{ migrations: number }> {
  let database: SQLite.Database;
  try {
    database = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new ValidationError("restore refused", [{ path: "FILE", message: `not readable as a SQLite database: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  try {
    let integrity: string;
    try {
      integrity = String(database.pragma("integrity_check", { simple: true }));
    } catch (error) {
      throw new ValidationError("restore refused", [{ path: "FILE", message: `not a SQLite database: ${error instanceof Error ? error.message : String(error)}` }]);
    }
    if (integrity !== "ok") throw new ValidationError("restore refused", [{ path: "FILE", message: `integrity check failed: ${integrity}` }]);
    const applied = appliedMigrations(database);
    if (!applied.length) throw new ValidationError("restore refused", [{ path: "FILE", message: "not a Nightshift database (no migrations applied)" }]);
    const known = new Set(Object.keys(await migrationProvider.getMigrations()));
    const unknown = applied.filter((name) => !known.has(name));
    if (unknown.length)
      throw new ValidationError("restore refused", [{ path: "FILE", message: `made by a newer release (migrations ${unknown.join(", ")} are unknown here); upgrade Nightshift first` }]);
    return { migrations: applied.length };
  } finally {
    database.close();
  }
}

/**
 * Replaces the SQLite database `target` with the backup `file`: checked first, copied beside the target,
 * then renamed over it (with the target's WAL and shared-memory files removed), so a failure leaves the
 * current database as it was. Stop the server and workers first: they would keep writing to the old file.
 * The next open migrates the restored database if it is from an older release.
 */
export async function restoreSqlite(file: string, target: string): Promise<{ migrations: number }> {
  const source = path.resolve(file);
  const checked = await checkRestorable(source);
  mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const staging = `${target}.restore-${process.pid}`;
  rmSync(staging, { force: true });
  const database = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    // A copy through SQLite (not a file copy): a backup still in WAL mode has no -wal file to lose.
    database.prepare("VACUUM INTO ?").run(staging);
  } finally {
    database.close();
  }
  for (const suffix of ["-wal", "-shm"]) rmSync(`${target}${suffix}`, { force: true });
  renameSync(staging, target);
  return checked;
}
