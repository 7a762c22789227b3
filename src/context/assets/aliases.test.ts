import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import type { Executor } from "../../store/index.js";
import { enrichAlert, getAsset, importDeviceInventory, loadContext } from "../index.js";
import { buildAlert } from "../testing.js";
import { aliasRows, shortNameOf } from "./aliases.js";

const context = {
  assets: [
    { hostname: "ws-042", ips: ["10.0.0.42"], criticality: "medium", environment: "production" },
    { hostname: "db-01.corp.example", criticality: "critical", environment: "production", aliases: ["LEGACY-DB", "sqlprod"] },
  ],
};
const options = { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-20T00:00:00Z") };

describe("host names", () => {
  it("short name of an FQDN key only", () => {
    expect(shortNameOf("ws-042.corp.example")).toBe("ws-042");
    expect(shortNameOf("ws-042")).toBeNull();
    expect(shortNameOf("10.0.0.1")).toBeNull();
    expect(shortNameOf("fe80::1")).toBeNull();
    expect(aliasRows("DB-01.corp.example", ["legacy-db", "db-01.corp.example."], "cmdb")).toEqual([
      { alias: "legacy-db", hostname: "db-01.corp.example", source: "cmdb", kind: "alias" },
      { alias: "db-01", hostname: "db-01.corp.example", source: "cmdb", kind: "short_name" },
    ]);
  });
});

describe(`host resolution by FQDN, short name and alias (${testStoreKind()})`, () => {
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

  const resolved = async (name: string, source = "sigma") => {
    const enrichment = await enrichAlert(db, buildAlert({ source, host: { name, ip: [] } }), options);
    return enrichment.asset ? { hostname: enrichment.asset.hostname, match: enrichment.asset.resolved_by?.match } : null;
  };

  it("joins a Windows event's FQDN to the CMDB's short name, and records which rule matched", async () => {
    expect(await resolved("WS-042.corp.example")).toEqual({ hostname: "ws-042", match: "short_name" });
    expect(await resolved("ws-042", "wazuh")).toEqual({ hostname: "ws-042", match: "short_name" });
    expect(await resolved("db-01.corp.example")).toEqual({ hostname: "db-01.corp.example", match: "fqdn" });
    expect(await resolved("DB-01", "elastic")).toEqual({ hostname: "db-01.corp.example", match: "short_name" });
    expect(await resolved("legacy-db")).toEqual({ hostname: "db-01.corp.example", match: "alias" });
    expect(await resolved("sqlprod.corp.example")).toEqual({ hostname: "db-01.corp.example", match: "alias" });
    // A host of another domain sharing the short name is not this asset.
    expect(await resolved("db-01.lab.example")).toBeNull();
    expect(await resolved("nowhere.corp.example")).toBeNull();
  });

  it("resolves a host name that is an address by the address", async () => {
    const enrichment = await enrichAlert(db, buildAlert({ host: { name: "10.0.0.42", ip: [] } }), options);
    expect(enrichment.asset?.hostname).toBe("ws-042");
    expect(enrichment.asset?.resolved_by).toMatchObject({ method: "cmdb_ip", match: "ip" });
  });

  it("takes an inventory's aliases (Defender's FQDN) and answers getAsset by any of the names", async () => {
    await importDeviceInventory(db, [{ hostname: "laptop-7", aliases: ["laptop-7.corp.example", "LT7"], ips: [], os: "Windows 11" }], { source: "defender", now: "2026-03-10T00:00:00Z" });
    expect(await resolved("laptop-7.corp.example")).toEqual({ hostname: "laptop-7", match: "alias" });
    expect(await resolved("lt7")).toEqual({ hostname: "laptop-7", match: "alias" });
    expect((await getAsset(db, "LT7"))?.hostname).toBe("laptop-7");
    expect((await getAsset(db, "db-01"))?.hostname).toBe("db-01.corp.example");
    expect((await getAsset(db, "ws-042.corp.example"))?.hostname).toBe("ws-042");
    // A reload replaces a source's aliases of a host.
    await importDeviceInventory(db, [{ hostname: "laptop-7", aliases: ["lt-seven"], ips: [], os: "Windows 11" }], { source: "defender", now: "2026-03-11T00:00:00Z" });
    expect(await resolved("lt7")).toBeNull();
    expect(await resolved("lt-seven")).toEqual({ hostname: "laptop-7", match: "alias" });
  });
});
