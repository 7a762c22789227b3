import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, inject } from "vitest";
import { loadConfig, type Config } from "../../src/config/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { createDatabase, dropDatabase as dropPostgresDatabase } from "./temporary-postgres.js";

export interface TestEnvironment {
  store: Store;
  config: Config;
  home: string;
  cleanup(): Promise<void>;
}

/** Which backend this test run exercises: the suite runs once per backend (see vitest.config.ts). */
export function testStoreKind(): "sqlite" | "postgres" {
  return process.env.NIGHTSHIFT_TEST_STORE === "postgres" ? "postgres" : "sqlite";
}

/** A fresh home directory and an empty database of the backend under test: a SQLite file or a new PostgreSQL database. */
export async function openTestEnvironment(overrides: Partial<Config> = {}): Promise<TestEnvironment> {
  const home = mkdtempSync(path.join(tmpdir(), "nightshift-test-"));
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (testStoreKind() === "postgres") {
    const adminUrl = inject("postgresUrl");
    const name = `t_${Math.random().toString(36).slice(2, 12)}`;
    databaseUrl = await createDatabase(adminUrl, name);
    dropDatabase = () => dropPostgresDatabase(adminUrl, name);
  }
  const config = loadConfig({ NIGHTSHIFT_HOME: home }, { ...overrides, ...(databaseUrl ? { database_url: databaseUrl } : {}) });
  const store = await openStore(config);
  return {
    store,
    config,
    home,
    async cleanup() {
      await store.close();
      await dropDatabase?.();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh environment per test of the enclosing describe (opened before each test, cleaned up after):
 * `const { db, env } = useTestEnvironment()` replaces the before/after boilerplate of a store test.
 */
export function useTestEnvironment(overrides: Partial<Config> = {}): { env: () => TestEnvironment; db: () => Store["db"] } {
  let current: TestEnvironment | null = null;
  beforeEach(async () => {
    current = await openTestEnvironment(overrides);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = null;
  });
  const env = () => {
    if (!current) throw new Error("useTestEnvironment: no environment outside a test");
    return current;
  };
  return { env, db: () => env().store.db };
}
