import { defineConfig } from "vitest/config";
import { testsReaching } from "./test/support/store-tests.js";

// Every test runs on the embedded SQLite store; the tests that use a database (those whose imports reach
// test/support/store.ts) run a second time on a real PostgreSQL server that test/support/postgres-server.ts
// starts (installing PostgreSQL first on a bare Debian machine). Store-free tests run once.
const storeTests = testsReaching(import.meta.dirname, ["src", "test", "bench"], "test/support/store.ts");
export default defineConfig({
  test: {
    // Generous: CLI tests spawn processes and a loaded 2-core machine can be several times slower than usual.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "sqlite",
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
          env: { NIGHTSHIFT_TEST_STORE: "sqlite" },
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          include: storeTests,
          env: { NIGHTSHIFT_TEST_STORE: "postgres" },
          globalSetup: ["test/support/postgres-server.ts"],
        },
      },
    ],
  },
});
