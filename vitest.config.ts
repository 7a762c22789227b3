import { defineConfig } from "vitest/config";

// The whole suite runs twice: once on the embedded SQLite store, once on a real PostgreSQL server that
// test/support/postgres-server.ts starts (installing PostgreSQL first on a bare Debian machine).
export default defineConfig({
  test: {
    testTimeout: 60_000,
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
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
          env: { NIGHTSHIFT_TEST_STORE: "postgres" },
          globalSetup: ["test/support/postgres-server.ts"],
        },
      },
    ],
  },
});
