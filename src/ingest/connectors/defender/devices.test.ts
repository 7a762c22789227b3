import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import type { Executor } from "../../../store/index.js";
import { runConnector } from "../runner.js";
import { makeRedactor } from "../secrets.js";
import { loadState } from "../state.js";
import type { Connector } from "../types.js";
import { DefenderDevicesSettings, createDefenderDevicesConnector, type ImportDevices } from "./devices.js";
import type { DeviceRecord } from "./mapping.js";
import { mdeMachine, startFakeDefender, type FakeDefender } from "./testing.js";

const TENANT = "b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c";
const CLIENT = "6731de76-14a6-49ae-97bc-6eba6914391e";
const SECRET = "s3cret~Defender.Client_Secret";

const seen = (hour: number, minute = 0) => `2026-11-24T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:36.052313Z`;

describe(`defender device inventory against a loopback MDE API (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let fake: FakeDefender;
  let calls: { devices: DeviceRecord[]; source: string; now: string }[];
  const clock = fixedClock("2026-11-24T10:30:00Z");
  const sleep = async () => {};
  const redact = makeRedactor([SECRET]);

  /** Stands in for the context folder's importer: writes each device in the page's transaction. */
  const recordingImporter: ImportDevices = async (ex: Executor, devices, options) => {
    calls.push({ devices, ...options });
    for (const device of devices) {
      await ex.deleteFrom("assets").where("hostname", "=", device.hostname).execute();
      await ex.insertInto("assets").values({ hostname: device.hostname, doc: JSON.stringify(device), updated_at: options.now, source: options.source }).execute();
    }
    return { created: devices.length, updated: 0 };
  };

  function connector(overrides: Record<string, unknown> = {}): Connector {
    const settings = DefenderDevicesSettings.parse({
      name: "mde-devices",
      kind: "defender_devices",
      tenant_id: TENANT,
      client_id: CLIENT,
      client_secret: SECRET,
      authority_url: fake.url,
      api_url: fake.url,
      page_size: 2,
      ...overrides,
    });
    return createDefenderDevicesConnector(settings, { redact, importDevices: recordingImporter });
  }
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, sleep, redact, ...extra });
  const machineRequests = () => fake.requests.filter((r) => r.path === "/api/machines");
  const assets = async () => (await env.store.db.selectFrom("assets").select("hostname").execute()).map((r) => r.hostname).sort();

  beforeEach(async () => {
    env = await openTestEnvironment();
    fake = await startFakeDefender({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET });
    calls = [];
  });
  afterEach(async () => {
    await fake.close();
    await env.cleanup();
  });

  it("pages the machine list by @odata.nextLink with an MDE-scoped token and imports every device in its page's transaction", async () => {
    fake.machines.push(
      mdeMachine("ws-001.corp.example.com", seen(8)),
      mdeMachine("WS-002.corp.example.com", seen(9)),
      mdeMachine("srv-db-01.corp.example.com", seen(7)),
      mdeMachine("printer-3", seen(6), { onboardingStatus: "CanBeOnboarded", ipAddresses: [] }),
      mdeMachine("ws-005.corp.example.com", seen(5)),
    );
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, caught_up: true, pages: 3, fetched: 5, created: 0 });
    const token = fake.requests.find((r) => r.path.endsWith("/oauth2/v2.0/token"))!;
    expect(token.form).toMatchObject({ scope: "https://api.securitycenter.microsoft.com/.default", grant_type: "client_credentials", client_id: CLIENT });
    expect(machineRequests()[0]!.query).toEqual({ $top: "2" });
    expect(machineRequests()[1]!.query).toEqual({ $top: "2", $skip: "2" });
    expect(calls.map((c) => c.devices.length)).toEqual([2, 2, 1]);
    expect(calls.every((c) => c.source === "mde-devices" && c.now === "2026-11-24T10:30:00.000Z")).toBe(true);
    expect(await assets()).toEqual(["printer-3", "srv-db-01", "ws-001", "ws-002", "ws-005"]);

    const ws2 = calls.flatMap((c) => c.devices).find((d) => d.hostname === "ws-002")!;
    expect(ws2).toMatchObject({ edr_present: true, telemetry: ["edr"], os: "Windows10", patch_level: "19045", health: "Active", risk: "High", last_seen: "2026-11-24T09:00:36.052Z" });
    expect(ws2.tags).toContain("fqdn:ws-002.corp.example.com");
    const printer = calls.flatMap((c) => c.devices).find((d) => d.hostname === "printer-3")!;
    expect(printer).toMatchObject({ edr_present: false, telemetry: [] });

    // The mark is the newest lastSeen (vendor time); the next run asks only for devices seen since.
    expect((await loadState(env.store.db, "mde-devices")).checkpoint.time).toBe("2026-11-24T09:00:36.052Z");
    fake.machines.push(mdeMachine("ws-006.corp.example.com", seen(11)));
    calls = [];
    const again = await run(connector());
    expect(again).toMatchObject({ error: null, fetched: 2 });
    expect(machineRequests().at(-1)!.query.$filter).toBe("lastSeen ge 2026-11-24T09:00:36.052Z");
    expect(calls.flatMap((c) => c.devices.map((d) => d.hostname)).sort()).toEqual(["ws-002", "ws-006"]);
  });

  it("pages with $skip when the API sends full pages without a nextLink, and re-reads everything when not incremental", async () => {
    fake.machinesNextLink = false;
    fake.machines.push(...Array.from({ length: 4 }, (_, i) => mdeMachine(`ws-10${i}`, seen(8, i))));
    const summary = await run(connector({ incremental: false }));
    expect(summary).toMatchObject({ error: null, caught_up: true, fetched: 4, pages: 3 });
    expect(machineRequests().map((r) => r.query.$skip ?? "0")).toEqual(["0", "2", "4"]);
    await run(connector({ incremental: false }));
    expect(machineRequests().at(-1)!.query.$filter).toBeUndefined();
    expect(calls.flatMap((c) => c.devices)).toHaveLength(8);
  });

  it("returns no alerts, and after a crash on page 2 the devices of that page roll back with the checkpoint", async () => {
    fake.machines.push(...Array.from({ length: 5 }, (_, i) => mdeMachine(`ws-20${i}`, seen(8, i))));
    const crashed = await run(connector(), {
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed before commit");
      },
    });
    expect(crashed.error).toBe("killed before commit");
    expect(await assets()).toEqual(["ws-203", "ws-204"]);
    expect((await loadState(env.store.db, "mde-devices")).checkpoint.time).toBeNull();
    const restarted = await run(connector());
    expect(restarted).toMatchObject({ error: null, caught_up: true, created: 0 });
    expect(await assets()).toEqual(["ws-200", "ws-201", "ws-202", "ws-203", "ws-204"]);
    expect((await loadState(env.store.db, "mde-devices")).checkpoint.time).toBe("2026-11-24T08:04:36.052Z");
    expect(await env.store.db.selectFrom("alerts").select("id").execute()).toEqual([]);
  });

  it("fails with an auth error on a refused token and on a second API 401", async () => {
    fake.machines.push(mdeMachine("ws-300", seen(8)));
    fake.refuseAllTokens = true;
    const summary = await run(connector());
    expect(summary.error).toMatch(/GET \/api\/machines.*HTTP 401 — credentials refused/);
    expect(fake.requests.filter((r) => r.path.endsWith("/token"))).toHaveLength(2);
    expect(calls).toEqual([]);
  });

  it("writes through the context folder's importDeviceInventory by default, once per device even when a page repeats one", async () => {
    const twice = mdeMachine("ws-400.corp.example.com", seen(8), { id: "aaaa000000000000000000000000000000000400" });
    fake.machines.push(twice, { ...twice, lastSeen: seen(7) }, mdeMachine("ws-401.corp.example.com", seen(6), { id: "aaaa000000000000000000000000000000000401" }));
    const settings = DefenderDevicesSettings.parse({
      name: "mde-devices",
      kind: "defender_devices",
      tenant_id: TENANT,
      client_id: CLIENT,
      client_secret: SECRET,
      authority_url: fake.url,
      api_url: fake.url,
      page_size: 10,
    });
    const summary = await run(createDefenderDevicesConnector(settings, { redact }));
    expect(summary).toMatchObject({ error: null, caught_up: true, fetched: 2 });
    const rows = await env.store.db.selectFrom("asset_inventory").select(["source", "device_key", "hostname", "last_seen"]).orderBy("hostname").execute();
    expect(rows).toEqual([
      { source: "mde-devices", device_key: "id:aaaa000000000000000000000000000000000400", hostname: "ws-400", last_seen: "2026-11-24T08:00:36.052Z" },
      { source: "mde-devices", device_key: "id:aaaa000000000000000000000000000000000401", hostname: "ws-401", last_seen: "2026-11-24T06:00:36.052Z" },
    ]);
    const sightings = await env.store.db.selectFrom("ip_observations").select(["ip", "hostname"]).where("ip", "=", "10.166.113.47").orderBy("hostname").execute();
    expect(sightings.map((s) => s.hostname)).toEqual(["ws-400", "ws-401"]);
  });
});
