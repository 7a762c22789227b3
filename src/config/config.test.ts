import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../core/index.js";
import { loadConfig } from "./config.js";

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), "nightshift-config-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function failure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

const render = (error: ValidationError) => [error.message, ...error.issues.map((i) => `${i.path}: ${i.message}`)].join("\n");

describe("loadConfig", () => {
  it("takes the defaults with no file", () => {
    const config = loadConfig({ NIGHTSHIFT_HOME: home });
    expect(config.grouping.window_minutes).toBe(240);
    expect(config.home).toBe(path.resolve(home));
  });

  it("names a misspelt key by its full path, at any depth", () => {
    writeFileSync(path.join(home, "nightshift.yaml"), "grouping:\n  window_minute: 30\nhistroy: {}\n");
    const error = failure(() => loadConfig({ NIGHTSHIFT_HOME: home }));
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: "grouping.window_minute", message: "unknown setting" },
        { path: "histroy", message: "unknown setting" },
      ]),
    );
    expect(error.message).toContain(path.join(home, "nightshift.yaml"));
  });

  it("refuses unknown keys inside a connector's mapping and a model's settings too", () => {
    writeFileSync(path.join(home, "nightshift.yaml"), "crew:\n  max_step: {tora: 3}\n");
    expect(failure(() => loadConfig({ NIGHTSHIFT_HOME: home })).issues).toEqual([{ path: "crew.max_step", message: "unknown setting" }]);
  });

  it("fails when NIGHTSHIFT_CONFIG names a file that does not exist", () => {
    const missing = path.join(home, "nope.yaml");
    expect(render(failure(() => loadConfig({ NIGHTSHIFT_HOME: home, NIGHTSHIFT_CONFIG: missing })))).toContain(`${missing}, which does not exist`);
  });

  it("names the file, line and column of a YAML syntax error", () => {
    const file = path.join(home, "custom.yaml");
    writeFileSync(file, "port: 8700\ngrouping:\n  window_minutes: [1, 2\n");
    const message = failure(() => loadConfig({ NIGHTSHIFT_HOME: home, NIGHTSHIFT_CONFIG: file })).message;
    expect(message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: not valid YAML`));
  });

  it("never echoes a database password, whether the URL is malformed or merely wrong", () => {
    const error = failure(() => loadConfig({ NIGHTSHIFT_HOME: home, NIGHTSHIFT_DATABASE_URL: "postgress://admin:Hunter2Secret@db:5432/ns" }));
    expect(error.issues).toEqual([{ path: "database_url", message: "expected a postgres:// or sqlite: URL" }]);
    expect(render(error)).not.toContain("Hunter2Secret");
  });
});
