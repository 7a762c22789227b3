import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { runConnector } from "../runner.js";
import { makeRedactor } from "../secrets.js";
import { listConnectorStatus, loadState } from "../state.js";
import type { Connector } from "../types.js";
import { OpenSearchSaSettings, createOpenSearchSaConnector } from "./client.js";
import { kind } from "./index.js";
import { addFinding, startFakeOpenSearch, type FakeOpenSearch } from "./testing.js";

const USER = "sa-reader";
const PASSWORD = "s3cret-OpenSearch-pass";
const FINDINGS = "/_plugins/_security_analytics/findings/_search";
const BASE = Date.parse("2026-11-24T10:00:00.000Z");

describe(`opensearch_sa connector against a loopback OpenSearch (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let os: FakeOpenSearch;
  let sleeps: number[];
  const clock = fixedClock("2026-11-24T10:05:00Z");
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  function connector(overrides: Record<string, unknown> = {}): Connector {
    const settings = OpenSearchSaSettings.parse({ name: "sa-lab", kind: "opensearch_sa", url: os.url, username: USER, password: PASSWORD, page_size: 3, ...overrides });
    return createOpenSearchSaConnector(settings);
  }
  const stored = async () => (await listAlerts(env.store.db, { limit: 500 })).map((a) => a.source_id).sort();
  const storedAlerts = async () => listAlerts(env.store.db, { limit: 500 });
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, sleep, ...extra });
  const findingRequests = () => os.requests.filter((r) => r.path === FINDINGS);

  beforeEach(async () => {
    env = await openTestEnvironment();
    os = await startFakeOpenSearch({ username: USER, password: PASSWORD });
    os.detectors.push({ id: "det-win", name: "Windows threats", detector_type: "windows" }, { id: "det-net", name: "Network threats", detector_type: "network" });
    sleeps = [];
  });
  afterEach(async () => {
    await os.close();
    await env.cleanup();
  });

  it("pages findings by startIndex/size in ascending time under basic auth, maps their documents, and stores each once", async () => {
    const findings = Array.from({ length: 8 }, (_, i) => addFinding(os, BASE + i * 1000));
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, caught_up: true, created: 8, duplicates: 0, fetched: 8, pages: 3 });
    expect(await stored()).toEqual(findings.map((f) => f.id).sort());
    const requests = findingRequests();
    expect(requests.every((r) => r.method === "GET" && r.authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`)).toBe(true);
    expect(requests.map((r) => [r.query.startIndex, r.query.size])).toEqual([
      ["0", "3"],
      ["3", "3"],
      ["6", "3"],
    ]);
    expect(requests[0]!.query).toMatchObject({ sortString: "timestamp", sortOrder: "asc" });
    expect(requests[0]!.query.startTime).toBeUndefined();
    // document_list carried every document: no detail call was needed.
    expect(os.requests.some((r) => r.path === "/_mget")).toBe(false);
    expect(os.requests.filter((r) => r.path.endsWith("/detectors/_search"))).toHaveLength(1);

    const first = (await storedAlerts()).find((a) => a.source_id === findings[0]!.id)!;
    expect(first).toMatchObject({
      source: "opensearch_sa",
      title: "Suspicious Encoded PowerShell Command Line",
      severity: "high",
      time: "2026-11-24T10:00:00.000Z",
      host: { name: "ws-042.corp.example" },
      user: { name: "alice", domain: "CORP" },
      process: { name: "powershell.exe", command_line: "powershell.exe -nop -w hidden -enc SQBFAFgA" },
    });
    expect(first.attack?.techniques).toEqual(["T1059.001"]);
    expect(first.unmapped).toMatchObject({ detector_name: "Windows threats", detector_type: "windows", vendor_severity: "high" });

    const { checkpoint } = await loadState(env.store.db, "sa-lab");
    expect(checkpoint.time).toBe("2026-11-24T10:00:07.000Z");
    expect(checkpoint.seen).toEqual([findings[7]!.id]);
    // The next run re-queries from the high-water mark (epoch ms) and finds nothing new.
    const again = await run(connector());
    expect(again).toMatchObject({ error: null, created: 0, duplicates: 0, fetched: 0, caught_up: true });
    expect(findingRequests().at(-1)!.query).toMatchObject({ startTime: String(BASE + 7000), endTime: "253402300799999", startIndex: "0", size: "4" });
  });

  it("neither loses nor duplicates findings sharing a timestamp at a page boundary, nor late arrivals at the mark", async () => {
    const same = BASE + 5123;
    const early = addFinding(os, BASE + 1000);
    const equal = [addFinding(os, same), addFinding(os, same), addFinding(os, same), addFinding(os, same)];
    const first = await run(connector({ page_size: 2 }));
    expect(first).toMatchObject({ error: null, created: 5, duplicates: 0 });
    // Indexed late with the same timestamp as the mark, and one after it.
    const late = [addFinding(os, same), addFinding(os, same), addFinding(os, BASE + 6000)];
    const second = await run(connector({ page_size: 2 }));
    expect(second).toMatchObject({ error: null, created: 3, duplicates: 0 });
    expect(await stored()).toEqual([early, ...equal, ...late].map((f) => f.id).sort());
    const third = await run(connector({ page_size: 2 }));
    expect(third).toMatchObject({ created: 0, duplicates: 0, fetched: 0 });
  });

  it("fetches with one _mget the documents the finding's document_list lacks, and records what stays missing", async () => {
    const unreadable = addFinding(os, BASE + 1000, { unreadable: true, document: { "host.name": "db-01", source: { ip: "198.51.100.23", port: 50122 }, user: { name: "postgres" } } });
    const gone = addFinding(os, BASE + 2000, { unreadable: true });
    os.documents.get(gone.index)!.delete(gone.related_doc_ids[0]!);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 2 });
    const mget = os.requests.filter((r) => r.path === "/_mget");
    expect(mget).toHaveLength(1);
    expect(mget[0]!.method).toBe("POST");
    expect(mget[0]!.body).toEqual({ docs: [unreadable, gone].map((f) => ({ _index: f.index, _id: f.related_doc_ids[0] })) });
    const alerts = await storedAlerts();
    const fetched = alerts.find((a) => a.source_id === unreadable.id)!;
    expect(fetched).toMatchObject({ host: { name: "db-01" }, src: { ip: "198.51.100.23", port: 50122 }, user: { name: "postgres" } });
    const missing = alerts.find((a) => a.source_id === gone.id)!;
    expect(missing.unmapped).toMatchObject({ documents_missing: gone.related_doc_ids });
    expect(missing.host).toBeNull();
  });

  it("still stores the findings when the reader may not read the log indices (_mget 403), saying why documents are missing", async () => {
    os.options.mgetStatus = 403;
    const finding = addFinding(os, BASE, { unreadable: true });
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 1 });
    expect(sleeps).toEqual([]);
    const [alert] = await storedAlerts();
    expect(alert!.unmapped).toMatchObject({ documents_missing: finding.related_doc_ids, documents_error: "forbidden: no read permission on the log indices" });

    // A server error is not swallowed: the page is not committed and the next run retries it.
    os.options.mgetStatus = 500;
    addFinding(os, BASE + 1000, { unreadable: true });
    const failed = await run(connector({ max_attempts: 2 }));
    expect(failed.error).toMatch(/POST \/_mget: HTTP 500/);
    expect(await stored()).toHaveLength(1);
  });

  it("stores a finding returned on two pages once and counts the repeat as a duplicate", async () => {
    const findings = Array.from({ length: 4 }, (_, i) => addFinding(os, BASE + i * 1000));
    // The same finding id in a rolled-over findings index with a later timestamp: it sorts onto the next page.
    os.findings.push({ ...findings[1]!, timestamp: BASE + 9000 });
    const summary = await run(connector({ page_size: 2 }));
    expect(summary).toMatchObject({ error: null, created: 4, duplicates: 1, fetched: 5 });
    expect(await stored()).toEqual(findings.map((f) => f.id).sort());
  });

  it("reports refused credentials in health after one request, without the password", async () => {
    addFinding(os, BASE);
    const settings = kind.settings.parse({ name: "sa-lab", kind: "opensearch_sa", url: os.url, username: USER, password: "wrong-password-123" });
    const redact = makeRedactor(["wrong-password-123", ...(kind.derivedSecrets?.(settings) ?? [])]);
    const summary = await run(kind.create(settings, { redact }), { redact });
    expect(os.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(summary.error).toMatch(/HTTP 401 — credentials refused/);
    const [status] = await listConnectorStatus(env.store.db, [{ name: "sa-lab", kind: "opensearch_sa" }], clock);
    expect(status).toMatchObject({ name: "sa-lab", kind: "opensearch_sa", created: 0, last_success: null });
    expect(status!.last_error).toMatch(/credentials refused/);
    expect(status!.last_error).not.toContain("wrong-password-123");
    expect(await stored()).toEqual([]);
  });

  it("waits as long as Retry-After says on 429 and backs off on 500, then gives up after max_attempts", async () => {
    addFinding(os, BASE);
    addFinding(os, BASE + 1000);
    os.faults.push({ status: 429, headers: { "retry-after": "7" } }, { status: 500 }, { status: 503 });
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 2 });
    expect(sleeps).toEqual([7000, 1000, 2000]);

    sleeps = [];
    addFinding(os, BASE + 2000);
    for (let i = 0; i < 3; i++) os.faults.push({ status: 502, body: "bad gateway" });
    const failed = await run(connector({ max_attempts: 3 }));
    expect(failed.error).toMatch(/HTTP 502: bad gateway \(gave up after 3 attempts\)/);
    expect(sleeps).toEqual([500, 1000]);
    const recovered = await run(connector());
    expect(recovered).toMatchObject({ error: null, created: 1 });
  });

  it("windows on the vendor's clock: running 2 h ahead and then 10 min behind ours loses and duplicates nothing", async () => {
    const ourNow = clock.now().getTime();
    const ahead = Array.from({ length: 4 }, (_, i) => addFinding(os, ourNow + 2 * 3600_000 + i * 1000));
    const first = await run(connector());
    expect(first).toMatchObject({ error: null, created: 4 });
    const mark = (await loadState(env.store.db, "sa-lab")).checkpoint.time;
    expect(mark).toBe(new Date(ourNow + 2 * 3600_000 + 3000).toISOString());

    // More findings on the vendor's clock, one at the very mark: the next run asks from the vendor's mark.
    const behind = Array.from({ length: 3 }, (_, i) => addFinding(os, ourNow + 2 * 3600_000 + 3000 + i));
    clock.advance(60_000);
    const second = await run(connector());
    expect(second).toMatchObject({ error: null, created: 3, duplicates: 0 });
    expect(findingRequests().at(-1)!.query.startTime).toBe(String(Date.parse(mark!)));

    // A connector that trusted its own clock ("the last 5 minutes") would never ask for these.
    const lagging = await openTestEnvironment();
    try {
      const old = Array.from({ length: 3 }, (_, i) => addFinding(os, ourNow - 10 * 60_000 + i * 1000, { detectorId: "det-net" }));
      const summary = await runConnector(lagging.store.db, connector({ detector_type: "network" }), { clock, sleep });
      expect(summary).toMatchObject({ error: null, created: 3, duplicates: 0 });
      expect((await listAlerts(lagging.store.db, { limit: 50 })).map((a) => a.source_id).sort()).toEqual(old.map((f) => f.id).sort());
      expect(findingRequests().at(-1)!.query).toMatchObject({ detectorType: "network" });
      const again = await runConnector(lagging.store.db, connector({ detector_type: "network" }), { clock, sleep });
      expect(again).toMatchObject({ created: 0, duplicates: 0 });
    } finally {
      await lagging.cleanup();
    }
    expect(await stored()).toEqual([...ahead, ...behind].map((f) => f.id).sort());
  });

  it("after a crash between fetch and commit, a fresh run stores every finding exactly once", async () => {
    const findings = Array.from({ length: 7 }, (_, i) => addFinding(os, BASE + i * 1000));
    const crashed = await run(connector(), {
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed before commit");
      },
    });
    expect(crashed.error).toBe("killed before commit");
    expect(await stored()).toEqual(findings.slice(0, 3).map((f) => f.id).sort());
    expect((await loadState(env.store.db, "sa-lab")).checkpoint.time).toBe("2026-11-24T10:00:02.000Z");

    const restarted = await run(connector());
    expect(restarted).toMatchObject({ error: null, created: 4, duplicates: 0, caught_up: true });
    expect(await stored()).toEqual(findings.map((f) => f.id).sort());
    const jobs = await env.store.db.selectFrom("jobs").select("kind").where("kind", "=", "alert.enrich").execute();
    expect(jobs).toHaveLength(7);
  });

  it("starts a new window at the mark before startIndex + size would pass index.max_result_window (a backlog)", async () => {
    os.options.maxResultWindow = 6;
    const findings = Array.from({ length: 11 }, (_, i) => addFinding(os, BASE + i * 1000));
    const summary = await run(connector({ page_size: 2, max_result_window: 6 }));
    expect(summary).toMatchObject({ error: null, created: 11, duplicates: 0, caught_up: true });
    expect(await stored()).toEqual(findings.map((f) => f.id).sort());
    const windows = findingRequests().map((r) => [r.query.startTime ?? null, r.query.startIndex, r.query.size]);
    expect(windows.slice(0, 4)).toEqual([
      [null, "0", "2"],
      [null, "2", "2"],
      [null, "4", "2"],
      [String(BASE + 5000), "0", "3"],
    ]);
    expect(findingRequests().every((r) => Number(r.query.startIndex) + Number(r.query.size) <= 6)).toBe(true);
  });

  it("works with an older plugin that ignores startTime/endTime: the window is applied client-side", async () => {
    os.options.legacyIgnoresTimeWindow = true;
    const before = Array.from({ length: 5 }, (_, i) => addFinding(os, BASE + i * 1000));
    expect(await run(connector({ page_size: 2 }))).toMatchObject({ error: null, created: 5 });
    const after = [addFinding(os, BASE + 4000), addFinding(os, BASE + 9000)];
    const second = await run(connector({ page_size: 2 }));
    expect(second).toMatchObject({ error: null, created: 2, duplicates: 0 });
    expect(await stored()).toEqual([...before, ...after].map((f) => f.id).sort());
  });

  it("keeps pulling findings when the detectors search is forbidden (titles lose the detector name)", async () => {
    os.options.detectorsStatus = 403;
    addFinding(os, BASE);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 1 });
    const [alert] = await storedAlerts();
    expect(alert!.unmapped).not.toHaveProperty("detector_name");
    expect(alert!.unmapped).toMatchObject({ detector_id: "det-win", detector_type: "windows" });
  });

  it("pulls trigger alerts too when include_alerts is set, paging a per-monitor merge without loss or duplicate", async () => {
    addFinding(os, BASE);
    const alert = (id: string, detector: string, second: number, severity: string) => ({
      id,
      detector_id: detector,
      trigger_id: `trig-${detector}`,
      trigger_name: `${detector} trigger`,
      finding_ids: ["finding-x"],
      related_doc_ids: ["1|windows"],
      state: "ACTIVE",
      severity,
      start_time: new Date(BASE + second * 1000).toISOString(),
    });
    os.alerts.push(alert("a1", "det-win", 1, "1"), alert("a2", "det-win", 2, "2"), alert("a3", "det-win", 3, "3"), alert("n1", "det-net", 2, "5"), alert("n2", "det-net", 5, "4"));
    const summary = await run(connector({ include_alerts: true, page_size: 2 }));
    expect(summary).toMatchObject({ error: null, created: 6, duplicates: 0, caught_up: true });
    expect((await stored()).filter((id) => id?.startsWith("alert:"))).toEqual(["alert:a1", "alert:a2", "alert:a3", "alert:n1", "alert:n2"]);
    const critical = (await storedAlerts()).find((a) => a.source_id === "alert:a1")!;
    expect(critical).toMatchObject({ severity: "critical", title: "det-win trigger — Windows threats" });
    const alertRequests = os.requests.filter((r) => r.path === "/_plugins/_security_analytics/alerts");
    expect(alertRequests.map((r) => r.query.startIndex)).toEqual(["0", "2"]);

    os.alerts.push(alert("a4", "det-win", 5, "2"), alert("n3", "det-net", 6, "3"));
    const second = await run(connector({ include_alerts: true, page_size: 2 }));
    expect(second).toMatchObject({ error: null, created: 2, duplicates: 0 });
    expect((await stored()).filter((id) => id?.startsWith("alert:"))).toEqual(["alert:a1", "alert:a2", "alert:a3", "alert:a4", "alert:n1", "alert:n2", "alert:n3"]);
    expect(os.requests.filter((r) => r.path === "/_plugins/_security_analytics/alerts").at(-1)!.query.startTime).toBe(String(BASE + 5000));
  });
});
