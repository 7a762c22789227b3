import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, ValidationError, type Alert } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import {
  caseMissingFields,
  dateProvenance,
  enrichAlert,
  enrichmentOverview,
  enrichStoredAlert,
  formatGapCounts,
  gapCounts,
  loadContext,
} from "./index.js";
import { buildAlert, insertAlert } from "./testing.js";

const T = "2026-04-15T12:00:00.000Z";
const options = { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: fixedClock("2026-04-15T12:05:00Z") };

describe("provenance dating", () => {
  it("gives each entry its age at the alert's time and flags only axes older than their limit", () => {
    const { provenance, stale } = dateProvenance(
      [
        { axis: "asset", source: "cmdb", as_of: "2026-01-01T00:00:00.000Z" },
        { axis: "identity", source: "identity", as_of: "2026-04-16T00:00:00.000Z" },
        { axis: "identity", source: "builtin_principal", as_of: null },
        { axis: "threat_intel", source: "intel:x", as_of: "2020-01-01T00:00:00.000Z" },
      ],
      T,
      { asset: 90, identity: 30 },
    );
    expect(provenance.map((p) => [p.axis, p.age_hours, p.stale])).toEqual([
      ["asset", 2508, true],
      // Recorded after the alert: negative age, current.
      ["identity", -12, false],
      ["identity", null, false],
      // Intel has its own expiry: no age limit unless configured.
      ["threat_intel", 55116, false],
    ]);
    expect(stale).toEqual(["asset"]);
  });
});

