import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { ValidationError } from "../../core/index.js";
import { backupSqlite, restoreSqlite, sqliteFile } from "../../store/index.js";
import { action, printJson } from "../run.js";

/** The embedded store's file; PostgreSQL has its own tools. */
function embeddedFile(verb: string): string {
  const config = loadConfig();
  const file = sqliteFile(config);
  if (!file) throw new ValidationError(`${verb} is for the embedded SQLite store`, [{ path: "database_url", message: "this store is PostgreSQL: use pg_dump / pg_restore" }]);
  return file;
}

export function register(program: Command) {
  program
    .command("backup")
    .argument("<file>", "the backup to write (must not exist)")
    .description("write a consistent copy of the embedded SQLite store while it keeps running (VACUUM INTO); keep $NIGHTSHIFT_HOME/audit.key with it, separately")
    .action(
      action(async (file: string) => {
        printJson(backupSqlite(embeddedFile("backup"), file));
      }),
    );
  program
    .command("restore")
    .argument("<file>", "a backup written by `nightshift backup`")
    .description("replace the embedded SQLite store with a backup (checked first; stop the server and workers before); an older release's backup is migrated on the next start")
    .action(
      action(async (file: string) => {
        const database = embeddedFile("restore");
        const { migrations } = await restoreSqlite(file, database);
        printJson({ restored: file, database, migrations });
      }),
    );
}
