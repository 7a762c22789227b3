import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { getAlert, listAlerts } from "../../query.js";
import { buildConnectors } from "../registry.js";
import { runConnector } from "../runner.js";
import { makeRedactor } from "../secrets.js";
import { loadState } from "../state.js";
import type { Connector } from "../types.js";
import { SentinelSettings, createSentinelConnector } from "./client.js";
import { WORKSPACE_PATH, incident, securityAlert, startFakeSentinel, type FakeSentinel } from "./testing.js";

const TENANT = "0f6c2b7e-5a1d-4c3e-9b8a-2d4e6f8a0b1c";
const CLIENT = "3a9e1d5c-7b2f-4e6a-8c0d-1f3b5d7e9a2c";
const SECRET = "s3cret~Sentinel.Client_Secret";
const at = (minute: number) => `2026-11-24T10:${String(minute).padStart(2, "0")}:00.000Z`;

describe(`sentinel connector against a loopback Azure Resource Manager (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let fake: FakeSentinel;
  let sleeps: number[];
  const clock = fixedClock("2026-11-24T10:30:00Z");
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const redact = makeRedactor([SECRET]);

  function connector(overrides: Record<string, unknown> = {}): Connector {
    const settings = SentinelSettings.parse({
      name: "sentinel-lab",
      kind: "sentinel",
      tenant_id: TENANT,
      client_id: CLIENT,
      client_secret: SECRET,
      authority_url: fake.url,
      management_url: fake.url,
      subscription_id: "sub-1",
      resource_group: "soc-rg",
      workspace_name: "soc-ws",
      page_size: 2,
      ...overrides,
    });
    return createSentinelConnector(settings, { redact });
  }
  const run = (c: Connector) => runConnector(env.store.db, c, { clock, sleep, redact });
  const stored = async () => (await listAlerts(env.store.db, { limit: 500 })).map((a) => a.source_id).sort();
  const listRequests = () => fake.requests.filter((r) => r.method === "GET" && r.path === WORKSPACE_PATH);
  const alertRequests = () => fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/alerts"));

  beforeEach(async () => {
    env = await openTestEnvironment();
    fake = await startFakeSentinel({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET });
    sleeps = [];
  });
  afterEach(async () => {
    await fake.close();
    await env.cleanup();
  });

  it("is a configured kind: `kind: sentinel` builds from the configuration", () => {
    const [built] = buildConnectors(
      { connectors: { sources: [{ name: "s", kind: "sentinel", enabled: true, interval_seconds: 60, tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, subscription_id: "sub-1", resource_group: "rg", workspace_name: "ws-1" }] } },
      {},
    );
    expect(built!.connector.kind).toBe("sentinel");
  });

  it("pages incidents oldest change first by nextLink, stores each incident's alerts once, and checkpoints", async () => {
    for (let i = 1; i <= 5; i++) {
      fake.incidents.push(incident(`inc-${i}`, at(i)));
      fake.alerts.set(`inc-${i}`, [securityAlert(`a-${i}`, at(i))]);
    }
    fake.alerts.set("inc-2", [securityAlert("a-2", at(2)), securityAlert("a-2b", at(2))]);
    fake.alerts.set("inc-5", []);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, caught_up: true, created: 6, duplicates: 0, pages: 3 });
    expect(await stored()).toEqual(["a-1", "a-2", "a-2b", "a-3", "a-4", "incident:inc-5"]);
    // A client-credentials token for Azure Resource Manager; the documented list query; alerts by POST.
    expect(fake.requests[0]).toMatchObject({ method: "POST", path: `/${TENANT}/oauth2/v2.0/token`, form: { scope: "https://management.azure.com/.default", grant_type: "client_credentials" } });
    expect(listRequests()[0]!.query).toEqual({
      "api-version": "2024-03-01",
      $filter: "properties/lastModifiedTimeUtc ge 2026-11-23T10:30:00.000Z",
      $orderby: "properties/lastModifiedTimeUtc asc",
      $top: "2",
    });
    expect(listRequests()[1]!.query.$skipToken).toBe("2");
    expect(alertRequests()).toHaveLength(5);
    expect(alertRequests().every((r) => r.authorization === `Bearer ${fake.issued[0]}` && r.query["api-version"] === "2024-03-01")).toBe(true);
    const state = await loadState(env.store.db, "sentinel-lab");
    expect(state.checkpoint).toMatchObject({ time: at(5), seen: ["inc-5"] });

    const alert = (await listAlerts(env.store.db, { limit: 10 })).find((a) => a.source_id === "a-1")!;
    const full = await getAlert(env.store.db, alert.id);
    expect(full).toMatchObject({
      title: "Suspicious sign-in a-1",
      source: "sentinel",
      severity: "medium",
      confidence: 80,
      rule: { id: "ScheduledRule_anon_ip", source: "Azure Sentinel" },
      attack: { tactics: ["Initial Access", "Command and Control"], tactic_ids: ["TA0001", "TA0011"], techniques: ["T1078", "T1071.001"] },
      unmapped: { sentinel_incident_id: "inc-1", sentinel_incident_number: 1, vendor_severity: "Medium" },
    });

    // The next run re-queries from the mark (minus the lookback): nothing new is created; an incident
    // that changed since (a new alert joined) is read again and only its new alert is stored.
    fake.incidents[0] = incident("inc-1", at(20));
    fake.alerts.set("inc-1", [securityAlert("a-1", at(1)), securityAlert("a-1b", at(19))]);
    const again = await run(connector());
    expect(again).toMatchObject({ error: null, created: 1 });
    expect(await stored()).toContain("a-1b");
    // The mark (10:05) minus the 300 s lookback.
    expect(listRequests().at(-1)!.query.$filter).toBe("properties/lastModifiedTimeUtc ge 2026-11-24T10:00:00.000Z");
  });

  it("waits out a 429 with its Retry-After, renews a revoked token once, and fails cleanly on a wrong secret without writing it", async () => {
    fake.incidents.push(incident("inc-1", at(1)));
    fake.alerts.set("inc-1", [securityAlert("a-1", at(1))]);
    fake.faults.push({ status: 429, headers: { "retry-after": "7" } });
    expect(await run(connector())).toMatchObject({ error: null, created: 1 });
    expect(sleeps).toContain(7000);

    fake.revokeTokens();
    fake.incidents.push(incident("inc-2", at(25)));
    fake.alerts.set("inc-2", [securityAlert("a-2", at(25))]);
    expect(await run(connector())).toMatchObject({ error: null, created: 1 });
    expect(fake.issued.length).toBeGreaterThanOrEqual(2);

    const wrong = await run(connector({ client_secret: "not-the-secret-value" }));
    expect(wrong.error).toMatch(/401/);
    const state = await loadState(env.store.db, "sentinel-lab");
    expect(JSON.stringify(state)).not.toContain(SECRET);
    expect(wrong.error).not.toContain("not-the-secret-value");
  });
});