describe(`freshness and gap counts (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let db: Executor;
  beforeEach(async () => {
    env = await openTestEnvironment();
    db = env.store.db;
    await loadContext(
      db,
      { assets: [{ hostname: "ws-01", ips: ["10.0.0.11"], criticality: "medium", environment: "production", owner: "it" }] },
      { clock: fixedClock("2026-01-01T00:00:00Z") },
    );
    await loadContext(
      db,
      { identities: [{ username: "jdoe", user_type: "human", privilege_level: "standard", mfa_enabled: true, risk_score: 10 }] },
      { clock: fixedClock("2026-03-01T00:00:00Z") },
    );
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("flags a stale CMDB or identity record in meta.stale without listing it as missing", async () => {
    const alert = buildAlert({ time: T, host: { name: "ws-01", ip: [] }, user: { name: "jdoe" } });
    const e = await enrichAlert(db, alert, options);
    expect(e.meta.stale).toEqual(["asset", "identity"]);
    expect(e.asset?.hostname).toBe("ws-01");
    expect(e.meta.missing_fields).not.toContain("asset");
    expect(e.meta.provenance.find((p) => p.axis === "asset")).toMatchObject({ age_hours: 2508, stale: true });
    const lenient = await enrichAlert(db, alert, { ...options, staleAfterDays: { asset: 365, identity: 60 } });
    expect(lenient.meta.stale).toEqual([]);
  });

  async function enriched(overrides: Partial<Alert>, caseId?: string) {
    const alert = await insertAlert(db, buildAlert({ time: T, ...overrides }), { caseId });
    await enrichStoredAlert(db, { alert_id: alert.id }, options);
    return alert;
  }

  it("counts enriched alerts, gaps per field path and completeness per source, within the range", async () => {
    await enriched({ source: "edr", host: { name: "ws-01", ip: [] } });
    await enriched({ source: "edr", host: { name: "ws-99", ip: [] } });
    await enriched({ source: "ids", subtype: "dns_malicious_lookup", src: { ip: "10.0.0.11" }, network: { protocol: "dns" } });
    await insertAlert(db, buildAlert({ source: "ids", time: T }));
    await enriched({ source: "edr", time: "2026-04-10T00:00:00.000Z", host: { name: "ws-98", ip: [] } });

    const counts = await gapCounts(db, { since: "2026-04-15", until: "2026-04-16" });
    expect(Object.keys(counts.sources)).toEqual(["edr", "ids"]);
    expect(counts.sources.edr).toMatchObject({
      alerts: 2,
      enriched: 2,
      with_gaps: 2,
      with_stale: 1,
      completeness: { complete: 0, partial: 1, insufficient: 1 },
      stale: { asset: 1 },
    });
    // ws-01 lacks its optional CMDB fields; the unknown ws-99 lacks them all.
    expect(counts.sources.edr!.missing).toMatchObject({ "asset.network_segment": 2, "asset.criticality": 1, "asset.owner": 1 });
    expect(Object.values(counts.sources.edr!.missing)[0]).toBe(2);
    expect(counts.sources.ids).toMatchObject({ alerts: 2, enriched: 1, with_gaps: 1 });
    expect(counts.sources.ids!.missing).toMatchObject({
      "network.dst_domain": 1,
      "network.query_type": 1,
      "network.response_code": 1,
      "asset.network_segment": 1,
    });
    expect(counts.sources.ids!.missing).not.toHaveProperty("asset.criticality");
    expect(counts.total).toMatchObject({ alerts: 4, enriched: 3, with_gaps: 3 });

    const onlyIds = await gapCounts(db, { source: "ids" });
    expect(Object.keys(onlyIds.sources)).toEqual(["ids"]);
    const all = await gapCounts(db);
    expect(all.total.alerts).toBe(5);
    expect(formatGapCounts(counts)).toMatch(/^edr\s+2\s+2\s+2\s+0\s+1\s+1\s+1$/m);
  });

  it("summarises enrichment with the top missing paths and examples showing different gaps", async () => {
    const first = await enriched({ source: "edr", time: "2026-04-15T01:00:00.000Z", host: { name: "ws-99", ip: [] } });
    const second = await enriched({ source: "edr", time: "2026-04-15T02:00:00.000Z", host: { name: "ws-98", ip: [] } });
    const login = await enriched({ source: "okta", time: "2026-04-15T03:00:00.000Z", subtype: "auth_failed_login", user: { name: "ghost" } });
    await enriched({ source: "edr", time: "2026-04-15T04:00:00.000Z", host: { name: "ws-01", ip: [] } });
    await enriched({ source: "edr", time: "2026-04-15T05:00:00.000Z", host: { name: "ws-97", ip: [] } });

    const overview = await enrichmentOverview(db, { since: "2026-04-15", until: "2026-04-16", top: 2 });
    expect(overview).toMatchObject({ alerts: 5, enriched: 5, with_gaps: 5 });
    expect(overview.top_missing).toEqual([
      { path: "asset.edr_present", count: 4 },
      { path: "asset.network_segment", count: 4 },
    ]);
    // Different gaps first: the unknown host (asset) and the unknown user (asset + identity); no other source
    // is left, so the earliest remaining alert fills the third place; shown in time order.
    expect(overview.examples.map((e) => e.alert_id)).toEqual([first.id, second.id, login.id]);
    expect(overview.examples[2]!.missing_fields).toContain("identity.privilege_level");
    expect(overview.examples[0]).toMatchObject({ source: "edr", completeness: "insufficient", missing_fields: expect.arrayContaining(["asset.criticality"]) });
  });

  it("rejects a bad range with a field-level error", async () => {
    await expect(gapCounts(db, { since: "yesterday" })).rejects.toMatchObject({ issues: [{ path: "since" }] });
    await expect(gapCounts(db, { since: "2026-04-16", until: "2026-04-15" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("lists a case's missing fields as the union over its alerts, with how many lack each", async () => {
    await enriched({ host: { name: "ws-01", ip: [] } }, "case-1");
    await enriched({ host: { name: "ws-99", ip: [] }, user: { name: "ghost" } }, "case-1");
    const { missing_fields, missing_counts } = await caseMissingFields(db, "case-1");
    expect(missing_fields).toContain("identity.privilege_level");
    expect(missing_fields).toEqual([...missing_fields].sort());
    expect(missing_counts["asset.patch_level"]).toBe(2);
    expect(missing_counts["asset.criticality"]).toBe(1);
    expect(await caseMissingFields(db, "no-such-case")).toEqual({ missing_fields: [], missing_counts: {} });
  });
});
