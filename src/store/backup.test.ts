import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../test/support/cli.js";
import { ValidationError } from "../core/index.js";
import { backupSqlite, checkRestorable, openStore, restoreSqlite } from "./index.js";

const root = path.resolve(import.meta.dirname, "../..");

/** Counter `w` and the number of row-* rows of a database file: equal in every consistent snapshot. */
function pairs(file: string): { w: number; rows: number } {
  const database = new SQLite(file, { readonly: true });
  try {
    const w = (database.prepare("select value from counters where name = 'w'").get() as { value: number } | undefined)?.value ?? 0;
    const rows = (database.prepare("select count(*) as n from counters where name like 'row-%'").get() as { n: number }).n;
    return { w, rows };
  } finally {
    database.close();
  }
}

// The embedded store only (PostgreSQL has pg_dump): the same in both test projects.
describe("backup and restore of the embedded store", () => {
  let home: string;
  let dbFile: string;
  beforeEach(async () => {
    home = mkdtempSync(path.join(tmpdir(), "nightshift-backup-"));
    dbFile = path.join(home, "nightshift.db");
    const store = await openStore({ home });
    // Some bulk, so that a backup takes a while beside the writer.
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 20; i++) await trx.insertInto("counters").values(Array.from({ length: 1000 }, (_, j) => ({ name: `filler-${i}-${j}-${"x".repeat(60)}`, value: j }))).execute();
    });
    await store.close();
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it("takes consistent backups while another process writes, and restores one", async () => {
    const writer = spawn(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "test/support/sqlite-paired-writer.ts"), home, "400"]);
    let output = "";
    writer.stdout.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => writer.on("exit", resolve));
    while (!output.includes("started")) {
      if (writer.exitCode !== null) throw new Error(`writer ended early: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const backups: { file: string; snapshot: { w: number; rows: number } }[] = [];
    for (let i = 0; i < 3; i++) {
      const file = path.join(home, `backup-${i}.db`);
      const result = backupSqlite(dbFile, file);
      expect(result).toMatchObject({ file, migrations: expect.any(Number) });
      expect(result.bytes).toBeGreaterThan(0);
      backups.push({ file, snapshot: pairs(file) });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await exited).toBe(0);
    expect(output).toContain("done 400");
    for (const { snapshot } of backups) {
      expect(snapshot.w).toBeGreaterThan(0);
      expect(snapshot.rows).toBe(snapshot.w);
    }
    // Taken while the writer ran: at least one backup misses some of its 400 pairs.
    expect(backups[0]!.snapshot.w).toBeLessThan(400);
    expect(pairs(dbFile)).toEqual({ w: 400, rows: 400 });

    const chosen = backups[0]!;
    expect(await restoreSqlite(chosen.file, dbFile)).toMatchObject({ migrations: expect.any(Number) });
    const reopened = await openStore({ home });
    try {
      const w = await reopened.db.selectFrom("counters").select("value").where("name", "=", "w").executeTakeFirstOrThrow();
      expect(Number(w.value)).toBe(chosen.snapshot.w);
      expect(reopened.applied).toEqual([]);
    } finally {
      await reopened.close();
    }
  }, 120_000);

  it("refuses to overwrite a file, to restore what is not a sound Nightshift database, and leaves the store as it was", async () => {
    const existing = path.join(home, "exists.db");
    writeFileSync(existing, "x");
    expect(() => backupSqlite(dbFile, existing)).toThrow(ValidationError);

    const garbage = path.join(home, "garbage.db");
    writeFileSync(garbage, "this is not a database, just text that is long enough to look like a file".repeat(100));
    await expect(restoreSqlite(garbage, dbFile)).rejects.toThrow(ValidationError);

    const empty = path.join(home, "empty.db");
    new SQLite(empty).close();
    await expect(checkRestorable(empty)).rejects.toMatchObject({ issues: [{ path: "FILE", message: expect.stringMatching(/not a Nightshift database/) }] });

    const newer = path.join(home, "newer.db");
    copyFileSync(dbFile, newer);
    const database = new SQLite(newer);
    database.prepare("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2099-01-01')").run();
    database.close();
    await expect(checkRestorable(newer)).rejects.toMatchObject({ issues: [{ message: expect.stringMatching(/newer release.*9999-from-the-future/) }] });
    expect(pairs(dbFile)).toEqual({ w: 0, rows: 0 });
    const store = await openStore({ home });
    await store.close();
  });

  it("works from the command line: nightshift backup FILE, nightshift restore FILE", async () => {
    const env = { NIGHTSHIFT_HOME: home, NIGHTSHIFT_DATABASE_URL: undefined };
    const file = path.join(home, "cli-backup.db");
    const backedUp = await runCli(["backup", file], env);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    expect(JSON.parse(backedUp.stdout)).toMatchObject({ file, migrations: expect.any(Number) });
    const restored = await runCli(["restore", file], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ restored: file, database: path.join(home, "nightshift.db") });
    const onPostgres = await runCli(["backup", path.join(home, "pg.db")], { ...env, NIGHTSHIFT_DATABASE_URL: "postgres://u:p@127.0.0.1:1/x" });
    expect(onPostgres.code).toBe(2);
    expect(onPostgres.stderr).toMatch(/pg_dump/);
  }, 60_000);
});
