import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

describe("the project's licence", () => {
  it("is one licence, named alike in package.json, LICENSE and the README", () => {
    const declared = JSON.parse(read("package.json")).license;
    expect(declared).toBe("Apache-2.0");
    const text = read("LICENSE");
    expect(text).toContain("Apache License");
    expect(text).toContain("Version 2.0, January 2004");
    const readme = read("README.md");
    expect(readme).toMatch(/## License\n\nNightshift is licensed under the Apache License 2\.0/);
    expect(readme).not.toMatch(/\bMIT\b/);
  });
});
