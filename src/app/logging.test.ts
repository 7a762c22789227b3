import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.js";
import { configuredSecrets } from "./logging.js";

describe("configuredSecrets", () => {
  it("finds every secret the configuration names or refers to, and secret-named environment variables", () => {
    const home = mkdtempSync(path.join(tmpdir(), "nightshift-secrets-"));
    const secretsFile = path.join(home, "secrets.env");
    writeFileSync(secretsFile, "WAZUH_PASSWORD=from-the-file-123\nUNUSED_VALUE=another-file-secret\n");
    const config = loadConfig(
      { NIGHTSHIFT_HOME: home },
      {
        webhook_secret: "webhook-secret-0123456789",
        crew: {
          model: { base_url: "http://127.0.0.1:1/v1", model: "m", api_key: "sk-model-key-1", headers: { "x-org": "org-header-value" } },
          tiers: { vera: { api_key: "sk-vera-key-22" } },
          max_steps: { tora: 12, vera: 24 },
          retry: { max_attempts: 6, base_seconds: 60, max_seconds: 3600 },
        },
        connectors: {
          secrets_file: secretsFile,
          sources: [
            { name: "w", kind: "wazuh", enabled: true, interval_seconds: 60, url: "https://w", password: "${WAZUH_PASSWORD}", user: "${WAZUH_USER}" },
            { name: "d", kind: "defender", enabled: true, interval_seconds: 60, client_secret: "inline-client-secret" },
          ],
        },
        webhooks: { senders: [{ name: "g", template: "grafana", enabled: true, auth: { type: "token", value: "Bearer ${HOOK}" } }] },
      },
    );
    const found = configuredSecrets(config, { HOOK: "hook-token-value", WAZUH_USER: "svc-wazuh", NIGHTSHIFT_MODEL_KEY: "sk-env-key-3", HOME: "/home/x" });
    for (const secret of [
      "webhook-secret-0123456789",
      "sk-model-key-1",
      "org-header-value",
      "sk-vera-key-22",
      "from-the-file-123",
      "another-file-secret",
      "inline-client-secret",
      "hook-token-value",
      "sk-env-key-3",
    ])
      expect(found, secret).toContain(secret);
    expect(found).not.toContain("/home/x");
    expect(found).not.toContain("https://w");
  });
});
