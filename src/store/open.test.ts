import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "./open.js";

describe("openStore's errors", () => {
  it("says it cannot reach the database, where, without the password", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "nightshift-open-"));
    try {
      const error = await openStore({ home, database_url: "postgres://nightshift:S3cretPassw0rd@127.0.0.1:1/soc" }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/^cannot open the store at postgres:\/\/nightshift:\*\*\*@127\.0\.0\.1:1\/soc: /);
      expect(error?.message).not.toContain("S3cretPassw0rd");
      expect(error?.message).not.toContain("migration ?");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("refuses a URL of another scheme without echoing its password", async () => {
    const error = await openStore({ home: tmpdir(), database_url: "mysql://root:TopSecret1@db/soc" }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain("mysql://root:***@db/soc");
    expect(error?.message).not.toContain("TopSecret1");
  });
});
