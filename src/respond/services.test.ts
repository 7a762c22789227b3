import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.js";
import { ValidationError, fixedClock } from "../core/index.js";
import { DEFAULT_POLICY, responseServices } from "./index.js";

describe("response configuration", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), "nightshift-respond-"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  const configWith = (yaml: string) => {
    writeFileSync(path.join(home, "nightshift.yaml"), yaml);
    return loadConfig({ NIGHTSHIFT_HOME: home });
  };

  it("defaults to the documented policy, the record-only connector and no notifications", () => {
    const services = responseServices(loadConfig({ NIGHTSHIFT_HOME: home }), fixedClock("2026-11-24T00:00:00Z"));
    expect(services.policy).toEqual(DEFAULT_POLICY);
    expect(services.connectors.map((c) => c.name)).toEqual(["record-only"]);
    expect(services.notifier).toBeNull();
  });

  it("reads the policy file, the connectors with their secrets and the notify webhook", () => {
    writeFileSync(path.join(home, "policy.yaml"), "rules: [{name: all-auto, decision: auto}]\ndefault: forbidden\n");
    const config = configWith(
      [
        "respond:",
        `  policy_file: ${path.join(home, "policy.yaml")}`,
        "  connectors:",
        "    - {name: fw, kind: webhook, url: 'https://fw.example/hook', secret: '${FW_SECRET}'}",
        "  notify: {url: 'https://hooks.slack.com/services/T/B/x', format: teams}",
      ].join("\n"),
    );
    const services = responseServices(config, fixedClock("2026-11-24T00:00:00Z"), { FW_SECRET: "0123456789abcdef-secret" });
    expect(services.policy.rules.map((r) => r.name)).toEqual(["all-auto"]);
    expect(services.connectors.map((c) => c.name)).toEqual(["fw", "record-only"]);
    expect(services.notifier).not.toBeNull();
  });

  it("an unknown key anywhere in respond is an error naming its path", () => {
    expect(() => configWith("respond:\n  notify: {url: 'https://x.example', colour: red}\n")).toThrow(ValidationError);
    try {
      configWith("respond:\n  notify: {url: 'https://x.example', colour: red}\n  polcy_file: x\n");
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual(["respond.notify.colour", "respond.polcy_file"]);
    }
  });
});
