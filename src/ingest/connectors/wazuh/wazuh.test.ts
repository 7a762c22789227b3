import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { buildConnectors } from "../registry.js";
import { runConnector } from "../runner.js";
import { startConfiguredConnectors } from "../scheduler.js";
import { listConnectorStatus, loadState } from "../state.js";
import type { Connector } from "../types.js";
import { WazuhSettings, createWazuhConnector } from "./client.js";
import { startFakeIndexer, wazuhDoc, type FakeIndexer } from "./testing.js";

const USER = "nightshift-reader";
const PASSWORD = "s3cret-Wazuh-pass";

function at(second: number, ms = 0) {
  return `2026-11-24T10:00:${String(second).padStart(2, "0")}.${String(ms).padStart(3, "0")}+0000`;
}

describe(`wazuh connector against a loopback indexer (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let indexer: FakeIndexer;
  let sleeps: number[];
  const clock = fixedClock("2026-11-24T10:05:00Z");
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  function connector(overrides: Record<string, unknown> = {}): Connector {
    const settings = WazuhSettings.parse({ name: "wazuh-lab", kind: "wazuh", url: indexer.url, username: USER, password: PASSWORD, page_size: 3, ...overrides });
    return createWazuhConnector(settings);
  }
  const stored = async () => (await listAlerts(env.store.db, { limit: 500 })).map((a) => a.source_id).sort();
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, sleep, ...extra });

  beforeEach(async () => {
    env = await openTestEnvironment();
    indexer = await startFakeIndexer({ username: USER, password: PASSWORD });
    sleeps = [];
  });
  afterEach(async () => {
    await indexer.close();
    await env.cleanup();
  });

  it("pages with search_after under basic auth until caught up, and stores each alert once", async () => {
    const docs = Array.from({ length: 8 }, (_, i) => wazuhDoc(at(i)));
    indexer.docs.push(...docs);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, caught_up: true, created: 8, duplicates: 0, fetched: 8, pages: 3 });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
    expect(indexer.requests.every((r) => r.method === "POST" && r.path === "/wazuh-alerts-*/_search")).toBe(true);
    expect(indexer.requests[0]!.authorization).toBe(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`);
    expect(indexer.requests[0]!.body.search_after).toBeUndefined();
    expect(indexer.requests[0]!.body.sort).toEqual([{ timestamp: { order: "asc" } }, { id: { order: "asc" } }]);
    expect(indexer.requests[1]!.body.search_after).toEqual([Date.parse("2026-11-24T10:00:02Z"), docs[2]!._source.id]);
    const { checkpoint } = await loadState(env.store.db, "wazuh-lab");
    expect(checkpoint.time).toBe("2026-11-24T10:00:07.000Z");
    expect(checkpoint.seen).toEqual([docs[7]!._id]);

    // The next run re-queries from the high-water mark and finds nothing new.
    const again = await run(connector());
    expect(again).toMatchObject({ error: null, created: 0, duplicates: 0, caught_up: true });
    expect(indexer.requests.at(-1)!.body.query).toEqual({ bool: { filter: [{ range: { timestamp: { gte: "2026-11-24T10:00:07.000Z" } } }] } });
  });

  it("neither loses nor duplicates alerts sharing a timestamp at a page boundary, nor late arrivals at the high-water mark", async () => {
    const same = at(5, 123);
    const docs = [wazuhDoc(at(1)), wazuhDoc(same, { id: "b" }), wazuhDoc(same, { id: "d" }), wazuhDoc(same, { id: "f" }), wazuhDoc(same, { id: "h" })];
    indexer.docs.push(...docs);
    const first = await run(connector({ page_size: 2 }));
    expect(first).toMatchObject({ error: null, created: 5, duplicates: 0 });
    // Indexed late, with the same timestamp and tiebreakers before and after the committed ones.
    const late = [wazuhDoc(same, { id: "a" }), wazuhDoc(same, { id: "g" }), wazuhDoc(at(6))];
    indexer.docs.push(...late);
    const second = await run(connector({ page_size: 2 }));
    expect(second).toMatchObject({ error: null, created: 3, duplicates: 0 });
    expect(await stored()).toEqual([...docs, ...late].map((d) => d._id).sort());
    const third = await run(connector({ page_size: 2 }));
    expect(third).toMatchObject({ created: 0, duplicates: 0 });
  });

  it("stores an alert returned on two pages once and counts the repeat as a duplicate", async () => {
    const docs = Array.from({ length: 4 }, (_, i) => wazuhDoc(at(i)));
    // The same document id in two daily indices (a re-index): the second copy sorts on the next page.
    const copy = { ...docs[1]!, _index: "wazuh-alerts-4.x-2026.11.25", _source: { ...docs[1]!._source, timestamp: at(9) } };
    indexer.docs.push(...docs, copy);
    const summary = await run(connector({ page_size: 2 }));
    expect(summary).toMatchObject({ error: null, created: 4, duplicates: 1, fetched: 5 });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
  });

  it("reports refused credentials in health after one request, without the password", async () => {
    indexer.docs.push(wazuhDoc(at(1)));
    const [configured] = buildConnectors(
      { connectors: { sources: [{ name: "wazuh-lab", kind: "wazuh", enabled: true, interval_seconds: 60, url: indexer.url, username: USER, password: "${WAZUH_PASSWORD}", page_size: 3 }] } },
      { WAZUH_PASSWORD: "wrong-password-123" },
    );
    const summary = await run(configured!.connector, { redact: configured!.redact });
    expect(indexer.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(summary.error).toMatch(/HTTP 401 — credentials refused/);
    const [status] = await listConnectorStatus(env.store.db, [{ name: "wazuh-lab", kind: "wazuh" }], clock);
    expect(status).toMatchObject({ name: "wazuh-lab", kind: "wazuh", created: 0, last_success: null });
    expect(status!.last_error).toMatch(/credentials refused/);
    expect(status!.last_error).not.toContain("wrong-password-123");
    expect(status!.last_run).not.toBeNull();
    expect(await stored()).toEqual([]);
  });

  it("waits as long as Retry-After says on 429 (seconds, then an HTTP date) and backs off on 500", async () => {
    const docs = [wazuhDoc(at(1)), wazuhDoc(at(2))];
    indexer.docs.push(...docs);
    const now = clock.now();
    indexer.faults.push(
      { status: 429, headers: { "retry-after": "7" } },
      { status: 429, headers: { "retry-after": new Date(now.getTime() + 12_000).toUTCString() } },
      { status: 500 },
      { status: 503 },
    );
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 2 });
    expect(sleeps[0]).toBe(7000);
    // An HTTP date has a one-second resolution: 11–12 s from the clock's now.
    expect(sleeps[1]).toBeGreaterThan(10_000);
    expect(sleeps[1]).toBeLessThanOrEqual(12_000);
    expect(sleeps.slice(2)).toEqual([2000, 4000]);
    expect(indexer.requests).toHaveLength(5);
  });

  it("gives up after max_attempts on a server that keeps failing, and records the error", async () => {
    indexer.docs.push(wazuhDoc(at(1)));
    for (let i = 0; i < 3; i++) indexer.faults.push({ status: 502, body: "bad gateway" });
    const summary = await run(connector({ max_attempts: 3 }));
    expect(summary.error).toMatch(/HTTP 502: bad gateway \(gave up after 3 attempts\)/);
    expect(sleeps).toEqual([500, 1000]);
    const [status] = await listConnectorStatus(env.store.db, [{ name: "wazuh-lab", kind: "wazuh" }], clock);
    expect(status!.last_error).toMatch(/502/);
    // The next run works and clears the error.
    expect((await run(connector())).created).toBe(1);
    const [after] = await listConnectorStatus(env.store.db, [{ name: "wazuh-lab", kind: "wazuh" }], clock);
    expect(after).toMatchObject({ last_error: null, created: 1, fetched: 1, lag_seconds: 299 });
  });

  it("after a crash between fetch and commit, a fresh run stores every alert exactly once", async () => {
    const docs = Array.from({ length: 7 }, (_, i) => wazuhDoc(at(i)));
    indexer.docs.push(...docs);
    const crashed = await run(connector(), {
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed before commit");
      },
    });
    expect(crashed.error).toBe("killed before commit");
    // Page 1 committed with its checkpoint; page 2's alerts rolled back with its checkpoint.
    expect(await stored()).toEqual(docs.slice(0, 3).map((d) => d._id).sort());
    expect((await loadState(env.store.db, "wazuh-lab")).checkpoint.time).toBe("2026-11-24T10:00:02.000Z");

    const restarted = await run(connector());
    expect(restarted).toMatchObject({ error: null, created: 4, duplicates: 0, caught_up: true });
    expect(await stored()).toEqual(docs.map((d) => d._id).sort());
    const jobs = await env.store.db.selectFrom("jobs").select("kind").where("kind", "=", "alert.enrich").execute();
    expect(jobs).toHaveLength(7);
    const { checkpoint } = await loadState(env.store.db, "wazuh-lab");
    expect(checkpoint).toMatchObject({ time: "2026-11-24T10:00:06.000Z", seen: [docs[6]!._id] });
  });

  it("maps an unreadable timestamp to the reception time without moving the high-water mark", async () => {
    const good = wazuhDoc(at(1));
    const odd = wazuhDoc(at(2));
    odd._source.timestamp = "yesterday";
    indexer.docs.push(good, odd);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 2, rejected: 0 });
    expect((await loadState(env.store.db, "wazuh-lab")).checkpoint.time).toBe("2026-11-24T10:00:01.000Z");
  });

  it("serve's scheduler pulls the enabled connectors of the configuration and leaves disabled ones alone", async () => {
    indexer.docs.push(wazuhDoc(at(1)), wazuhDoc(at(2)));
    const source = { kind: "wazuh", interval_seconds: 3600, url: indexer.url, username: USER, password: "${PW}" };
    const runs: string[] = [];
    let ran!: () => void;
    const first = new Promise<void>((resolve) => (ran = resolve));
    const scheduler = startConfiguredConnectors(
      env.store.db,
      { connectors: { sources: [{ ...source, name: "on", enabled: true }, { ...source, name: "off", enabled: false }] } },
      { clock, env: { PW: PASSWORD }, onRun: (summary) => (runs.push(`${summary.name}:${summary.created}:${summary.error}`), ran()) },
    );
    await first;
    await scheduler.stop();
    expect(runs).toEqual(["on:2:null"]);
    expect((await listConnectorStatus(env.store.db, [], clock)).map((s) => s.name)).toEqual(["on"]);
  });
});
