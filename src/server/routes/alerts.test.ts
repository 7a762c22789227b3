import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { signBody } from "../auth/signature.js";
import { createTestClient, type TestClient } from "../testing.js";

const SECRET = "a-webhook-secret-of-some-length";
const NOW = "2026-11-24T10:00:00.000Z";

async function alertCount(env: TestEnvironment): Promise<number> {
  const row = await env.store.db.selectFrom("alerts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`alerts routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  beforeEach(async () => {
    env = await openTestEnvironment({ webhook_secret: SECRET });
    client = await createTestClient({ db: env.store.db, config: env.config, clock: fixedClock(NOW) });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const alert = (n: number, extra: Record<string, unknown> = {}) => ({
    title: `Suspicious DNS lookup ${n}`,
    source: "suricata",
    source_id: `sid-${n}`,
    severity: "high",
    host: "ws-17",
    ...extra,
  });

  it("refuses anonymous callers and viewers on ingest, and lets viewers read", async () => {
    const anonymous = await client.request("/api/v1/alerts", { method: "POST", json: alert(1) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await client.request("/api/v1/alerts")).status).toBe(401);
    const viewer = await client.request("/api/v1/alerts", { method: "POST", as: "viewer", json: alert(1) });
    expect(viewer.status).toBe(403);
    expect(await alertCount(env)).toBe(0);
    expect((await client.request("/api/v1/alerts", { as: "viewer" })).status).toBe(200);
  });

  it("ingests a batch, returns ids in order and dedupes on source + source_id", async () => {
    const first = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", json: [alert(1), alert(2)] });
    expect(first.status).toBe(202);
    const body = (await first.json()) as { ids: string[]; created: number; duplicates: number };
    expect(body.created).toBe(2);
    expect(body.duplicates).toBe(0);
    expect(body.ids).toHaveLength(2);
    expect(new Set(body.ids).size).toBe(2);

    const again = await client.request("/api/v1/alerts", { method: "POST", as: "admin", json: alert(2, { title: "changed title" }) });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ ids: [body.ids[1]], created: 0, duplicates: 1 });
    expect(await alertCount(env)).toBe(2);

    const one = await client.request(`/api/v1/alerts/${body.ids[0]}`, { as: "viewer" });
    expect(one.status).toBe(200);
    const stored = (await one.json()) as { id: string; title: string; source_id: string; origin: { via: string }; stage: string };
    expect(stored).toMatchObject({ id: body.ids[0], title: "Suspicious DNS lookup 1", source_id: "sid-1", stage: "received" });
    expect(stored.origin.via).toBe("api");

    const listed = (await (await client.request("/api/v1/alerts?limit=1", { as: "viewer" })).json()) as { alerts: { id: string }[] };
    expect(listed.alerts).toHaveLength(1);
    const page2 = (await (await client.request("/api/v1/alerts?limit=1&offset=1", { as: "viewer" })).json()) as { alerts: { id: string }[] };
    expect(page2.alerts).toHaveLength(1);
    expect(new Set([listed.alerts[0]!.id, page2.alerts[0]!.id])).toEqual(new Set(body.ids));
  });

  it("keeps integer ids beyond 2^53 exact in a JSON body", async () => {
    const body = '[{"title": "a", "source": "edr", "source_id": 18446744073709551615}, {"title": "b", "source": "edr", "source_id": 18446744073709551614}]';
    const res = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", body, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ created: 2, duplicates: 0 });
    const stored = await env.store.db.selectFrom("alerts").select("source_id").orderBy("source_id").execute();
    expect(stored.map((r) => r.source_id)).toEqual(["18446744073709551614", "18446744073709551615"]);
  });

  it("rejects a batch with one bad alert field by field and stores nothing", async () => {
    const res = await client.request("/api/v1/alerts", {
      method: "POST",
      as: "analyst",
      json: [alert(1), { source: "suricata", severity: "apocalyptic" }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string; message: string }[] };
    const paths = body.issues.map((i) => i.path);
    expect(paths).toContain("[1].title");
    expect(paths).toContain("[1].severity");
    expect(paths.some((p) => p.startsWith("[0]"))).toBe(false);
    expect(await alertCount(env)).toBe(0);
    const jobs = await env.store.db.selectFrom("jobs").selectAll().execute();
    expect(jobs).toEqual([]);
  });

  it("rejects an empty batch, a non-object body and an unknown alert id", async () => {
    const empty = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", json: [] });
    expect(empty.status).toBe(400);
    const scalar = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", json: "just a string" });
    expect(scalar.status).toBe(400);
    expect(((await scalar.json()) as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
    const missing = await client.request("/api/v1/alerts/no-such-alert", { as: "viewer" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "alert no-such-alert not found" });
  });

  describe("webhook signature", () => {
    const post = (body: string, headers: Record<string, string>) =>
      client.request("/api/v1/alerts", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

    it("accepts a body signed with the secret and records the webhook origin", async () => {
      const body = JSON.stringify(alert(7));
      const res = await post(body, { "x-nightshift-signature": signBody(SECRET, body) });
      expect(res.status).toBe(202);
      const { ids } = (await res.json()) as { ids: string[] };
      const stored = (await (await client.request(`/api/v1/alerts/${ids[0]}`, { as: "viewer" })).json()) as { origin: { via: string } };
      expect(stored.origin.via).toBe("webhook");
    });

    it("accepts a fresh timestamped signature and refuses a stale one", async () => {
      const body = JSON.stringify(alert(8));
      const fresh = String(Date.parse(NOW) / 1000 - 60);
      const ok = await post(body, { "x-nightshift-signature": signBody(SECRET, body, fresh), "x-nightshift-timestamp": fresh });
      expect(ok.status).toBe(202);
      const stale = String(Date.parse(NOW) / 1000 - 6 * 60);
      const old = await post(JSON.stringify(alert(9)), {
        "x-nightshift-signature": signBody(SECRET, JSON.stringify(alert(9)), stale),
        "x-nightshift-timestamp": stale,
      });
      expect(old.status).toBe(401);
      expect(((await old.json()) as { error: string }).error).toMatch(/5 minutes/);
      expect(await alertCount(env)).toBe(1);
    });

    it("refuses a tampered body, a signature without its timestamp and the wrong secret", async () => {
      const body = JSON.stringify(alert(10));
      const tampered = await post(body.replace("ws-17", "ws-18"), { "x-nightshift-signature": signBody(SECRET, body) });
      expect(tampered.status).toBe(401);
      const ts = String(Date.parse(NOW) / 1000);
      const noTimestamp = await post(body, { "x-nightshift-signature": signBody(SECRET, body, ts) });
      expect(noTimestamp.status).toBe(401);
      const wrongSecret = await post(body, { "x-nightshift-signature": signBody("another-secret-entirely", body) });
      expect(wrongSecret.status).toBe(401);
      expect(await alertCount(env)).toBe(0);
    });

    it("only opens the alert route: a signature is no credential elsewhere", async () => {
      const body = JSON.stringify({ role: "admin" });
      const res = await client.request("/api/v1/tokens", {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "x-nightshift-signature": signBody(SECRET, body) },
      });
      expect(res.status).toBe(401);
    });

    it("refuses signatures when no secret is configured", async () => {
      const bare = await openTestEnvironment();
      try {
        const other = await createTestClient({ db: bare.store.db, config: bare.config, clock: fixedClock(NOW) });
        const body = JSON.stringify(alert(11));
        const res = await other.request("/api/v1/alerts", {
          method: "POST",
          body,
          headers: { "content-type": "application/json", "x-nightshift-signature": signBody(SECRET, body) },
        });
        expect(res.status).toBe(401);
        expect(await alertCount(bare)).toBe(0);
      } finally {
        await bare.cleanup();
      }
    });
  });
});
