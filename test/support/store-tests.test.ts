import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listTestFiles, testsReaching } from "./store-tests.js";

const root = path.resolve(import.meta.dirname, "../..");
const folders = ["src", "test", "bench"];
const storeTests = testsReaching(root, folders, "test/support/store.ts");

describe("which tests run on PostgreSQL too", () => {
  it("takes every test that opens a database, directly or through a helper", () => {
    expect(storeTests).toContain("src/cases/audit.test.ts"); // imports test/support/store.ts directly
    expect(storeTests).toContain("test/demo.test.ts"); // through test/support/environment.ts
  });

  it("leaves store-free tests to run once", () => {
    expect(storeTests).not.toContain("src/detect/sigma/rule.test.ts");
    expect(storeTests).not.toContain("src/journal/redact.test.ts");
  });

  it("misses no test file that calls a store helper itself", () => {
    const helpers = /\b(openTestEnvironment|useTestEnvironment|testStoreKind|cliEnvironment)\(|inject\("postgresUrl"\)/;
    const self = "test/support/store-tests.test.ts";
    const naming = listTestFiles(root, folders).filter(
      (file) => file !== self && helpers.test(readFileSync(path.join(root, file), "utf8")),
    );
    expect(naming.length).toBeGreaterThan(40);
    expect(naming.filter((file) => !storeTests.includes(file))).toEqual([]);
  });
});
