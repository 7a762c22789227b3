import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NIGHTSHIFT_VERSION } from "./version.js";

describe("NIGHTSHIFT_VERSION", () => {
  it("is the version package.json releases", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(NIGHTSHIFT_VERSION).toBe(pkg.version);
  });
});
