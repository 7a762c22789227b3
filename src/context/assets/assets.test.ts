import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError, fixedClock, type Alert } from "../../core/index.js";
import type { Executor } from "../../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { contextCounts, enrichAlert, getAsset, getAssetRecord, importDeviceInventory, loadContext } from "../index.js";
import { buildAlert } from "../testing.js";
import { importLeaseFile, parseLeases, writeLeases } from "./leases.js";

const context = {
  assets: [
    { hostname: "ws-01", ips: ["10.0.0.11"], criticality: "medium", environment: "production", owner: "it", network_segment: "corp", patch_level: "2026-02" },
    { hostname: "db-01", ips: ["10.0.0.21"], criticality: "critical", environment: "production", crown_jewel_adjacent: true },
    { hostname: "laptop-a", criticality: "low", environment: "corporate" },
    { hostname: "laptop-b", criticality: "high", environment: "corporate" },
  ],
  subnets: [
    { cidr: "10.0.0.0/16", segment: "corp-lan", environment: "production" },
    { cidr: "10.0.0.16/28", segment: "db-vlan" },
    { cidr: "2001:db8:1::/48", segment: "v6-lab" },
  ],
};

const options = { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-20T00:00:00Z") };

describe(`assets: inventory, leases, subnets (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let db: Executor;
  beforeEach(async () => {
    env = await openTestEnvironment();
    db = env.store.db;
    await loadContext(env.store.db, context, { clock: fixedClock("2026-03-01T00:00:00Z"), source: "cmdb-export" });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const enrich = (alert: Alert, extra: { ipStaleDays?: number } = {}) => enrichAlert(db, alert, { ...options, ...extra });
  const srcAlert = (ip: string, time: string) => buildAlert({ src: { ip }, time, received_at: time });
  const count = async (table: "asset_inventory" | "dhcp_leases" | "ip_observations") =>
    (await db.selectFrom(table).selectAll().execute()).length;

  it("merges an inventory into the CMDB record: the CMDB wins on its fields, the inventory fills the rest", async () => {
    const result = await importDeviceInventory(
      db,
      [
        { hostname: "WS-01", device_id: "d-1", ips: [{ ip: "10.0.0.11" }], os: "Windows 11", os_version: "23H2", patch_level: "2026-03", edr_present: true, telemetry: ["EDR", "sysmon"], last_seen: "2026-03-10T08:00:00Z" },
        { hostname: "db-01", ips: [], patch_level: "2026-01", edr_present: false, last_seen: "2026-03-09T00:00:00Z" },
      ],
      { source: "defender", now: "2026-03-10T09:00:00Z" },
    );
    expect(result).toEqual({ created: 2, updated: 0 });
    expect(await importDeviceInventory(db, [{ hostname: "db-01", ips: [], patch_level: "2026-01", edr_present: false, last_seen: "2026-03-09T00:00:00Z" }], { source: "defender", now: "2026-03-11T00:00:00Z" })).toEqual({ created: 0, updated: 0 });

    const ws = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, time: "2026-03-12T00:00:00Z" }));
    expect(ws.asset).toMatchObject({ hostname: "ws-01", criticality: "medium", patch_level: "2026-02", os: "Windows 11", os_version: "23H2", edr_present: true, last_seen: "2026-03-10T08:00:00.000Z" });
    expect(ws.asset!.telemetry.sort()).toEqual(["edr", "sysmon"]);
    expect(ws.asset!.resolved_by).toMatchObject({ method: "hostname" });
    expect(ws.meta.telemetry).toContain("edr");
    expect(ws.meta.missing_fields.filter((f) => f.startsWith("asset."))).toEqual([]);
    expect(ws.meta.provenance).toContainEqual(expect.objectContaining({ axis: "asset", source: "defender", as_of: "2026-03-10T08:00:00.000Z" }));
    expect(ws.meta.provenance).toContainEqual(expect.objectContaining({ axis: "asset", source: "cmdb" }));

    const dbHost = await enrich(buildAlert({ host: { name: "db-01", ip: [] }, time: "2026-03-12T00:00:00Z" }));
    expect(dbHost.asset).toMatchObject({ criticality: "critical", crown_jewel_adjacent: true, patch_level: "2026-01", edr_present: false, network_segment: "db-vlan" });
    // Nothing is known about its telemetry (no list, no EDR): listed, not guessed.
    expect(dbHost.meta.missing_fields).toContain("asset.telemetry");
  });

  it("keeps a host known only to an inventory as an asset with unknown criticality and environment", async () => {
    await importDeviceInventory(db, [{ hostname: "Laptop-9", ips: [{ ip: "10.5.0.9" }], os: "macOS", telemetry: ["edr"], last_seen: "2026-03-10T00:00:00Z" }], { source: "intune", now: "2026-03-10T01:00:00Z" });
    const e = await enrich(buildAlert({ host: { name: "laptop-9", ip: [] }, time: "2026-03-11T00:00:00Z" }));
    expect(e.asset).not.toBeNull();
    expect(e.asset!.criticality).toBeUndefined();
    expect(e.asset!.environment).toBeUndefined();
    expect(e.meta.missing_fields).toEqual(expect.arrayContaining(["asset.criticality", "asset.environment", "asset.owner", "asset.crown_jewel_adjacent"]));
    expect(e.meta.missing_fields).not.toContain("asset.telemetry");
    expect(e.meta.provenance).toContainEqual(expect.objectContaining({ axis: "asset", source: "intune", as_of: "2026-03-10T00:00:00.000Z" }));
    expect(e.meta.provenance.some((p) => p.source === "cmdb")).toBe(false);
  });

  it("rejects a bad device with its path and writes nothing", async () => {
    const bad = [
      { hostname: "ok-1", ips: [{ ip: "10.1.1.1" }] },
      { hostname: "bad-1", ips: [{ ip: "not-an-ip" }], last_seen: "yesterday" },
    ];
    const error = await importDeviceInventory(db, bad, { source: "defender", now: "2026-03-10T00:00:00Z" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["[1].ips[0].ip", "[1].last_seen"]));
    expect(await count("asset_inventory")).toBe(0);
    expect(await count("ip_observations")).toBe(0);
  });

  it("resolves an address to the host that held it at the alert's time, the same on replay", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "leases-"));
    const csv = path.join(dir, "leases.csv");
    writeFileSync(
      csv,
      ["ip,hostname,mac,starts,ends", "10.9.0.5,laptop-a,aa:bb:cc:00:00:01,2026-03-10T10:00:00Z,2026-03-10T12:00:00Z", "10.9.0.5,LAPTOP-B,aa:bb:cc:00:00:02,2026-03-10T12:00:00Z,", "10.0.0.11,db-01,,2026-03-10T10:00:00Z,2026-03-10T12:00:00Z"].join("\n"),
    );
    expect(await importLeaseFile(env.store.db, csv, { now: "2026-03-10T14:00:00Z", source: "dhcp-1" })).toEqual({ leases: 3, source: "dhcp-1" });

    const at11 = srcAlert("10.9.0.5", "2026-03-10T11:00:00Z");
    const at13 = srcAlert("10.9.0.5", "2026-03-10T13:00:00Z");
    const first = await enrich(at11);
    const second = await enrich(at13);
    expect(first.asset?.hostname).toBe("laptop-a");
    expect(first.asset?.resolved_by).toEqual({ method: "lease", match: "ip", address: "10.9.0.5", as_of: "2026-03-10T10:00:00.000Z", source: "dhcp-1" });
    expect(second.asset?.hostname).toBe("laptop-b");
    expect(second.asset?.criticality).toBe("high");

    // The lease beats the CMDB's static address while it lasts; afterwards the CMDB answers.
    expect((await enrich(srcAlert("10.0.0.11", "2026-03-10T11:00:00Z"))).asset?.hostname).toBe("db-01");
    const later = await enrich(srcAlert("10.0.0.11", "2026-03-10T15:00:00Z"));
    expect(later.asset?.hostname).toBe("ws-01");
    expect(later.asset?.resolved_by?.method).toBe("cmdb_ip");

    // New knowledge about later times does not change how the earlier alert resolves.
    await importDeviceInventory(db, [{ hostname: "laptop-b", ips: [{ ip: "10.9.0.5", seen_at: "2026-03-10T16:00:00Z" }] }], { source: "defender", now: "2026-03-10T16:00:00Z" });
    const replay = await enrich(at11);
    expect(replay.asset).toEqual(first.asset);
  });

  it("getAsset gives the merged asset enrichment uses: CMDB plus inventories, by name or by address at a time", async () => {
    await importDeviceInventory(
      db,
      [
        { hostname: "WS-01", ips: [{ ip: "10.0.5.11", seen_at: "2026-03-09T00:00:00Z" }], os: "Windows 11", edr_present: true, telemetry: ["edr"], last_seen: "2026-03-09T00:00:00Z" },
        { hostname: "laptop-9", ips: [{ ip: "10.5.0.9", seen_at: "2026-03-10T00:00:00Z" }], os: "macOS", last_seen: "2026-03-10T00:00:00Z" },
      ],
      { source: "defender", now: "2026-03-10T00:00:00Z" },
    );
    const ws = await getAssetRecord(db, "ws-01");
    // The CMDB's fields stay the CMDB's; the inventory adds what the CMDB does not know.
    expect(ws?.asset).toMatchObject({ hostname: "ws-01", criticality: "medium", patch_level: "2026-02", os: "Windows 11", edr_present: true, telemetry: ["edr"], last_seen: "2026-03-09T00:00:00.000Z" });
    expect(ws?.asset.ips.sort()).toEqual(["10.0.0.11", "10.0.5.11"]);
    expect(ws).toMatchObject({ source: "cmdb-export", updated_at: "2026-03-01T00:00:00.000Z" });
    const enriched = await enrich(buildAlert({ host: { name: "WS-01", ip: [] } }));
    expect(await getAsset(db, "WS-01")).toMatchObject({ os: enriched.asset?.os, edr_present: enriched.asset?.edr_present, telemetry: enriched.asset?.telemetry });

    // A host only the inventory knows is an asset too.
    expect(await getAssetRecord(db, "LAPTOP-9")).toMatchObject({ asset: { hostname: "laptop-9", os: "macOS" }, source: "defender", updated_at: "2026-03-10T00:00:00.000Z" });
    // By address: the inventory sighting at that time, else the CMDB's static address, else nobody.
    expect((await getAsset(db, "10.5.0.9", { at: "2026-03-11T00:00:00Z" }))?.hostname).toBe("laptop-9");
    expect(await getAsset(db, "10.5.0.9", { at: "2026-03-01T00:00:00Z" })).toBeNull();
    expect((await getAsset(db, "10.0.0.21", { at: "2026-03-11T00:00:00Z" }))?.hostname).toBe("db-01");
    expect(await getAsset(db, "nowhere-1")).toBeNull();
  });

  it("counts every context source: CMDB, inventory records and inventory-only hosts, leases, subnets", async () => {
    expect(await contextCounts(db)).toMatchObject({ assets: 4, inventory: 0, inventory_only_hosts: 0, dhcp_leases: 0, subnets: 3 });
    await importDeviceInventory(db, [{ hostname: "ws-01", ips: [] }, { hostname: "kiosk-1", ips: [] }, { hostname: "kiosk-2", ips: [] }], { source: "defender", now: "2026-03-10T00:00:00Z" });
    await importDeviceInventory(db, [{ hostname: "kiosk-1", ips: [] }], { source: "intune", now: "2026-03-10T00:00:00Z" });
    await writeLeases(db, parseLeases('[{"ip":"10.9.0.5","hostname":"laptop-a","starts":"2026-03-10T10:00:00Z"},{"ip":"10.9.0.6","starts":"2026-03-10T10:00:00Z"}]'), { source: "dhcp", now: "2026-03-11T00:00:00Z" });
    expect(await contextCounts(db)).toMatchObject({ assets: 4, inventory: 4, inventory_only_hosts: 2, dhcp_leases: 2, subnets: 3 });
  });

  it("uses an inventory sighting only within ip_stale_days before the alert, never after it", async () => {
    await importDeviceInventory(db, [{ hostname: "kiosk-1", ips: [{ ip: "10.7.0.9", seen_at: "2026-03-01T00:00:00Z" }] }], { source: "defender", now: "2026-03-01T00:00:00Z" });
    const recent = await enrich(srcAlert("10.7.0.9", "2026-03-05T00:00:00Z"));
    expect(recent.asset?.hostname).toBe("kiosk-1");
    expect(recent.asset?.resolved_by).toMatchObject({ method: "observation", source: "defender", as_of: "2026-03-01T00:00:00.000Z" });

    const stale = await enrich(srcAlert("10.7.0.9", "2026-03-20T00:00:00Z"));
    expect(stale.asset).toBeNull();
    expect((await enrich(srcAlert("10.7.0.9", "2026-03-20T00:00:00Z"), { ipStaleDays: 30 })).asset?.hostname).toBe("kiosk-1");
    expect((await enrich(srcAlert("10.7.0.9", "2026-02-20T00:00:00Z"))).asset).toBeNull();

    // The address moves: a sighting on another host starts a new stint.
    await importDeviceInventory(db, [{ hostname: "kiosk-2", ips: [{ ip: "10.7.0.9", seen_at: "2026-03-03T00:00:00Z" }] }], { source: "defender", now: "2026-03-03T00:00:00Z" });
    expect((await enrich(srcAlert("10.7.0.9", "2026-03-02T00:00:00Z"))).asset?.hostname).toBe("kiosk-1");
    expect((await enrich(srcAlert("10.7.0.9", "2026-03-05T00:00:00Z"))).asset?.hostname).toBe("kiosk-2");
  });

  it("gives the narrowest subnet's segment when the CMDB has none, and validates subnets", async () => {
    const dbHost = await enrich(buildAlert({ host: { name: "db-01", ip: [] } }));
    expect(dbHost.asset?.network_segment).toBe("db-vlan");
    expect(dbHost.meta.provenance).toContainEqual(expect.objectContaining({ axis: "subnet", source: "subnet:10.0.0.16/28" }));
    const ws = await enrich(buildAlert({ host: { name: "ws-01", ip: [] } }));
    expect(ws.asset?.network_segment).toBe("corp");

    // An address no asset holds still gets its segment on the network axis.
    const unknown = await enrich(buildAlert({ src: { ip: "10.0.200.7" }, dst: { ip: "8.8.8.8" } }));
    expect(unknown.asset).toBeNull();
    expect(unknown.network.src_segment).toBe("corp-lan");
    expect(unknown.network.dst_segment).toBeUndefined();

    const error = await loadContext(env.store.db, { subnets: [{ cidr: "10.0.0.0/33", segment: "x" }, { cidr: "2001:db8::/32" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["subnets[0].cidr", "subnets[1].segment"]);
  });

  it("parses ISC dhcpd.leases: last declaration wins, epoch and never times, abandoned leases skipped", () => {
    const text = [
      "# The format of this file is documented in the dhcpd.leases(5) manual page.",
      'server-duid "\\000\\001";',
      "lease 192.168.1.50 {",
      "  starts 2 2026/03/10 10:00:00;",
      "  ends 2 2026/03/10 12:00:00;",
      "  binding state active;",
      "  hardware ethernet 00:16:3E:EF:A9:C1;",
      '  client-hostname "Laptop-A"; # the client',
      "}",
      "lease 192.168.1.50 {",
      "  starts 2 2026/03/10 10:00:00;",
      "  ends 2 2026/03/10 13:00:00;",
      "  binding state active;",
      '  client-hostname "laptop-a";',
      "}",
      "lease 192.168.1.51 { starts epoch 1773136800; # 2026/03/10 10:00:00",
      "  ends never; binding state active; client-hostname \"printer\"; }",
      "lease 192.168.1.52 { starts 2 2026/03/10 10:00:00; ends 2 2026/03/10 11:00:00; binding state abandoned; }",
      "failover peer \"dhcp\" state { my state normal at 2 2026/03/10 09:00:00; }",
    ].join("\n");
    expect(parseLeases(text)).toEqual([
      { ip: "192.168.1.50", starts: "2026-03-10T10:00:00.000Z", ends: "2026-03-10T13:00:00.000Z", hostname: "laptop-a", mac: null },
      { ip: "192.168.1.51", starts: "2026-03-10T10:00:00.000Z", ends: null, hostname: "printer", mac: null },
    ]);
    expect(() => parseLeases("lease 10.0.0.1 {\n  ends 2 2026/03/10 11:00:00;\n}\n")).toThrow(/starts is required/);
    expect(() => parseLeases("lease 10.0.0.1 {\n  starts 2 2026/03/10 10:00:00;\n")).toThrow(/unterminated/);
  });

  it("rejects a bad lease file whole: nothing written", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "leases-"));
    const csv = path.join(dir, "bad.csv");
    writeFileSync(csv, ["ip,hostname,starts,ends", "10.9.0.5,a,2026-03-10T10:00:00Z,2026-03-10T12:00:00Z", "10.9.0.6,b,not-a-time,"].join("\n"));
    const error = await importLeaseFile(env.store.db, csv, { now: "2026-03-10T14:00:00Z" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: "row 3.starts", message: 'not a date-time: "not-a-time"' }]);
    expect(await count("dhcp_leases")).toBe(0);

    const json = path.join(dir, "leases.json");
    writeFileSync(json, JSON.stringify([{ ip: "2001:DB8:1::5", hostname: "lab-1", starts: "2026-03-10T10:00:00Z" }]));
    expect(await importLeaseFile(env.store.db, json, { now: "2026-03-10T14:00:00Z" })).toEqual({ leases: 1, source: "dhcp" });
    // Re-importing the same binding is idempotent.
    await writeLeases(db, parseLeases('[{"ip":"2001:db8:1::5","hostname":"lab-1","starts":"2026-03-10T10:00:00Z"}]'), { source: "dhcp", now: "2026-03-11T00:00:00Z" });
    expect(await count("dhcp_leases")).toBe(1);
    await importDeviceInventory(db, [{ hostname: "lab-1", ips: [] }], { source: "defender", now: "2026-03-10T00:00:00Z" });
    const e = await enrich(srcAlert("2001:db8:1::5", "2026-03-11T00:00:00Z"));
    expect(e.asset?.hostname).toBe("lab-1");
    expect(e.asset?.network_segment).toBe("v6-lab");
  });
});
