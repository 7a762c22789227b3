import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJsonDocuments } from "../../../test/support/shared.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { detectionHandlers } from "../../app/detection.js";
import { TWIN_EVENTS, testRuleDir } from "../../app/testing.js";
import { fixedClock } from "../../core/index.js";
import { createDetector } from "../../detect/index.js";
import { listAlerts } from "../../ingest/index.js";
import { runUntilIdle, type Db } from "../../store/index.js";
import { signBody } from "../auth/signature.js";
import { createTestClient, type TestClient } from "../testing.js";
import { MAX_EVENT_BATCH, NDJSON } from "./events.js";

const SECRET = "a-webhook-secret-of-some-length";
const NOW = "2026-11-24T10:00:00.000Z";
const CLOCK = fixedClock(NOW);

async function eventCount(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from events`.execute(db);
  return Number(rows[0]!.n);
}

async function jobCount(db: Db, kind: string): Promise<number> {
  const row = await db.selectFrom("jobs").select((eb) => eb.fn.countAll().as("n")).where("kind", "=", kind).executeTakeFirstOrThrow();
  return Number(row.n);
}

interface Ingested {
  ids: string[];
  stored: number;
  duplicates: number;
}

describe(`events routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  let twins: Record<string, unknown>[];
  beforeEach(async () => {
    env = await openTestEnvironment({ webhook_secret: SECRET });
    client = await createTestClient({ db: env.store.db, config: env.config, clock: CLOCK });
    twins = [
      ...(await readJsonDocuments(TWIN_EVENTS.certutilDecode.file())),
      ...(await readJsonDocuments(TWIN_EVENTS.explicitCredentialLogon.file())),
    ];
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("stores a batch of Sysmon and Security events, detects on them, and queues the alerts for the crew, once", async () => {
    const res = await client.request("/api/v1/events", { method: "POST", as: "analyst", json: twins });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Ingested;
    expect(body).toMatchObject({ stored: 2, duplicates: 0 });
    expect(body.ids).toHaveLength(2);
    expect(await jobCount(env.store.db, "events.detect")).toBe(1);

    const rules = testRuleDir(["certutilDecode", "explicitCredentialLogon"]);
    try {
      const handlers = detectionHandlers({ detector: () => createDetector({ ruleDirs: [rules.dir] }), clock: CLOCK });
      expect(await runUntilIdle(env.store.db, { handlers, clock: CLOCK })).toEqual({ processed: 1, failed: 0 });
    } finally {
      rules.remove();
    }
    const alerts = await listAlerts(env.store.db);
    const certutil = alerts.find((a) => a.rule?.id === TWIN_EVENTS.certutilDecode.ruleId);
    expect(certutil?.rule?.author).toBe(TWIN_EVENTS.certutilDecode.author);
    expect(certutil?.attack?.techniques).toContain(TWIN_EVENTS.certutilDecode.technique);
    expect(certutil?.host?.name).toBe("ar-win-dc.attackrange.local");
    expect(alerts).toHaveLength(2);
    expect(await jobCount(env.store.db, "alert.enrich")).toBe(2);

    const again = await client.request("/api/v1/events", { method: "POST", as: "analyst", json: twins });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ ids: body.ids, stored: 0, duplicates: 2, untimed: 0 });
    expect(await jobCount(env.store.db, "events.detect")).toBe(1);
    expect(await eventCount(env.store.db)).toBe(2);
  });

  it("accepts one object (Logstash format => json) and Winlogbeat documents as they come", async () => {
    const winlogbeat = {
      "@timestamp": "2026-11-24T09:59:00.000Z",
      host: { name: "ws-17" },
      winlog: { channel: "Security", event_id: "4624", event_data: { TargetUserName: "alice", IpAddress: "10.0.0.5" } },
    };
    const res = await client.request("/api/v1/events", { method: "POST", as: "analyst", json: winlogbeat });
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as Ingested;
    const found = await client.request("/api/v1/events?host=ws-17&event_id=4624", { as: "viewer" });
    expect(found.status).toBe(200);
    const page = (await found.json()) as { events: { id: string; user: string; data: Record<string, unknown> }[] };
    expect(page.events.map((e) => e.id)).toEqual(ids);
    expect(page.events[0]!.user).toBe("alice");
    expect(page.events[0]!.data).toMatchObject({ EventID: 4624, Channel: "Security", Computer: "ws-17" });
  });

  it("takes NDJSON, one event a line, and names a line that is not JSON", async () => {
    const ndjson = `${twins.map((t) => JSON.stringify(t)).join("\n")}\n\n`;
    const res = await client.request("/api/v1/events", { method: "POST", as: "analyst", body: ndjson, headers: { "content-type": NDJSON } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ stored: 2, duplicates: 0 });

    const bad = await client.request("/api/v1/events", {
      method: "POST",
      as: "analyst",
      body: `{"EventID": 1, "Computer": "x"}\n{"EventID": 2,\n`,
      headers: { "content-type": `${NDJSON}; charset=utf-8` },
    });
    expect(bad.status).toBe(400);
    const error = (await bad.json()) as { issues: { path: string; message: string }[] };
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.message).toMatch(/^line 2 is not JSON/);
    expect(await eventCount(env.store.db)).toBe(2);
  });

  it("keeps big integers of NDJSON and JSON events exact, so events differing past 2^53 are two events", async () => {
    const line = (id: string) => `{"EventID": 4688, "Channel": "Security", "Computer": "ws-1", "EventRecordID": ${id}, "NewProcessName": "C:\\\\x.exe"}`;
    const ndjson = `${line("9007199254740993")}\n${line("9007199254740992")}\n`;
    const res = await client.request("/api/v1/events", { method: "POST", as: "analyst", body: ndjson, headers: { "content-type": NDJSON } });
    expect(await res.json()).toMatchObject({ stored: 2, duplicates: 0 });
    const json = `[${line("9007199254740995")}, ${line("9007199254740996")}]`;
    const res2 = await client.request("/api/v1/events", { method: "POST", as: "analyst", body: json, headers: { "content-type": "application/json" } });
    expect(await res2.json()).toMatchObject({ stored: 2, duplicates: 0 });
  });

  it("stores nothing when one element of a batch is not an event", async () => {
    const res = await client.request("/api/v1/events", { method: "POST", as: "analyst", json: [twins[0], 42, twins[1]] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path)).toEqual(["[1]"]);
    expect(await eventCount(env.store.db)).toBe(0);
    expect(await jobCount(env.store.db, "events.detect")).toBe(0);
  });

  it("answers 413 above the batch limit and 415 to other content types, storing nothing", async () => {
    const many = Array.from({ length: MAX_EVENT_BATCH + 1 }, (_, i) => ({ n: i }));
    const big = await client.request("/api/v1/events", { method: "POST", as: "analyst", json: many });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/at most 10000 events/);
    const csv = await client.request("/api/v1/events", { method: "POST", as: "analyst", body: "a,b\n1,2\n", headers: { "content-type": "text/csv" } });
    expect(csv.status).toBe(415);
    expect(await eventCount(env.store.db)).toBe(0);
  });

  it("refuses anonymous callers and viewers on ingest, and accepts a signed webhook", async () => {
    expect((await client.request("/api/v1/events", { method: "POST", json: twins })).status).toBe(401);
    expect((await client.request("/api/v1/events", { method: "POST", as: "viewer", json: twins })).status).toBe(403);
    for (const path of ["/api/v1/events", "/api/v1/events/around?host=a&time=2026-01-01T00:00:00Z", "/api/v1/events/process-tree?host=a&process_id=1"])
      expect((await client.request(path)).status, path).toBe(401);
    expect(await eventCount(env.store.db)).toBe(0);

    const body = JSON.stringify(twins[0]);
    const signed = await client.request("/api/v1/events", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-nightshift-signature": signBody(SECRET, body) },
    });
    expect(signed.status).toBe(202);
    const ndjson = `${JSON.stringify(twins[1])}\n`;
    const signedNdjson = await client.request("/api/v1/events", {
      method: "POST",
      body: ndjson,
      headers: { "content-type": NDJSON, "x-nightshift-signature": signBody(SECRET, ndjson) },
    });
    expect(signedNdjson.status).toBe(202);
    const { events } = (await (await client.request("/api/v1/events", { as: "viewer" })).json()) as { events: { origin: { file: string } }[] };
    expect(events.map((e) => e.origin.file)).toEqual(["webhook", "webhook"]);
  });

  it("searches with filters, full text, chosen fields and a cursor; finds events around a time and a process tree", async () => {
    await client.request("/api/v1/events", { method: "POST", as: "analyst", json: twins });
    const filtered = await client.request(
      `/api/v1/events?filter=${encodeURIComponent("Image:C:\\Windows\\System32\\certutil.exe")}&filter=CommandLine&fields=Image,CommandLine`,
      { as: "viewer" },
    );
    expect(filtered.status).toBe(200);
    const page = (await filtered.json()) as { events: { host: string; data: Record<string, unknown> }[] };
    expect(page.events).toHaveLength(1);
    expect(page.events[0]!.host).toBe("ar-win-dc.attackrange.local");
    expect(Object.keys(page.events[0]!.data).sort()).toEqual(["CommandLine", "Image"]);

    const text = (await (await client.request("/api/v1/events?q=LegacyHive.exe", { as: "viewer" })).json()) as { events: { event_id: string }[] };
    expect(text.events.map((e) => e.event_id)).toEqual(["4648"]);

    const first = (await (await client.request("/api/v1/events?limit=1", { as: "viewer" })).json()) as { events: { id: string }[]; next_cursor: string };
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (await (await client.request(`/api/v1/events?limit=1&cursor=${encodeURIComponent(first.next_cursor)}`, { as: "viewer" })).json()) as {
      events: { id: string }[];
      next_cursor: string | null;
    };
    expect(second.events[0]!.id).not.toBe(first.events[0]!.id);
    expect(second.next_cursor).toBeNull();

    const badQuery = await client.request("/api/v1/events?from=yesterday", { as: "viewer" });
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe("from");

    const around = await client.request("/api/v1/events/around?host=ar-win-dc.attackrange.local&time=2025-10-25T16:56:00Z&before=5&after=5", { as: "viewer" });
    expect(around.status).toBe(200);
    expect(((await around.json()) as { events: { event_id: string }[] }).events.map((e) => e.event_id)).toEqual(["1"]);
    const nobody = await client.request("/api/v1/events/around?time=2025-10-25T16:56:00Z", { as: "viewer" });
    expect(nobody.status).toBe(400);

    const tree = await client.request("/api/v1/events/process-tree?host=ar-win-dc.attackrange.local&process_guid=5AA13A44-0130-68FD-4E35-000000004002", {
      as: "viewer",
    });
    expect(tree.status).toBe(200);
    const root = (await tree.json()) as { event: { process: string }; children: unknown[] };
    expect(JSON.stringify(root)).toContain("certutil.exe");
    const none = await client.request("/api/v1/events/process-tree?host=ar-win-dc.attackrange.local&process_id=999999", { as: "viewer" });
    expect(none.status).toBe(404);
  });
});
