import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { ValidationError, fixedClock, type Clock } from "../../core/index.js";
import type { Config } from "../../config/index.js";
import { signForSender } from "../../ingest/templates/index.js";
import { createHttpApp } from "../app.js";
import { createTestClient, type TestClient } from "../testing.js";

const NOW = "2026-11-24T10:00:00.000Z";
const HMAC_SECRET = "prometheus-shared-secret";
const TOKEN = "Bearer grafana-0123456789abcdef";
const BASIC = { username: "graylog", password: "graylog-pass-0123" };
const hmacAuth = { type: "hmac" as const, secret: HMAC_SECRET, header: "x-nightshift-signature", prefix: "sha256=", encoding: "hex" as const };

const senders = [
  { name: "prom", template: "alertmanager", auth: { type: "hmac", secret: HMAC_SECRET }, enabled: true },
  { name: "grafana", template: "grafana", auth: { type: "token", value: TOKEN }, enabled: true },
  { name: "graylog", template: "graylog", auth: { type: "basic", ...BASIC }, enabled: true },
  { name: "old", template: "generic", auth: { type: "token", value: TOKEN }, enabled: false },
  { name: "eve", template: "suricata", auth: { type: "token", value: TOKEN }, enabled: true },
] as unknown as Config["webhooks"]["senders"];

function amAlert(n: number, extra: Record<string, unknown> = {}) {
  return {
    status: "firing",
    labels: { alertname: `Alert${n}`, instance: `host-${n}`, severity: "warning" },
    annotations: { summary: `Alert ${n} fired` },
    startsAt: "2026-11-24T09:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    fingerprint: `fp${n}`,
    ...extra,
  };
}
const amPayload = (alerts: unknown[]) => ({ version: "4", groupKey: "{}:{}", status: "firing", receiver: "nightshift", alerts });

