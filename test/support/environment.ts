import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { testStoreKind } from "./store.js";
import { createDatabase, dropDatabase } from "./temporary-postgres.js";

/** Environment variables for a CLI process: a fresh home, and a fresh PostgreSQL database in the postgres project. */
export async function cliEnvironment(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  const home = mkdtempSync(path.join(tmpdir(), "nightshift-cli-"));
  const env: Record<string, string> = { NIGHTSHIFT_HOME: home };
  let name: string | undefined;
  if (testStoreKind() === "postgres") {
    name = `c_${Math.random().toString(36).slice(2, 12)}`;
    env.NIGHTSHIFT_DATABASE_URL = await createDatabase(inject("postgresUrl"), name);
  }
  return {
    env,
    async cleanup() {
      if (name) await dropDatabase(inject("postgresUrl"), name);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
