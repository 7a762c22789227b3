import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, ValidationError } from "../core/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { contextCounts, getAsset, getAssetRecord, getIdentity, listAssets, loadContext, loadContextFile, lookupIndicator } from "./index.js";

const context = {
  assets: [
    {
      hostname: "WS-01",
      ips: ["10.0.0.11", "10.0.1.11"],
      criticality: "medium",
      environment: "production",
      owner: "it",
      edr_present: true,
      telemetry: ["dns_logs"],
    },
    { hostname: "db-01", ips: ["10.0.0.21"], criticality: "critical", environment: "production", crown_jewel_adjacent: true },
  ],
  identities: [{ username: "CORP\\JDoe", user_type: "human", privilege_level: "standard", mfa_enabled: true, risk_score: 20 }],
  indicators: [
    { type: "domain", value: "Evil.Example.", source_count: 42, source_total: 60, feed: "abuse", last_seen: "2026-03-01" },
    { type: "ip", value: "203.0.113.7", source_count: 12, source_total: 60 },
  ],
  suppressions: [
    { id: "S-1", author: "alice", reason: "backup job", scope: { rule_id: "r-backup", host: "db-01" }, created_at: "2026-01-01T00:00:00Z" },
  ],
};

async function rowCounts(env: TestEnvironment) {
  const db = env.store.db;
  return {
    ...(await contextCounts(db)),
    asset_ips: (await db.selectFrom("asset_ips").selectAll().execute()).length,
  };
}

