import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { advanceCheckpoint, runConnector, type Connector } from "../../ingest/connectors/index.js";
import { createTestClient, type TestClient } from "../testing.js";

const clock = fixedClock("2026-11-24T10:00:00Z");

const oneAlert: Connector = {
  name: "wazuh-lab",
  kind: "wazuh",
  intervalSeconds: 60,
  async pull(checkpoint) {
    if (checkpoint.time) return { alerts: [], checkpoint, more: false };
    const alert = { title: "sshd brute force", source: "wazuh", source_id: "doc-1", time: "2026-11-24T09:58:20Z" };
    return { alerts: [alert], checkpoint: advanceCheckpoint(checkpoint, [{ id: "doc-1", time: alert.time }], null), more: false };
  },
};

describe(`connector routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  beforeEach(async () => {
    env = await openTestEnvironment({
      connectors: { sources: [{ name: "wazuh-lab", kind: "wazuh", enabled: true, interval_seconds: 60 }, { name: "idle", kind: "wazuh", enabled: false, interval_seconds: 60 }] },
    });
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("lists each configured connector's health to viewers and refuses anonymous callers", async () => {
    expect((await client.request("/api/v1/connectors")).status).toBe(401);
    await runConnector(env.store.db, oneAlert, { clock });
    const res = await client.request("/api/v1/connectors", { as: "viewer" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { connectors: Record<string, unknown>[] };
    expect(body.connectors).toEqual([
      expect.objectContaining({ name: "wazuh-lab", kind: "wazuh", last_success: "2026-11-24T10:00:00.000Z", lag_seconds: 100, fetched: 1, created: 1, duplicates: 0, last_error: null }),
      expect.objectContaining({ name: "idle", last_run: null, lag_seconds: null, fetched: 0 }),
    ]);
  });
});
