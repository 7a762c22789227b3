import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { ENVIRONMENT_VARIABLES } from "./environment.js";

/** A value each variable accepts, and what the setting becomes. */
const SAMPLES: Record<string, [string, unknown]> = {
  NIGHTSHIFT_HOME: ["HOME", "HOME"],
  NIGHTSHIFT_DATABASE_URL: ["sqlite:/tmp/x.db", "sqlite:/tmp/x.db"],
  NIGHTSHIFT_HOST: ["0.0.0.0", "0.0.0.0"],
  NIGHTSHIFT_PORT: ["8443", 8443],
  NIGHTSHIFT_TLS_CERT_FILE: ["/etc/nightshift/tls/cert.pem", "/etc/nightshift/tls/cert.pem"],
  NIGHTSHIFT_TLS_KEY_FILE: ["/etc/nightshift/tls/key.pem", "/etc/nightshift/tls/key.pem"],
  NIGHTSHIFT_LOG_LEVEL: ["debug", "debug"],
  NIGHTSHIFT_WEBHOOK_SECRET: ["0123456789abcdef0123", "0123456789abcdef0123"],
  NIGHTSHIFT_AUDIT_KEY: ["k".repeat(40), "k".repeat(40)],
  NIGHTSHIFT_GROUPING_WINDOW_MINUTES: ["30", 30],
  NIGHTSHIFT_RULES: [["/a", "/b"].join(path.delimiter), ["/a", "/b"]],
  NIGHTSHIFT_EVENTS_RETENTION_DAYS: ["7", 7],
  NIGHTSHIFT_MODEL_URL: ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"],
  NIGHTSHIFT_MODEL: ["qwen", "qwen"],
  NIGHTSHIFT_MODEL_KEY: ["sk-1", "sk-1"],
  NIGHTSHIFT_TORA_MODEL_URL: ["http://127.0.0.1:8081/v1", "http://127.0.0.1:8081/v1"],
  NIGHTSHIFT_TORA_MODEL: ["small", "small"],
  NIGHTSHIFT_TORA_MODEL_KEY: ["sk-2", "sk-2"],
  NIGHTSHIFT_VERA_MODEL_URL: ["http://127.0.0.1:8082/v1", "http://127.0.0.1:8082/v1"],
  NIGHTSHIFT_VERA_MODEL: ["large", "large"],
  NIGHTSHIFT_VERA_MODEL_KEY: ["sk-3", "sk-3"],
};

function at(config: unknown, key: string): unknown {
  return key.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config);
}

describe("ENVIRONMENT_VARIABLES", () => {
  const home = mkdtempSync(path.join(tmpdir(), "nightshift-env-"));
  for (const variable of ENVIRONMENT_VARIABLES.filter((v) => v.key !== null)) {
    it(`${variable.name} sets ${variable.key}`, () => {
      const sample = SAMPLES[variable.name];
      expect(sample, `a sample value for ${variable.name}`).toBeDefined();
      const [value, expected] = sample!;
      const env: Record<string, string> = { NIGHTSHIFT_HOME: home, [variable.name]: value === "HOME" ? home : value };
      // A TLS file alone is refused (both or neither): give its pair too.
      if (variable.name === "NIGHTSHIFT_TLS_CERT_FILE") env.NIGHTSHIFT_TLS_KEY_FILE = "/k.pem";
      if (variable.name === "NIGHTSHIFT_TLS_KEY_FILE") env.NIGHTSHIFT_TLS_CERT_FILE = "/c.pem";
      if (variable.name.includes("_TORA_") || variable.name.includes("_VERA_")) Object.assign(env, { NIGHTSHIFT_MODEL_URL: "http://127.0.0.1:1/v1" });
      expect(at(loadConfig(env), variable.key!)).toEqual(expected === "HOME" ? home : expected);
    });
  }

  it("refuses one TLS file without the other", () => {
    expect(() => loadConfig({ NIGHTSHIFT_HOME: home, NIGHTSHIFT_TLS_CERT_FILE: "/c.pem" })).toThrow(/invalid configuration/);
  });
});
