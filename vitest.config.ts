import { defineConfig } from "vitest/config";

// The whole suite runs twice: once on the embedded SQLite store, once on a real PostgreSQL server that
// test/support/postgres-server.ts starts (installing PostgreSQL first on a bare Debian machine).
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
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
          env: { NIGHTSHIFT_TEST_STORE: "postgres" },
          globalSetup: ["test/support/postgres-server.ts"],
        },
      },
    ],
  },
});
