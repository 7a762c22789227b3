import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock, type Clock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { runConnector } from "../runner.js";
import { makeRedactor } from "../secrets.js";
import { listConnectorStatus, loadState } from "../state.js";
import type { Connector } from "../types.js";
import { ElasticSettings, createElasticConnector } from "./client.js";
import { kind } from "./index.js";
import { elasticAlert, startFakeElasticsearch, type FakeElasticsearch } from "./testing.js";

const KEY = { id: "VuaCfGcBCdbkQm-e5aOx", key: "ui2lp2axTNmsyakw9tvNnw" };
const ENCODED = Buffer.from(`${KEY.id}:${KEY.key}`).toString("base64");
const USER = "nightshift-reader";
const PASSWORD = "s3cret-Elastic-pass";

function at(second: number, ms = 0) {
  return `2026-11-24T10:00:${String(second).padStart(2, "0")}.${String(ms).padStart(3, "0")}Z`;
}

describe(`elastic connector against a loopback Elasticsearch (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let es: FakeElasticsearch;
  let sleeps: number[];
  const clock = fixedClock("2026-11-24T10:05:00Z");
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  function connector(overrides: Record<string, unknown> = {}): Connector {
    const settings = ElasticSettings.parse({ name: "elastic-lab", kind: "elastic", url: es.url, api_key: ENCODED, page_size: 3, ...overrides });
    return createElasticConnector(settings);
  }
  const storedAlerts = () => listAlerts(env.store.db, { limit: 500 });
  const stored = async () => (await storedAlerts()).map((a) => a.source_id).sort();
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, sleep, ...extra });
  const searches = () => es.requests.filter((r) => r.path.endsWith("/_search"));

  beforeEach(async () => {
    env = await openTestEnvironment();
    es = await startFakeElasticsearch({ apiKey: KEY, username: USER, password: PASSWORD });
    sleeps = [];
  });
  afterEach(async () => {
    await es.close();
    await env.cleanup();
  });

  it("pages with search_after under an API key until caught up, each alert once, with the documented request", async () => {
    const docs = Array.from({ length: 8 }, (_, i) => elasticAlert(at(i)));
    es.docs.push(...docs);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, caught_up: true, created: 8, duplicates: 0, fetched: 8, pages: 3 });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
    expect(es.requests.every((r) => r.method === "POST" && r.path === "/.alerts-security.alerts-default/_search")).toBe(true);
    expect(es.requests[0]!.authorization).toBe(`ApiKey ${ENCODED}`);
    const first = es.requests[0]!.body;
    expect(first.search_after).toBeUndefined();
    expect(first.sort).toEqual([{ "@timestamp": { order: "asc" } }, { "kibana.alert.uuid": { order: "asc" } }]);
    expect(first.query).toEqual({
      bool: { filter: [{ terms: { "kibana.alert.workflow_status": ["open", "acknowledged"] } }], must_not: [{ exists: { field: "kibana.alert.building_block_type" } }] },
    });
    expect(es.requests[1]!.body.search_after).toEqual([Date.parse(at(2)), docs[2]!._id]);
    // The checkpoint follows @timestamp (when the rule wrote the alert); the alert's time is the event's.
    const { checkpoint } = await loadState(env.store.db, "elastic-lab");
    expect(checkpoint.time).toBe("2026-11-24T10:00:07.000Z");
    expect(checkpoint.seen).toEqual([docs[7]!._id]);
    const last = (await storedAlerts()).find((a) => a.source_id === docs[7]!._id)!;
    expect(last.time).toBe(docs[7]!._source["kibana.alert.original_time"]);
    expect(last.unmapped).toMatchObject({ alert_timestamp: "2026-11-24T10:00:07.000Z", risk_score: 73, vendor_severity: "high" });

    const again = await run(connector());
    expect(again).toMatchObject({ error: null, created: 0, duplicates: 0, caught_up: true });
    expect((es.requests.at(-1)!.body.query as { bool: { filter: unknown[] } }).bool.filter[0]).toEqual({
      range: { "@timestamp": { gte: "2026-11-24T10:00:07.000Z", format: "strict_date_optional_time" } },
    });
  });

  it("takes basic auth and an id:api_key pair as well", async () => {
    es.docs.push(elasticAlert(at(1)));
    expect((await run(connector({ api_key: undefined, username: USER, password: PASSWORD }))).created).toBe(1);
    expect(es.requests[0]!.authorization).toBe(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`);
    es.docs.push(elasticAlert(at(2)));
    expect((await run(connector({ api_key: `${KEY.id}:${KEY.key}` }))).created).toBe(1);
    expect(es.requests.at(-1)!.authorization).toBe(`ApiKey ${ENCODED}`);
  });

  it("neither loses nor duplicates alerts sharing a timestamp at a page boundary, nor late arrivals at the high-water mark", async () => {
    const same = at(5, 123);
    const docs = [elasticAlert(at(1)), elasticAlert(same, { uuid: "b" }), elasticAlert(same, { uuid: "d" }), elasticAlert(same, { uuid: "f" }), elasticAlert(same, { uuid: "h" })];
    es.docs.push(...docs);
    expect(await run(connector({ page_size: 2 }))).toMatchObject({ error: null, created: 5, duplicates: 0 });
    // Written late (another rule's run), with the same @timestamp and uuids before and after the committed ones.
    const late = [elasticAlert(same, { uuid: "a" }), elasticAlert(same, { uuid: "g" }), elasticAlert(at(6))];
    es.docs.push(...late);
    expect(await run(connector({ page_size: 2 }))).toMatchObject({ error: null, created: 3, duplicates: 0 });
    expect(await stored()).toEqual([...docs, ...late].map((d) => d._id).sort());
    expect(await run(connector({ page_size: 2 }))).toMatchObject({ created: 0, duplicates: 0 });
  });

  it("stores an alert found on two pages once (the same uuid in two backing indices) and counts the repeat", async () => {
    const docs = Array.from({ length: 4 }, (_, i) => elasticAlert(at(i)));
    const copy = { ...docs[1]!, _index: ".internal.alerts-security.alerts-default-000002", _source: { ...docs[1]!._source, "@timestamp": at(9) } };
    es.docs.push(...docs, copy);
    const summary = await run(connector({ page_size: 2 }));
    expect(summary).toMatchObject({ error: null, created: 4, duplicates: 1, fetched: 5 });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
  });

  it("leaves building-block and closed alerts out by default, and pulls them when configured", async () => {
    const open = elasticAlert(at(1));
    const acknowledged = elasticAlert(at(2), { workflowStatus: "acknowledged" });
    const closed = elasticAlert(at(3), { workflowStatus: "closed" });
    const block = elasticAlert(at(4), { buildingBlock: true });
    es.docs.push(open, acknowledged, closed, block);
    expect(await run(connector())).toMatchObject({ error: null, created: 2 });
    expect(await stored()).toEqual([open._id, acknowledged._id].sort());

    await env.store.db.deleteFrom("connector_state").execute();
    const before = es.requests.length;
    const all = await run(connector({ workflow_statuses: [], include_building_blocks: true }));
    expect(all).toMatchObject({ error: null, created: 2, duplicates: 2 });
    expect(es.requests[before]!.body.query).toEqual({ match_all: {} });
    expect(await stored()).toEqual([open, acknowledged, closed, block].map((d) => d._id).sort());
  });

  it("reads every space through the wildcard pattern and fails clearly on an index that does not exist", async () => {
    const other = elasticAlert(at(2), { index: ".internal.alerts-security.alerts-soc-000001" });
    es.docs.push(elasticAlert(at(1)), other);
    expect(await run(connector())).toMatchObject({ created: 1 });
    expect(await run(connector({ name: "all-spaces", index: ".alerts-security.alerts-*" }))).toMatchObject({ error: null, created: 1, duplicates: 1 });
    expect(es.requests.at(-1)!.path).toBe("/.alerts-security.alerts-*/_search");
    const missing = await run(connector({ name: "typo", index: ".alerts-security.alerts-defualt" }));
    expect(missing.error).toMatch(/HTTP 404: .*index_not_found_exception/);
  });

  it("reports refused credentials in health after one request, without the key in any form", async () => {
    es.docs.push(elasticAlert(at(1)));
    const wrong = "d3Jvbmc6a2V5LXRoYXQtaXMtd3Jvbmc=";
    const settings = kind.settings.parse({ name: "elastic-lab", kind: "elastic", url: es.url, api_key: wrong });
    const redact = makeRedactor([wrong, ...kind.derivedSecrets!(settings)]);
    // A proxy in front of Elasticsearch that echoes the header it refused.
    es.faults.push({ status: 401, body: `{"error":"refused Authorization: ApiKey ${wrong}"}` });
    const summary = await run(kind.create(settings, { redact }), { redact });
    expect(es.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(summary.error).toMatch(/HTTP 401 — credentials refused/);
    expect(summary.error).not.toContain(wrong);
    const [status] = await listConnectorStatus(env.store.db, [{ name: "elastic-lab", kind: "elastic" }], clock);
    expect(status!.last_error).toMatch(/credentials refused/);
    expect(status!.last_error).not.toContain(wrong);
    // And the fake itself refuses a wrong key (no scripted fault).
    expect((await run(connector({ api_key: wrong }))).error).toMatch(/HTTP 401 — credentials refused: .*security_exception/);
    expect(await stored()).toEqual([]);
  });

  it("waits as long as Retry-After says on 429 and backs off on 500, then gives up after max_attempts", async () => {
    es.docs.push(elasticAlert(at(1)), elasticAlert(at(2)));
    es.faults.push({ status: 429, headers: { "retry-after": "7" } }, { status: 500 }, { status: 503 });
    expect(await run(connector())).toMatchObject({ error: null, created: 2 });
    expect(sleeps).toEqual([7000, 1000, 2000]);

    sleeps = [];
    es.docs.push(elasticAlert(at(3)));
    for (let i = 0; i < 3; i++) es.faults.push({ status: 502, body: "bad gateway" });
    const failed = await run(connector({ max_attempts: 3 }));
    expect(failed.error).toMatch(/HTTP 502: bad gateway \(gave up after 3 attempts\)/);
    expect(sleeps).toEqual([500, 1000]);
    expect(await run(connector())).toMatchObject({ error: null, created: 1 });
  });

  it("after a crash between fetch and commit, a fresh run stores every alert exactly once", async () => {
    const docs = Array.from({ length: 7 }, (_, i) => elasticAlert(at(i)));
    es.docs.push(...docs);
    const crashed = await run(connector(), {
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed before commit");
      },
    });
    expect(crashed.error).toBe("killed before commit");
    expect(await stored()).toEqual(docs.slice(0, 3).map((d) => d._id).sort());
    expect((await loadState(env.store.db, "elastic-lab")).checkpoint.time).toBe("2026-11-24T10:00:02.000Z");

    const restarted = await run(connector());
    expect(restarted).toMatchObject({ error: null, created: 4, duplicates: 0, caught_up: true });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
    const jobs = await env.store.db.selectFrom("jobs").select("kind").where("kind", "=", "alert.enrich").execute();
    expect(jobs).toHaveLength(7);
  });

  for (const [label, offsetMs] of [
    ["2 h ahead of", 2 * 3600_000],
    ["10 min behind", -10 * 60_000],
  ] as const) {
    it(`uses the vendor's time for the window when its clock runs ${label} Nightshift's`, async () => {
      // Nightshift's clock advances one minute per run; the vendor stamps alerts with its own skewed clock.
      let now = Date.parse("2026-11-24T10:00:00Z");
      const ours: Clock = { now: () => new Date(now) };
      const vendorNow = (plusMs = 0) => new Date(now + offsetMs + plusMs).toISOString();
      const all: string[] = [];
      for (let round = 0; round < 3; round++) {
        const batch = [elasticAlert(vendorNow(-1500)), elasticAlert(vendorNow(-500)), elasticAlert(vendorNow(-500)), elasticAlert(vendorNow())];
        es.docs.push(...batch);
        all.push(...batch.map((d) => d._id));
        const summary = await runConnector(env.store.db, connector({ page_size: 2 }), { clock: ours, sleep });
        // The batch, plus the previous round's late write at the high-water mark.
        expect(summary).toMatchObject({ error: null, duplicates: 0, created: round === 0 ? 4 : 5 });
        // The window starts at the vendor's own high-water mark, never at Nightshift's now.
        const { checkpoint } = await loadState(env.store.db, "elastic-lab");
        expect(checkpoint.time).toBe(vendorNow());
        now += 60_000;
        // A late write at the vendor's high-water mark (same @timestamp) between runs.
        const late = elasticAlert(checkpoint.time!, { uuid: `late-${round}` });
        es.docs.push(late);
        all.push(late._id);
      }
      expect(await runConnector(env.store.db, connector({ page_size: 2 }), { clock: ours, sleep })).toMatchObject({ created: 1, duplicates: 0 });
      expect(await stored()).toEqual(all.sort());
      const alerts = await storedAlerts();
      // The stored alert time is the vendor's, skew and all (original_time is 3 min before @timestamp).
      const first = alerts.find((a) => a.source_id === all[0])!;
      expect(Date.parse(first.time)).toBe(Date.parse("2026-11-24T10:00:00Z") + offsetMs - 1500 - 180_000);
    });
  }

  it("with point_in_time, pages inside one consistent view, closes it, and picks up what was written meanwhile on the next run", async () => {
    const docs = Array.from({ length: 7 }, (_, i) => elasticAlert(at(i)));
    es.docs.push(...docs);
    const written = elasticAlert(at(8));
    es.afterSearch = (n) => {
      if (n === 1) es.docs.push(written);
    };
    const summary = await run(connector({ point_in_time: true }));
    expect(summary).toMatchObject({ error: null, created: 7, pages: 3, caught_up: true });
    const [open, ...rest] = es.requests;
    expect(open).toMatchObject({ method: "POST", path: "/.alerts-security.alerts-default/_pit", query: "keep_alive=1m" });
    const pageRequests = rest.filter((r) => r.path === "/_search");
    expect(pageRequests).toHaveLength(3);
    expect(pageRequests[0]!.body.pit).toMatchObject({ keep_alive: "1m" });
    // The implicit _shard_doc tiebreaker comes back as a third sort value and goes back in search_after.
    expect((pageRequests[1]!.body.search_after as unknown[]).slice(0, 2)).toEqual([Date.parse(at(2)), docs[2]!._id]);
    expect(pageRequests[1]!.body.search_after).toHaveLength(3);
    expect(es.requests.at(-1)).toMatchObject({ method: "DELETE", path: "/_pit" });
    expect(es.openPits()).toEqual([]);
    // Written after the point in time opened: outside this run's view, found by the next run.
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
    es.afterSearch = undefined;
    expect(await run(connector({ point_in_time: true }))).toMatchObject({ error: null, created: 1, duplicates: 0 });
    expect(await stored()).toEqual([...docs, written].map((d) => d._id).sort());
    expect(es.openPits()).toEqual([]);
  });

  it("with point_in_time, a crash mid-run resumes from the checkpoint with a new point in time", async () => {
    const docs = Array.from({ length: 7 }, (_, i) => elasticAlert(at(i)));
    es.docs.push(...docs);
    const crashed = await run(connector({ point_in_time: true }), {
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed before commit");
      },
    });
    expect(crashed.error).toBe("killed before commit");
    const restarted = await run(connector({ point_in_time: true }));
    expect(restarted).toMatchObject({ error: null, created: 4, duplicates: 0 });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
    expect(es.requests.filter((r) => r.path.endsWith("/_pit") && r.method === "POST")).toHaveLength(2);
    expect(searches().every((r) => r.path === "/_search")).toBe(true);
  });

  it("with point_in_time, reopens a point in time that expired between two pages and loses nothing", async () => {
    const docs = Array.from({ length: 7 }, (_, i) => elasticAlert(at(i)));
    es.docs.push(...docs);
    es.afterSearch = (n) => {
      if (n === 1) es.expirePits();
    };
    const summary = await run(connector({ point_in_time: true }));
    expect(summary).toMatchObject({ error: null, created: 7, duplicates: 0, caught_up: true });
    expect(es.requests.filter((r) => r.method === "POST" && r.path.endsWith("/_pit"))).toHaveLength(2);
    // The first page's cursor carried the old point in time's _shard_doc; the retry sends the explicit keys and a placeholder.
    const retried = searches()[2]!.body.search_after as unknown[];
    expect(retried).toEqual([Date.parse(at(2)), docs[2]!._id, 0]);
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
  });

  it("resumes an overflowed high-water mark with search_after on a fresh run, with or without a point in time", async () => {
    const same = at(5);
    const docs = ["a", "b", "c", "d"].map((uuid) => elasticAlert(same, { uuid }));
    es.docs.push(...docs);
    // More alerts shared the mark than `seen` holds: the cursor (from an old point in time) takes over.
    const checkpoint = { time: "2026-11-24T10:00:05.000Z", seen: ["b"], overflow: true, cursor: { after: [Date.parse(same), "b", 17], pit: "expired" } };
    for (const point_in_time of [false, true]) {
      const page = await connector({ point_in_time }).pull(checkpoint, { clock, sleep, firstPage: true });
      expect(page.alerts.map((a) => (a as { source_id: string }).source_id)).toEqual(["c", "d"]);
      expect(searches().at(-1)!.body.search_after).toEqual(point_in_time ? [Date.parse(same), "b", 0] : [Date.parse(same), "b"]);
    }
  });

  it("refuses settings without credentials, naming the fields", () => {
    const parsed = ElasticSettings.safeParse({ name: "x", kind: "elastic", url: "https://es.example:9200" });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join("."))).toEqual(["username", "password"]);
    expect(ElasticSettings.safeParse({ name: "x", kind: "elastic", url: "https://es.example:9200", api_key: "abc", workflow_statuses: ["new"] }).success).toBe(false);
  });
});
