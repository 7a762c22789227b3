import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openStore } from "./index.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

// Two processes on one SQLite file (`serve` beside `shift run`): read-then-write transactions must wait
// for each other, never fail with SQLITE_BUSY.
describe("SQLite shared by two processes", () => {
  it("serialises read-then-write transactions instead of failing", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "nightshift-sqlite-"));
    try {
      await (await openStore({ home })).close();
      const writer = (n: number) =>
        run(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "test/support/sqlite-writer.ts"), home, String(n)]);
      const [a, b] = await Promise.all([writer(60), writer(60)]);
      const values = [...(JSON.parse(a.stdout) as number[]), ...(JSON.parse(b.stdout) as number[])];
      expect(values.sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