async function alertCount(env: TestEnvironment): Promise<number> {
  const row = await env.store.db.selectFrom("alerts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`webhook sender routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  let clock: Clock;
  beforeEach(async () => {
    env = await openTestEnvironment({ webhooks: { senders } });
    clock = fixedClock(NOW);
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const postSigned = (sender: string, body: string, signature = signForSender(hmacAuth, body), extra: Record<string, string> = {}) =>
    client.request(`/api/v1/webhooks/${sender}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-nightshift-signature": signature, ...extra },
    });

  it("accepts a signed Alertmanager payload, and a replay of it only returns duplicates", async () => {
    const body = JSON.stringify(amPayload([amAlert(1), amAlert(2), amAlert(3, { status: "resolved" })]));
    const first = await postSigned("prom", body);
    expect(first.status).toBe(202);
    const result = (await first.json()) as { ids: string[]; created: number; duplicates: number; skipped: number };
    expect(result).toMatchObject({ created: 2, duplicates: 0, skipped: 1 });
    expect(result.ids).toHaveLength(2);

    const replay = await postSigned("prom", body);
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ ids: result.ids, created: 0, duplicates: 2, skipped: 1 });
    expect(await alertCount(env)).toBe(2);

    const stored = await env.store.db.selectFrom("alerts").select(["source", "source_id", "severity", "host_name", "origin_file"]).orderBy("source_id").execute();
    expect(stored.map((r) => [r.source, r.source_id, r.severity, r.host_name])).toEqual([
      ["prom", "fp1@2026-11-24T09:00:00Z", "medium", "host-1"],
      ["prom", "fp2@2026-11-24T09:00:00Z", "medium", "host-2"],
    ]);
    const jobs = await env.store.db.selectFrom("jobs").select("kind").where("kind", "=", "alert.enrich").execute();
    expect(jobs).toHaveLength(2);
  });

  it("keeps 64-bit Suricata flow_ids exact: two EVE alerts differing only past 2^53 are two alerts", async () => {
    const eve = (flow: string) =>
      `{"timestamp":"2026-11-24T09:00:00.000000+0000","flow_id":${flow},"event_type":"alert","src_ip":"10.0.0.5","src_port":51000,` +
      `"dest_ip":"203.0.113.7","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2024897,"rev":3,"signature":"ET C2 beacon","severity":1}}`;
    const body = `[${eve("1234567890123456789")},${eve("1234567890123456788")}]`;
    const res = await client.request("/api/v1/webhooks/eve", { method: "POST", body, headers: { "content-type": "application/json", authorization: TOKEN } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ created: 2, duplicates: 0 });
    const stored = await env.store.db.selectFrom("alerts").select("source_id").orderBy("source_id").execute();
    expect(stored.map((r) => r.source_id)).toEqual([
      "1234567890123456788:1:2024897@2026-11-24T09:00:00.000000+0000",
      "1234567890123456789:1:2024897@2026-11-24T09:00:00.000000+0000",
    ]);
  });

  it("takes NDJSON bodies (Vector, Fluent Bit): by content type, or JSON lines under application/json; a bad line stores nothing", async () => {
    const eve = (sid: number) =>
      JSON.stringify({ timestamp: "2026-11-24T09:00:00.000000+0000", flow_id: 100 + sid, event_type: "alert", src_ip: "10.0.0.5", dest_ip: "203.0.113.7", alert: { gid: 1, signature_id: sid, signature: `sig ${sid}`, severity: 2 } });
    const post = (body: string, type: string) =>
      client.request("/api/v1/webhooks/eve", { method: "POST", body, headers: { "content-type": type, authorization: TOKEN } });
    const ndjson = await post(`${eve(1)}\n\n${eve(2)}\n`, "application/x-ndjson");
    expect(ndjson.status).toBe(202);
    expect(await ndjson.json()).toMatchObject({ created: 2, duplicates: 0 });
    const lines = await post(`${eve(3)}\r\n${eve(4)}\r\n${eve(1)}`, "application/json");
    expect(lines.status).toBe(202);
    expect(await lines.json()).toMatchObject({ created: 2, duplicates: 1 });
    const bad = await post(`${eve(5)}\n{"timestamp": \n`, "application/x-ndjson");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(["line 2"]);
    const badRecord = await post(`${eve(6)}\n${JSON.stringify({ event_type: "alert", timestamp: "not a time", alert: { signature_id: 7 } })}\n`, "application/x-ndjson");
    expect(badRecord.status).toBe(400);
    expect(((await badRecord.json()) as { issues: { path: string }[] }).issues[0]!.path).toMatch(/^line 2/);
    expect(await alertCount(env)).toBe(4);
  });

  it("refuses a bad or missing signature, and the analyst token, storing nothing", async () => {
    const body = JSON.stringify(amPayload([amAlert(1)]));
    const tampered = await postSigned("prom", body.replace("Alert1", "Alert9"), signForSender(hmacAuth, body));
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error: string }).error).toMatch(/signature does not match/);
    const unsigned = await client.request("/api/v1/webhooks/prom", { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(unsigned.status).toBe(401);
    const withToken = await client.request("/api/v1/webhooks/prom", { method: "POST", as: "analyst", body });
    expect(withToken.status).toBe(401);
    const globalSecret = await postSigned("grafana", body);
    expect(globalSecret.status).toBe(401);
    expect(await alertCount(env)).toBe(0);
  });

  it("rejects a batch with one bad record whole, naming the record in the sender's payload", async () => {
    const body = JSON.stringify(amPayload([amAlert(1), amAlert(2, { startsAt: "yesterday-ish" })]));
    const response = await postSigned("prom", body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { issues: { path: string; message: string }[] };
    expect(error.issues).toEqual([{ path: "alerts[1].time", message: expect.stringMatching(/ISO-8601/) as string }]);
    expect(await alertCount(env)).toBe(0);

    const notJson = await postSigned("prom", "{not json");
    expect(notJson.status).toBe(400);
    const noAlerts = await postSigned("prom", JSON.stringify({ receiver: "x" }));
    expect(noAlerts.status).toBe(400);
    expect(((await noAlerts.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe("alerts");
    expect(await alertCount(env)).toBe(0);
  });

  it("answers 404 for an unknown or disabled sender", async () => {
    const unknown = await client.request("/api/v1/webhooks/nagios", { method: "POST", json: {}, headers: { authorization: TOKEN } });
    expect(unknown.status).toBe(404);
    const disabled = await client.request("/api/v1/webhooks/old", { method: "POST", json: { title: "x" }, headers: { authorization: TOKEN } });
    expect(disabled.status).toBe(404);
    expect(await alertCount(env)).toBe(0);
  });

  it("token auth: the configured header value only", async () => {
    const payload = { ...amPayload([amAlert(5)]), orgId: 1, title: "[FIRING:1]", state: "alerting", message: "m" };
    const wrong = await client.request("/api/v1/webhooks/grafana", { method: "POST", json: payload, headers: { authorization: "Bearer nope-nope-nope-nope" } });
    expect(wrong.status).toBe(401);
    const analyst = await client.request("/api/v1/webhooks/grafana", { method: "POST", as: "analyst", json: payload });
    expect(analyst.status).toBe(401);
    const right = await client.request("/api/v1/webhooks/grafana", { method: "POST", json: payload, headers: { authorization: TOKEN } });
    expect(right.status).toBe(202);
    expect(await right.json()).toMatchObject({ created: 1, duplicates: 0 });
    const row = await env.store.db.selectFrom("alerts").select(["source", "title"]).executeTakeFirstOrThrow();
    expect(row).toEqual({ source: "grafana", title: "Alert 5 fired" });
  });

  it("basic auth: Graylog with the right user and password, 401 with a challenge otherwise", async () => {
    const payload = {
      event_definition_id: "def1",
      event_definition_title: "SSH brute force",
      event: { id: "01EVENT", timestamp: "2026-11-24T09:59:00.000Z", message: "12 failures", priority: 2, alert: true, fields: {} },
      backlog: [],
    };
    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    const wrong = await client.request("/api/v1/webhooks/graylog", { method: "POST", json: payload, headers: { authorization: basic(BASIC.username, "wrong") } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic/);
    const right = await client.request("/api/v1/webhooks/graylog", { method: "POST", json: payload, headers: { authorization: basic(BASIC.username, BASIC.password) } });
    expect(right.status).toBe(202);
    const row = await env.store.db.selectFrom("alerts").select(["source_id", "severity", "time"]).executeTakeFirstOrThrow();
    expect(row).toEqual({ source_id: "01EVENT", severity: "medium", time: "2026-11-24T09:59:00.000Z" });
  });

  it("answers 413 over the body limit without storing", async () => {
    const body = JSON.stringify(amPayload([amAlert(1, { annotations: { summary: "x".repeat(11 * 1024 * 1024) } })]));
    const response = await postSigned("prom", body, signForSender(hmacAuth, body), { "content-length": String(Buffer.byteLength(body)) });
    expect(response.status).toBe(413);
    expect(await alertCount(env)).toBe(0);
  });

  it("refuses to start with an invalid sender, naming the setting", () => {
    const config = { ...env.config, webhooks: { senders: [{ name: "x", template: "nagios", auth: { type: "token", value: TOKEN }, enabled: true }] } } as unknown as Config;
    let error: unknown;
    try {
      createHttpApp({ db: env.store.db, config, clock });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path).toBe("webhooks.senders[0].template");
  });
});