async function expectValidationError(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe(`context loading (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("loads a JSON context object with lower-cased keys and display names kept", async () => {
    const counts = await loadContext(env.store.db, context, { clock: fixedClock("2026-03-01T00:00:00Z") });
    expect(counts).toEqual({ assets: 2, identities: 1, indicators: 2, suppressions: 1, subnets: 0 });
    expect(await rowCounts(env)).toEqual({ assets: 2, inventory: 0, inventory_only_hosts: 0, identities: 1, indicators: 2, suppressions: 1, dhcp_leases: 0, subnets: 0, asset_ips: 3 });

    const ws = await getAssetRecord(env.store.db, "ws-01");
    expect(ws?.asset.hostname).toBe("WS-01");
    expect(ws?.updated_at).toBe("2026-03-01T00:00:00.000Z");
    expect(ws?.source).toBe("api");
    expect((await getAsset(env.store.db, "10.0.1.11"))?.hostname).toBe("WS-01");
    const ipRows = await env.store.db.selectFrom("asset_ips").selectAll().orderBy("ip").execute();
    expect(ipRows).toEqual([
      { ip: "10.0.0.11", hostname: "ws-01" },
      { ip: "10.0.0.21", hostname: "db-01" },
      { ip: "10.0.1.11", hostname: "ws-01" },
    ]);

    for (const form of ["jdoe", "JDOE", "CORP\\jdoe", "jdoe@corp.example"]) {
      expect((await getIdentity(env.store.db, form))?.username).toBe("CORP\\JDoe");
    }
    const domain = await lookupIndicator(env.store.db, "domain", "EVIL.example");
    expect(domain).toMatchObject({ value: "Evil.Example.", feed: "abuse", last_seen: "2026-03-01T00:00:00.000Z", verdict: "malicious" });
  });

  it("loads CSV files of assets and of identities, the kind named by the header", async () => {
    const assets = path.join(env.home, "assets.csv");
    writeFileSync(
      assets,
      [
        "Hostname,ips,criticality,environment,crown_jewel_adjacent,owner,network_segment,patch_level,edr_present,telemetry,os",
        "ws-01,10.0.0.11; 10.0.1.11,High,production,yes,it,corp,,1,dns_logs;netflow,windows",
        "db-01,10.0.0.21,critical,production,no,,dmz,2026-02,false,,linux",
      ].join("\n"),
    );
    const identities = path.join(env.home, "identities.csv");
    writeFileSync(
      identities,
      [
        "username,display_name,user_type,privilege_level,mfa_enabled,recent_anomaly,risk_score,department,email",
        "jdoe,Jane Doe,human,standard,true,no,35,finance,jdoe@corp.example",
        "svc-backup,,service_account,elevated,,1,,,",
      ].join("\n"),
    );
    expect(await loadContextFile(env.store.db, assets)).toEqual({ assets: 2, identities: 0, indicators: 0, suppressions: 0, subnets: 0 });
    expect(await loadContextFile(env.store.db, identities)).toEqual({ assets: 0, identities: 2, indicators: 0, suppressions: 0, subnets: 0 });

    const [db01, ws01] = await listAssets(env.store.db);
    expect(ws01).toEqual({
      hostname: "ws-01",
      ips: ["10.0.0.11", "10.0.1.11"],
      criticality: "high",
      environment: "production",
      crown_jewel_adjacent: true,
      owner: "it",
      network_segment: "corp",
      edr_present: true,
      telemetry: ["dns_logs", "netflow"],
      os: "windows",
    });
    expect(db01).toMatchObject({ hostname: "db-01", crown_jewel_adjacent: false, edr_present: false, patch_level: "2026-02", telemetry: [] });
    expect(db01).not.toHaveProperty("owner");
    expect((await getAssetRecord(env.store.db, "db-01"))?.source).toBe("file:assets.csv");

    expect(await getIdentity(env.store.db, "jdoe")).toEqual({
      username: "jdoe",
      display_name: "Jane Doe",
      user_type: "human",
      privilege_level: "standard",
      mfa_enabled: true,
      recent_anomaly: false,
      risk_score: 35,
      department: "finance",
      email: "jdoe@corp.example",
    });
    const svc = await getIdentity(env.store.db, "svc-backup");
    expect(svc).toMatchObject({ user_type: "service_account", recent_anomaly: true });
    expect(svc).not.toHaveProperty("mfa_enabled");
  });

  it("writes nothing when one JSON record anywhere is invalid, and names every bad field", async () => {
    const bad = structuredClone(context) as typeof context & { assets: Record<string, unknown>[] };
    bad.assets.push({ hostname: "x", criticality: "severe", environment: "production", ips: ["10.0.0.300"] } as never);
    (bad.indicators[1] as Record<string, unknown>).value = "not-an-ip";
    (bad.suppressions[0] as Record<string, unknown>).created_at = "last tuesday";
    const error = await expectValidationError(loadContext(env.store.db, bad));
    expect(error.issues.map((i) => i.path)).toEqual(["assets[2].criticality", "indicators[1].value", "suppressions[0].created_at"]);
    expect(await rowCounts(env)).toEqual({ assets: 0, inventory: 0, inventory_only_hosts: 0, identities: 0, indicators: 0, suppressions: 0, dhcp_leases: 0, subnets: 0, asset_ips: 0 });

    const second = structuredClone(context) as Record<string, unknown[]>;
    second.assets!.push({ hostname: "y", criticality: "low", environment: "dev", ips: ["10.0.0.300"] });
    second.identities!.push({ username: "jdoe@corp.example", user_type: "human", privilege_level: "root" });
    const again = await expectValidationError(loadContext(env.store.db, second));
    expect(again.issues.map((i) => i.path)).toEqual(["assets[2].ips[0]", "identities[1].privilege_level"]);
    expect(await rowCounts(env)).toEqual({ assets: 0, inventory: 0, inventory_only_hosts: 0, identities: 0, indicators: 0, suppressions: 0, dhcp_leases: 0, subnets: 0, asset_ips: 0 });
  });

  it("rejects duplicates, unknown keys and a suppression without scope", async () => {
    const error = await expectValidationError(
      loadContext(env.store.db, {
        asset: [],
        identities: [
          { username: "jdoe", user_type: "human", privilege_level: "standard" },
          { username: "CORP\\JDOE", user_type: "human", privilege_level: "admin" },
        ],
        suppressions: [{ id: "S-9", author: "a", reason: "r", scope: {}, created_at: "2026-01-01" }],
      }),
    );
    expect(error.issues).toEqual([
      { path: "asset", message: expect.stringContaining("unknown key") },
      { path: "identities[1].username", message: expect.stringContaining("identities[0]") },
      { path: "suppressions[0].scope", message: expect.stringContaining("at least one scope field") },
    ]);
  });

  it("writes nothing when one CSV row is invalid and names the row", async () => {
    await loadContext(env.store.db, { assets: [context.assets[1]!] });
    const file = path.join(env.home, "assets.csv");
    writeFileSync(
      file,
      [
        "hostname,ips,criticality,environment,edr_present",
        "ws-01,10.0.0.11,high,production,yes",
        "ws-02,10.0.0.12,urgent,production,yes",
        "ws-03,10.0.0.13,low,production,maybe",
      ].join("\n"),
    );
    const error = await expectValidationError(loadContextFile(env.store.db, file));
    expect(error.issues.map((i) => i.path)).toEqual(["row 3: criticality", "row 4: edr_present"]);
    expect(error.message).toContain("row 3: criticality");
    expect((await listAssets(env.store.db)).map((a) => a.hostname)).toEqual(["db-01"]);

    writeFileSync(file, "hostname,criticality,environment,colour\nws-01,high,production,blue\n");
    const header = await expectValidationError(loadContextFile(env.store.db, file));
    expect(header.issues).toEqual([{ path: "header", message: expect.stringContaining('unknown assets column "colour"') }]);

    writeFileSync(file, "name,criticality\nws-01,high\n");
    expect((await expectValidationError(loadContextFile(env.store.db, file))).issues[0]!.path).toBe("header");
    expect((await listAssets(env.store.db)).map((a) => a.hostname)).toEqual(["db-01"]);
  });

  it("reloads the same file without changing anything, and applies a real change", async () => {
    const file = path.join(env.home, "context.json");
    writeFileSync(file, JSON.stringify(context));
    await loadContextFile(env.store.db, file, { clock: fixedClock("2026-03-01T00:00:00Z") });
    const snapshot = async () => ({
      assets: await env.store.db.selectFrom("assets").selectAll().orderBy("hostname").execute(),
      ips: await env.store.db.selectFrom("asset_ips").selectAll().orderBy("ip").execute(),
      identities: await env.store.db.selectFrom("identities").selectAll().execute(),
      indicators: await env.store.db.selectFrom("indicators").selectAll().orderBy("value").execute(),
      suppressions: await env.store.db.selectFrom("suppressions").selectAll().execute(),
    });
    const before = await snapshot();
    expect(await loadContextFile(env.store.db, file, { clock: fixedClock("2026-03-05T00:00:00Z") })).toEqual({
      assets: 2,
      identities: 1,
      indicators: 2,
      suppressions: 1,
      subnets: 0,
    });
    expect(await snapshot()).toEqual(before);

    const changed = structuredClone(context);
    changed.assets[0]!.ips = ["10.0.2.11"];
    writeFileSync(file, JSON.stringify(changed));
    await loadContextFile(env.store.db, file, { clock: fixedClock("2026-03-06T00:00:00Z") });
    const after = await snapshot();
    expect(after.assets.find((a) => a.hostname === "ws-01")?.updated_at).toBe("2026-03-06T00:00:00.000Z");
    expect(after.assets.find((a) => a.hostname === "db-01")?.updated_at).toBe("2026-03-01T00:00:00.000Z");
    expect(after.ips).toEqual([
      { ip: "10.0.0.21", hostname: "db-01" },
      { ip: "10.0.2.11", hostname: "ws-01" },
    ]);
    expect(await getAsset(env.store.db, "10.0.0.11")).toBeNull();
  });
});
