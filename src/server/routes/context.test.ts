import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { attachAlert } from "../../cases/index.js";
import { enrichStoredAlert, loadContext } from "../../context/index.js";
import { fixedClock } from "../../core/index.js";
import { getAlert } from "../../ingest/index.js";
import { createTestClient, type TestClient } from "../testing.js";

const NOW = "2026-11-24T10:00:00.000Z";

describe(`context gaps route and case missing fields (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  const clock = fixedClock(NOW, 1000);

  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
    await loadContext(env.store.db, { assets: [{ hostname: "ws-1", criticality: "high", environment: "production" }] }, { clock });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  /** Ingests through the API, enriches and groups the way the pipeline does; returns the case id. */
  async function ingest(alerts: Record<string, unknown>[]): Promise<string> {
    const res = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", json: alerts });
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as { ids: string[] };
    let caseId = "";
    for (const id of ids) {
      await enrichStoredAlert(env.store.db, { alert_id: id }, { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock });
      caseId = (await attachAlert(env.store.db, (await getAlert(env.store.db, id))!, { windowMinutes: 240 }, clock)).caseId;
    }
    return caseId;
  }

  it("counts gaps per source for a viewer, filters by source and range, and refuses a bad time", async () => {
    await ingest([
      { title: "beacon", source: "zeek", source_id: "1", time: "2026-11-24T08:00:00Z", host: "ws-1", dst: "evil.example" },
      { title: "login", source: "okta", source_id: "2", time: "2026-11-24T08:30:00Z", subtype: "auth_failed_login", user: "ghost" },
    ]);
    expect((await client.request("/api/v1/context/gaps")).status).toBe(401);
    const res = await client.request("/api/v1/context/gaps", { as: "viewer" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sources: Record<string, { alerts: number; enriched: number; missing: Record<string, number> }> };
    expect(Object.keys(body.sources)).toEqual(["okta", "zeek"]);
    expect(body.sources.zeek).toMatchObject({ alerts: 1, enriched: 1, missing: { "asset.owner": 1 } });
    expect(body.sources.okta!.missing).toMatchObject({ "identity.privilege_level": 1 });

    const filtered = (await (await client.request("/api/v1/context/gaps?source=okta&since=2026-11-24T08:15:00Z", { as: "viewer" })).json()) as {
      total: { alerts: number };
      sources: Record<string, unknown>;
    };
    expect(Object.keys(filtered.sources)).toEqual(["okta"]);
    const late = (await (await client.request("/api/v1/context/gaps?since=2026-11-24T09:00:00Z", { as: "viewer" })).json()) as { total: { alerts: number } };
    expect(late.total.alerts).toBe(0);

    const bad = await client.request("/api/v1/context/gaps?until=soon", { as: "viewer" });
    expect(bad.status).toBe(400);
  });

  it("shows a case's missing fields: the union over its alerts", async () => {
    const caseId = await ingest([
      { title: "beacon", source: "zeek", source_id: "1", time: "2026-11-24T08:00:00Z", host: "ws-1", dst: "evil.example" },
      { title: "beacon", source: "zeek", source_id: "2", time: "2026-11-24T08:05:00Z", host: "ws-1", dst: "evil.example", user: "ghost" },
    ]);
    const res = await client.request(`/api/v1/cases/${caseId}`, { as: "viewer" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { alert_ids: string[]; missing_fields: string[]; missing_counts: Record<string, number> };
    expect(body.alert_ids).toHaveLength(2);
    expect(body.missing_fields).toEqual(expect.arrayContaining(["asset.owner", "identity.privilege_level"]));
    expect(body.missing_counts).toMatchObject({ "asset.owner": 2, "identity.privilege_level": 1 });
  });
});
