import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { runConnector } from "../runner.js";
import { makeRedactor } from "../secrets.js";
import { loadState } from "../state.js";
import type { Connector } from "../types.js";
import { DefenderSettings, createDefenderConnector } from "./client.js";
import { graphAlert, startFakeDefender, type FakeDefender } from "./testing.js";

const TENANT = "b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c";
const CLIENT = "6731de76-14a6-49ae-97bc-6eba6914391e";
const SECRET = "s3cret~Defender.Client_Secret";

/** Vendor times: `minute` minutes and `second` seconds after 10:00 on the vendor's clock. */
function at(minute: number, second = 0, fraction = "0000000") {
  return `2026-11-24T10:${String(minute).padStart(2, "0")}:${String(second).padStart(2, "0")}.${fraction}Z`;
}

describe(`defender alerts connector against a loopback Graph API (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let fake: FakeDefender;
  let sleeps: number[];
  const clock = fixedClock("2026-11-24T10:30:00Z");
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const redact = makeRedactor([SECRET]);

  function connector(overrides: Record<string, unknown> = {}, fetcher?: typeof fetch): Connector {
    const settings = DefenderSettings.parse({
      name: "defender-lab",
      kind: "defender",
      tenant_id: TENANT,
      client_id: CLIENT,
      client_secret: SECRET,
      authority_url: fake.url,
      graph_url: fake.url,
      page_size: 3,
      ...overrides,
    });
    return createDefenderConnector(settings, { redact, ...(fetcher ? { fetch: fetcher } : {}) });
  }
  const stored = async () => (await listAlerts(env.store.db, { limit: 500 })).map((a) => a.source_id).sort();
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, sleep, redact, ...extra });
  const ids = (alerts: Record<string, unknown>[]) => alerts.map((a) => a.id as string).sort();
  const tokenRequests = () => fake.requests.filter((r) => r.path.endsWith("/oauth2/v2.0/token"));
  const listRequests = () => fake.requests.filter((r) => r.path === "/v1.0/security/alerts_v2");
  const detailRequests = () => fake.requests.filter((r) => r.path.startsWith("/v1.0/security/alerts_v2/"));

  beforeEach(async () => {
    env = await openTestEnvironment();
    fake = await startFakeDefender({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET });
    sleeps = [];
  });
  afterEach(async () => {
    await fake.close();
    await env.cleanup();
  });

  it("gets a client-credentials token, pages the newest-first list by @odata.nextLink and stores each alert once", async () => {
    const alerts = Array.from({ length: 7 }, (_, i) => graphAlert(at(i)));
    fake.alerts.push(...alerts);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, caught_up: true, created: 7, duplicates: 0, fetched: 7, pages: 3 });
    expect(await stored()).toEqual(ids(alerts));

    expect(tokenRequests()).toHaveLength(1);
    expect(tokenRequests()[0]).toMatchObject({
      method: "POST",
      path: `/${TENANT}/oauth2/v2.0/token`,
      form: { client_id: CLIENT, client_secret: SECRET, scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials" },
    });
    expect(listRequests().every((r) => r.authorization === `Bearer ${fake.issued[0]}`)).toBe(true);
    // The first run asks for the last 24 hours of the clock; later pages follow the vendor's nextLink.
    expect(listRequests()[0]!.query).toEqual({ $filter: "createdDateTime ge 2026-11-23T10:30:00.000Z", $top: "3" });
    expect(listRequests()[1]!.query.$skip).toBe("3");
    expect(detailRequests()).toHaveLength(0);

    // The mark moves to the newest createdDateTime only once every page is read.
    const { checkpoint } = await loadState(env.store.db, "defender-lab");
    expect(checkpoint).toMatchObject({ time: "2026-11-24T10:06:00.000Z", seen: [alerts[6]!.id] });

    const again = await run(connector());
    expect(again).toMatchObject({ error: null, created: 0, duplicates: 0, fetched: 0, caught_up: true });
    expect(listRequests().at(-1)!.query.$filter).toBe("createdDateTime ge 2026-11-24T09:56:00.000Z");
  });

  it("maps a documented alert with its evidence: host, user, process, hashes, IPs, URL, techniques", async () => {
    fake.alerts.push(graphAlert(at(1, 2, "7211305"), { id: "da637551227677560813_-961444813", severity: "high" }));
    await run(connector());
    const [alert] = await listAlerts(env.store.db, { limit: 5 });
    expect(alert).toMatchObject({
      source: "defender",
      source_id: "da637551227677560813_-961444813",
      title: "Suspicious execution of hidden file",
      severity: "high",
      time: "2026-11-24T10:01:02.721Z",
      host: { name: "ws-042", ip: ["10.20.30.42", "fe80::1c2b:3a4d:5e6f:7081"] },
      user: { name: "jdoe", domain: "CORP" },
      src: { ip: "203.0.113.7" },
      process: { name: "MsSense.exe", pid: 4780, parent_name: "services.exe" },
      attack: { techniques: ["T1564.001"], tactics: ["Defense Evasion"] },
    });
    expect(alert!.unmapped).toMatchObject({ vendor_severity: "high", device_id: "73e7e2de709dff64ef64b1d0c30e67fab63279db", device_fqdn: "ws-042.corp.example.com" });
    const observables = alert!.observables.map((o) => `${o.type}:${o.value}`);
    expect(observables).toEqual(
      expect.arrayContaining([
        "file_hash:8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec",
        "file_hash:5f1e8acedc065031aad553b710838eb366cfee9a",
        "ip:203.0.113.7",
        "url:http://evil.example.net/payload",
      ]),
    );
  });

  it("asks for the detail of alerts whose list entry lacks evidence, keeps the list entry on 404, and always asks when configured", async () => {
    const alerts = [graphAlert(at(1)), graphAlert(at(2)), graphAlert(at(3))];
    fake.alerts.push(...alerts);
    fake.listOmitsEvidence = true;
    fake.missingDetail.add(alerts[2]!.id as string);
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 3 });
    expect(detailRequests().map((r) => r.path).sort()).toEqual(alerts.map((a) => `/v1.0/security/alerts_v2/${a.id as string}`).sort());
    const byId = new Map((await listAlerts(env.store.db, { limit: 5 })).map((a) => [a.source_id, a]));
    expect(byId.get(alerts[0]!.id as string)!.host?.name).toBe("ws-042");
    // The 404'd alert is stored from its list entry: no evidence, so no host.
    expect(byId.get(alerts[2]!.id as string)!.host?.name).toBeUndefined();

    fake.listOmitsEvidence = false;
    fake.alerts.push(graphAlert(at(4)));
    const before = detailRequests().length;
    await run(connector({ detail: "when_missing" }));
    expect(detailRequests().length).toBe(before);
    fake.alerts.push(graphAlert(at(5)));
    await run(connector({ detail: "always" }));
    expect(detailRequests().length).toBe(before + 1);
  });

  it("reports a refused client secret after one token request, without the secret", async () => {
    fake.alerts.push(graphAlert(at(1)));
    const wrong = DefenderSettings.parse({ name: "defender-lab", kind: "defender", tenant_id: TENANT, client_id: CLIENT, client_secret: "wrong-secret-value", authority_url: fake.url, graph_url: fake.url });
    const wrongRedact = makeRedactor(["wrong-secret-value"]);
    const summary = await run(createDefenderConnector(wrong, { redact: wrongRedact }), { redact: wrongRedact });
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(summary.error).toMatch(/HTTP 401 — credentials refused.*AADSTS7000215/);
    expect(summary.error).not.toContain("wrong-secret-value");
    expect(await stored()).toEqual([]);

    const badTenant = DefenderSettings.parse({ ...wrong, tenant_id: "no-such-tenant", client_secret: SECRET });
    const tenantSummary = await run(createDefenderConnector(badTenant, { redact }));
    expect(tenantSummary.error).toMatch(/HTTP 400 — token request refused.*AADSTS90002/);
  });

  it("caches the token until shortly before it expires", async () => {
    await fake.close();
    fake = await startFakeDefender({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, expiresIn: 600 });
    fake.alerts.push(graphAlert(at(1)));
    const local = fixedClock("2026-11-24T10:30:00Z");
    const c = connector();
    await runConnector(env.store.db, c, { clock: local, sleep, redact });
    local.advance(470_000);
    await runConnector(env.store.db, c, { clock: local, sleep, redact });
    expect(tokenRequests()).toHaveLength(1);
    // 600 s lifetime, renewed 120 s before the end.
    local.advance(15_000);
    await runConnector(env.store.db, c, { clock: local, sleep, redact });
    expect(tokenRequests()).toHaveLength(2);
    expect(listRequests().at(-1)!.authorization).toBe(`Bearer ${fake.issued[1]}`);
  });

  it("on a 401 from the API fetches a new token once; a second 401 fails the run without the token in health", async () => {
    fake.alerts.push(graphAlert(at(1)));
    const c = connector();
    await run(c);
    fake.alerts.push(graphAlert(at(2)));
    fake.revokeTokens();
    const recovered = await run(c);
    expect(recovered).toMatchObject({ error: null, created: 1 });
    expect(tokenRequests()).toHaveLength(2);

    fake.refuseAllTokens = true;
    fake.echoToken = true;
    fake.alerts.push(graphAlert(at(3)));
    const failed = await run(c);
    expect(tokenRequests()).toHaveLength(3);
    expect(failed.error).toMatch(/HTTP 401 — credentials refused/);
    expect(failed.error).toContain("Token: ***");
    for (const token of fake.issued) expect(failed.error).not.toContain(token);
    const lastError = (await loadState(env.store.db, "defender-lab")).row?.last_error;
    expect(lastError).toMatch(/credentials refused.*Token: \*\*\*/);
    for (const token of fake.issued) expect(lastError).not.toContain(token);
    expect(sleeps).toEqual([]);
  });

  it("waits as long as Retry-After says on 429 and backs off on 5xx, for the token and the API", async () => {
    fake.alerts.push(graphAlert(at(1)), graphAlert(at(2)));
    fake.faults.push({ status: 503 }, { status: 429, headers: { "retry-after": "7" } }, { status: 500 });
    const c = connector();
    const summary = await run(c);
    expect(summary).toMatchObject({ error: null, created: 2 });
    // All three faults hit the token request: 503 (backoff 0.5 s), 429 (Retry-After 7 s), 500 (backoff 2 s).
    expect(sleeps).toEqual([500, 7000, 2000]);
    expect(tokenRequests()).toHaveLength(4);
    expect(listRequests()).toHaveLength(1);

    // With the token cached, the next faults hit the list: 429 with an HTTP date, then 502.
    sleeps.length = 0;
    fake.alerts.push(graphAlert(at(3)));
    fake.faults.push({ status: 429, headers: { "retry-after": new Date(clock.now().getTime() + 12_000).toUTCString() } }, { status: 502 });
    expect(await run(c)).toMatchObject({ error: null, created: 1 });
    expect(sleeps[0]).toBeGreaterThan(10_000);
    expect(sleeps[0]).toBeLessThanOrEqual(12_000);
    expect(sleeps[1]).toBe(1000);
    expect(tokenRequests()).toHaveLength(4);
    expect(listRequests()).toHaveLength(4);
  });

  it("stores an alert repeated on the next page once, when a new alert shifts the pages mid-run", async () => {
    const alerts = Array.from({ length: 6 }, (_, i) => graphAlert(at(i)));
    fake.alerts.push(...alerts);
    const newest = graphAlert(at(9));
    let lists = 0;
    const shifting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes("/security/alerts_v2?") && ++lists === 1) fake.alerts.push(newest);
      return response;
    };
    const summary = await run(connector({}, shifting));
    expect(summary).toMatchObject({ error: null, created: 6, duplicates: 0 });
    expect(await stored()).toEqual(ids(alerts));
    // The alert created during the run is newer than the mark: the next run finds it.
    const next = await run(connector());
    expect(next).toMatchObject({ error: null, created: 1, duplicates: 0 });
    expect(await stored()).toEqual(ids([...alerts, newest]));
  });

  it("uses the vendor's clock for the window: 2 h ahead, then 10 min behind Nightshift, nothing lost or duplicated", async () => {
    // Nightshift's clock says 10:30; the vendor writes 12:30 and later.
    const ahead = [graphAlert("2026-11-24T12:30:00Z"), graphAlert("2026-11-24T12:31:00Z")];
    fake.alerts.push(...ahead);
    expect((await run(connector())).created).toBe(2);
    const later = graphAlert("2026-11-24T12:32:00Z");
    fake.alerts.push(later);
    expect(await run(connector())).toMatchObject({ created: 1, duplicates: 0 });
    expect(listRequests().at(-1)!.query.$filter).toBe("createdDateTime ge 2026-11-24T12:21:00.000Z");
    expect(await stored()).toEqual(ids([...ahead, later]));

    // Another tenant whose clock runs 10 minutes behind ours.
    const behind = [graphAlert("2026-11-24T10:19:00Z"), graphAlert("2026-11-24T10:20:00Z")];
    fake.alerts.splice(0, fake.alerts.length, ...behind);
    const other = () => connector({ name: "defender-behind" });
    expect((await run(other())).created).toBe(2);
    const lateOne = graphAlert("2026-11-24T10:20:30Z");
    fake.alerts.push(lateOne);
    expect(await run(other())).toMatchObject({ created: 1, duplicates: 0 });
    expect(await run(other())).toMatchObject({ created: 0, duplicates: 0 });
    expect(await stored()).toEqual(ids([...ahead, later, ...behind, lateOne]));
  });

  it("takes late arrivals below the mark within lookback_seconds, and equal timestamps at the mark", async () => {
    fake.alerts.push(graphAlert(at(10)), graphAlert(at(20)));
    await run(connector({ lookback_seconds: 300 }));
    // Surfaced after the run: one at the mark, one 4 min below it, one 6 min below it (outside the window).
    const sameTime = graphAlert(at(20));
    const within = graphAlert(at(16));
    const outside = graphAlert(at(14));
    fake.alerts.push(sameTime, within, outside);
    const summary = await run(connector({ lookback_seconds: 300 }));
    expect(summary).toMatchObject({ error: null, created: 2, duplicates: 0 });
    expect(listRequests().at(-1)!.query.$filter).toBe("createdDateTime ge 2026-11-24T10:15:00.000Z");
    expect((await stored()).includes(outside.id as string)).toBe(false);
    expect((await stored()).includes(within.id as string)).toBe(true);
    expect((await stored()).includes(sameTime.id as string)).toBe(true);
  });

  it("after a crash between fetch and commit, a fresh run stores every alert exactly once", async () => {
    const alerts = Array.from({ length: 8 }, (_, i) => graphAlert(at(i)));
    fake.alerts.push(...alerts);
    const crashed = await run(connector(), {
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed before commit");
      },
    });
    expect(crashed.error).toBe("killed before commit");
    // Page 1 (the three newest) committed; the mark has not moved, since older pages were unread.
    expect(await stored()).toEqual(ids(alerts.slice(5)));
    const { checkpoint } = await loadState(env.store.db, "defender-lab");
    expect(checkpoint.time).toBeNull();
    expect((checkpoint.cursor as { recent: unknown[] }).recent).toHaveLength(3);

    const restarted = await run(connector());
    expect(restarted).toMatchObject({ error: null, created: 5, duplicates: 0, caught_up: true });
    expect(await stored()).toEqual(ids(alerts));
    const jobs = await env.store.db.selectFrom("jobs").select("kind").where("kind", "=", "alert.enrich").execute();
    expect(jobs).toHaveLength(8);
    expect((await loadState(env.store.db, "defender-lab")).checkpoint.time).toBe("2026-11-24T10:07:00.000Z");
  });

  it("refuses to follow an @odata.nextLink to another host with the bearer token", async () => {
    fake.alerts.push(graphAlert(at(1)));
    const redirecting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes("/security/alerts_v2?")) return response;
      const body = (await response.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...body, "@odata.nextLink": "https://attacker.example/v1.0/security/alerts_v2?$skip=1" }), { status: 200, headers: { "content-type": "application/json" } });
    };
    const summary = await run(connector({}, redirecting));
    expect(summary.error).toMatch(/refusing to follow @odata.nextLink to https:\/\/attacker.example/);
    expect(await stored()).toEqual([]);
  });
});
