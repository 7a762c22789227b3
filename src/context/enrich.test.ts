import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, type Alert } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { enrichAlert, loadContext } from "./index.js";
import { buildAlert, insertAlert } from "./testing.js";

const T = "2026-03-11T12:00:00.000Z";
const SHA = "a".repeat(64);

const context = {
  assets: [
    {
      hostname: "WS-01",
      ips: ["10.0.0.11"],
      criticality: "medium",
      environment: "production",
      owner: "it",
      network_segment: "corp",
      patch_level: "2026-02",
      edr_present: true,
      telemetry: ["dns_logs", "netflow"],
    },
    { hostname: "db-01", ips: ["10.0.0.21"], criticality: "critical", environment: "production", crown_jewel_adjacent: true },
    { hostname: "dns-01", ips: ["10.0.0.53"], criticality: "high", environment: "production" },
  ],
  identities: [
    { username: "jdoe", user_type: "human", privilege_level: "standard", mfa_enabled: true, risk_score: 20, email: "jdoe@corp.example" },
    { username: "svc-backup", user_type: "service_account", privilege_level: "elevated" },
  ],
  indicators: [
    { type: "domain", value: "evil.example", source_count: 42, source_total: 60, feed: "abuse", category: "c2", last_seen: "2026-03-01" },
    { type: "ip", value: "203.0.113.7", source_count: 12, source_total: 60, feed: "otx", first_seen: "2026-01-10T12:00:00Z" },
    { type: "file_hash", value: SHA, verdict: "suspicious", source_count: 2, source_total: 60, associated_malware: "Qakbot" },
    { type: "domain", value: "old.example", source_count: 30, source_total: 60, expires_at: "2026-02-01" },
    { type: "domain", value: "cdn.benign.example", verdict: "benign", source_count: 5, source_total: 60 },
  ],
  suppressions: [
    { id: "S-young", author: "alice", reason: "nightly backup", scope: { rule_id: "r-backup", host: "DB-01", process_name: "backup.exe" }, created_at: "2026-01-10T12:00:00Z" },
    { id: "S-old", author: "bob", reason: "backup (old)", scope: { rule_id: "r-backup", host: "db-01" }, created_at: "2025-06-01T00:00:00Z" },
    { id: "S-cmd", author: "carol", reason: "admin script", scope: { rule_id: "r-ps", command_line_contains: "Invoke-Inventory" }, created_at: "2025-10-01T00:00:00Z", expires_at: "2026-02-01T00:00:00Z" },
    { id: "S-future", author: "dave", reason: "later", scope: { rule_id: "r-later" }, created_at: "2026-04-01T00:00:00Z" },
  ],
};

const options = { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-11T12:05:00Z") };

describe(`enrichment (${testStoreKind()})`, () => {
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

  const enrich = (alert: Alert) => enrichAlert(db, alert, options);

  it("joins the asset by hostname in any case and records event, network, telemetry and provenance", async () => {
    const alert = buildAlert({
      title: "DNS lookup",
      subtype: "dns_malicious_lookup",
      rule: { id: "r-dns", title: "Malicious DNS", level: "high", author: "nightshift" },
      attack: { tactics: [], techniques: ["T1071.004"] },
      host: { name: "ws-01", ip: [] },
      user: { name: "CORP\\JDoe" },
      src: { ip: "10.0.0.11" },
      dst: { ip: "10.0.0.53", domain: "cdn.benign.example", port: 53 },
      network: { protocol: "DNS", query_type: "A", response_code: "NOERROR" },
      confidence: 70,
    });
    const e = await enrich(alert);
    expect(e.asset?.hostname).toBe("WS-01");
    expect(e.identity?.username).toBe("jdoe");
    expect(e.event).toEqual({
      id: alert.id,
      source: "test",
      rule: { id: "r-dns", title: "Malicious DNS", level: "high", author: "nightshift" },
      severity: "medium",
      priority: null,
      confidence: 70,
      techniques: ["T1071.004"],
      subtype: "dns_malicious_lookup",
      time: T,
    });
    expect(e.network).toEqual({
      src_ip: "10.0.0.11",
      src_hostname: null,
      dst_ip: "10.0.0.53",
      dst_hostname: null,
      dst_domain: "cdn.benign.example",
      dst_port: 53,
      protocol: "DNS",
      query_type: "A",
      response_code: "NOERROR",
    });
    expect(e.threat_intel.verdict).toBe("benign");
    expect(e.meta.telemetry).toEqual(["dns_logs", "netflow", "edr"]);
    expect(e.meta.missing_fields).toEqual([]);
    expect(e.meta.context_completeness).toBe("complete");
    expect(e.meta.enriched_at).toBe("2026-03-11T12:05:00.000Z");
    expect(e.meta.provenance).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ axis: "asset", source: "cmdb", as_of: "2026-03-01T00:00:00.000Z", age_hours: 252, stale: false }),
        expect.objectContaining({ axis: "identity", source: "identity", as_of: "2026-03-01T00:00:00.000Z" }),
        expect.objectContaining({ axis: "threat_intel", source: "intel:local", as_of: "2026-03-01T00:00:00.000Z" }),
        expect.objectContaining({ axis: "event", source: "alert", as_of: T, age_hours: 0 }),
      ]),
    );
    expect(e.email_context).toBeNull();
  });

  it("joins the asset by host ip, else by the source ip of outbound traffic", async () => {
    const byHostIp = await enrich(buildAlert({ host: { ip: ["10.0.0.21"] } }));
    expect(byHostIp.asset?.hostname).toBe("db-01");
    const bySrc = await enrich(buildAlert({ src: { ip: "10.0.0.11", port: 51000 }, dst: { ip: "198.51.100.9", port: 443 } }));
    expect(bySrc.asset?.hostname).toBe("WS-01");
    const external = await enrich(buildAlert({ src: { ip: "198.51.100.10" }, dst: { ip: "198.51.100.9" } }));
    expect(external.asset).toBeNull();
  });

  it("matches every form of a user name to one identity", async () => {
    for (const name of ["CORP\\jdoe", "jdoe@corp.example", "JDOE"]) {
      const e = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, user: { name } }));
      expect(e.identity?.username, name).toBe("jdoe");
    }
    expect((await enrich(buildAlert({ user: { name: "CORP\\nobody" } }))).identity).toBeNull();
  });

  it("lists exact missing field paths for an unknown host and user, and judges completeness", async () => {
    const unknownHost = await enrich(buildAlert({ host: { name: "ghost-7", ip: [] }, src: { ip: "10.9.9.9" }, dst: { ip: "198.51.100.9" } }));
    expect(unknownHost.asset).toBeNull();
    expect(unknownHost.meta.missing_fields).toEqual([
      "asset.criticality",
      "asset.environment",
      "asset.owner",
      "asset.crown_jewel_adjacent",
      "asset.network_segment",
      "asset.patch_level",
      "asset.edr_present",
    ]);
    expect(unknownHost.meta.context_completeness).toBe("insufficient");

    const unknownHostKnownUser = await enrich(buildAlert({ host: { name: "ghost-7", ip: [] }, user: { name: "jdoe" } }));
    expect(unknownHostKnownUser.meta.context_completeness).toBe("partial");

    const knownHostUnknownUser = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, user: { name: "mallory" } }));
    expect(knownHostUnknownUser.meta.missing_fields).toEqual([
      "identity.user_type",
      "identity.privilege_level",
      "identity.mfa_enabled",
      "identity.recent_anomaly",
      "identity.risk_score",
    ]);
    expect(knownHostUnknownUser.meta.context_completeness).toBe("partial");

    const sparseAsset = await enrich(buildAlert({ host: { name: "db-01", ip: [] } }));
    expect(sparseAsset.meta.missing_fields).toEqual(["asset.owner", "asset.network_segment", "asset.patch_level", "asset.edr_present", "asset.telemetry"]);

    const authWithoutUser = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, subtype: "ssh_bruteforce" }));
    expect(authWithoutUser.meta.missing_fields).toEqual(["identity"]);

    const dnsWithoutAnswer = await enrich(
      buildAlert({ host: { name: "ws-01", ip: [] }, subtype: "dns_tunneling", dst: { domain: "x.example" }, network: { protocol: "dns" } }),
    );
    expect(dnsWithoutAnswer.meta.missing_fields).toEqual(["network.query_type", "network.response_code"]);

    // A built-in OS principal has no directory record: not a gap, so completeness stays complete.
    const asSystem = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, user: { name: "SYSTEM", domain: "NT AUTHORITY" } }));
    expect(asSystem.identity).toBeNull();
    expect(asSystem.meta.missing_fields).toEqual([]);
    expect(asSystem.meta.context_completeness).toBe("complete");
    expect(asSystem.meta.builtin_principal).toBe("NT AUTHORITY\\SYSTEM");
    expect(asSystem.meta.provenance).toContainEqual({ axis: "identity", source: "builtin_principal", as_of: null, age_hours: null, stale: false });
    const namesake = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, user: { name: "CORP\\system" } }));
    expect(namesake.meta.builtin_principal).toBeNull();
    expect(namesake.meta.missing_fields).toContain("identity.user_type");

    const eventOnly = await enrich(buildAlert({ title: "Something happened" }));
    expect(eventOnly.meta.missing_fields).toEqual(["asset"]);
    expect(eventOnly.meta.context_completeness).toBe("insufficient");
  });

  it("matches intel on domain, parent domain, ip and hash, with the indicator's age", async () => {
    const e = await enrich(
      buildAlert({
        host: { name: "ws-01", ip: [] },
        src: { ip: "10.0.0.11" },
        dst: { ip: "203.0.113.7", domain: "a.b.Evil.example." },
        process: { sha256: SHA.toUpperCase() },
      }),
    );
    expect(e.threat_intel.verdict).toBe("malicious");
    expect(e.threat_intel.matches).toEqual([
      // Each match carries its own verdict and the alert value it matched: the subdomain for a parent domain.
      { indicator: "evil.example", type: "domain", verdict: "malicious", matched_value: "a.b.evil.example", source_count: 42, source_total: 60, category: "c2", associated_malware: null, ioc_age_days: 10.5, feed: "abuse", match: "parent_domain" },
      { indicator: "203.0.113.7", type: "ip", verdict: "malicious", matched_value: "203.0.113.7", source_count: 12, source_total: 60, category: null, associated_malware: null, ioc_age_days: 60, feed: "otx", match: "exact" },
      { indicator: SHA, type: "file_hash", verdict: "suspicious", matched_value: SHA, source_count: 2, source_total: 60, category: null, associated_malware: "Qakbot", ioc_age_days: null, feed: "local", match: "exact" },
    ]);
    expect(e.meta.provenance.filter((p) => p.axis === "threat_intel").map((p) => p.source)).toEqual(["intel:abuse", "intel:local", "intel:otx"]);

    const hashOnly = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, observables: [{ type: "file_hash", value: SHA }] }));
    expect(hashOnly.threat_intel.verdict).toBe("suspicious");

    const viaLink = await enrich(buildAlert({ email: { links: ["https://login.evil.example/x"] } }));
    expect(viaLink.threat_intel.matches.map((m) => [m.indicator, m.matched_value])).toEqual([["evil.example", "login.evil.example"]]);

    // The domain named itself is credited as the match, not a subdomain of it seen elsewhere on the alert.
    const both = await enrich(buildAlert({ dst: { domain: "www.evil.example" }, observables: [{ type: "domain", value: "evil.example", role: "dst" }] }));
    expect(both.threat_intel.matches.map((m) => m.matched_value)).toEqual(["evil.example"]);

    const mixed = await enrich(buildAlert({ dst: { domain: "cdn.benign.example" }, process: { sha256: SHA } }));
    expect(mixed.threat_intel.verdict).toBe("suspicious");
    expect(mixed.threat_intel.matches.map((m) => [m.indicator, m.verdict])).toEqual([
      [SHA, "suspicious"],
      ["cdn.benign.example", "benign"],
    ]);
  });

  it("ignores an indicator that had expired by the alert's time, but not before", async () => {
    const after = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, dst: { domain: "old.example" } }));
    expect(after.threat_intel).toEqual({ verdict: "unknown", matches: [] });
    const before = await enrich(buildAlert({ time: "2026-01-15T00:00:00.000Z", host: { name: "ws-01", ip: [] }, dst: { domain: "old.example" } }));
    expect(before.threat_intel.verdict).toBe("malicious");
  });

  it("counts only earlier alerts within the window and lists what each related alert shares", async () => {
    const rule = { id: "r-c2", title: "C2 beacon" };
    const at = (time: string, overrides: Partial<Alert>) =>
      insertAlert(db, buildAlert({ time, rule, host: { name: "ws-01", ip: [] }, ...overrides }));
    const sameAll = await at("2026-03-11T10:00:00.000Z", { title: "earlier", src: { ip: "203.0.113.7" }, dst: { domain: "evil.example" } });
    const sameUser = await at("2026-03-11T09:00:00.000Z", { host: { name: "ws-02", ip: [] }, user: { name: "jdoe@corp.example" }, rule: null });
    await at("2026-03-10T11:59:00.000Z", { title: "outside the window", src: { ip: "203.0.113.7" } });
    await at("2026-03-11T12:30:00.000Z", { title: "after this alert", src: { ip: "203.0.113.7" } });
    await at("2026-03-11T11:00:00.000Z", { host: { name: "other", ip: [] }, title: "unrelated but same rule" });
    const sameSecondLater = await at("2026-03-11T12:00:00.000Z", { host: { name: "zz", ip: [] }, rule: null, dst: { domain: "EVIL.example" } });

    const alert = await insertAlert(
      db,
      buildAlert({ time: T, rule, host: { name: "WS-01", ip: [] }, user: { name: "jdoe" }, src: { ip: "203.0.113.7" }, dst: { domain: "evil.example" } }),
    );
    const e = await enrich(alert);
    expect(e.history).toMatchObject({
      same_indicator_count: 2,
      same_src_count: 1,
      same_rule_count: 2,
      window_hours: 24,
    });
    expect(e.history.related_alerts).toEqual([
      { alert_id: sameSecondLater.id, time: T, title: "Test alert", subtype: null, rule_id: null, host: "zz", shared: ["domain:evil.example"] },
      {
        alert_id: sameAll.id,
        time: "2026-03-11T10:00:00.000Z",
        title: "earlier",
        subtype: null,
        rule_id: "r-c2",
        host: "WS-01",
        shared: ["host:WS-01", "src.ip:203.0.113.7", "domain:evil.example"],
      },
      { alert_id: sameUser.id, time: "2026-03-11T09:00:00.000Z", title: "Test alert", subtype: null, rule_id: null, host: "ws-02", shared: ["user:jdoe"] },
    ]);
  });

  it("lists every asset an indicator was seen on, relating subdomains of a known-bad domain", async () => {
    await insertAlert(db, buildAlert({ time: "2026-03-11T11:00:00.000Z", src: { ip: "10.0.0.21" }, dst: { domain: "x.evil.example", ip: "10.0.0.53" } }));
    await insertAlert(db, buildAlert({ time: "2026-03-11T11:30:00.000Z", host: { name: "ws-09", ip: [] }, dst: { domain: "unrelated.example", ip: "10.0.0.53" } }));
    const alert = buildAlert({ host: { name: "ws-01", ip: [] }, dst: { domain: "evil.example", ip: "10.0.0.53" } });
    const e = await enrich(alert);
    expect(e.history.same_indicator_count).toBe(1);
    expect(e.history.same_indicator_assets).toEqual(["db-01", "WS-01"]);
    expect(e.history.related_alerts.map((r) => r.shared)).toEqual([["domain:evil.example"]]);

    const alone = await enrich(buildAlert({ host: { name: "ws-01", ip: [] }, dst: { domain: "quiet.example" } }));
    expect(alone.history.same_indicator_assets).toEqual(["WS-01"]);
    expect(alone.history.same_indicator_count).toBe(0);
  });

  it("reports the last disposition of a closed case about the same rule and host", async () => {
    const rule = { id: "r-ps", title: "PowerShell" };
    const closedCase = {
      day: "20260310",
      title: "c",
      status: "closed",
      verdict_rationale: null,
      crew_verdict: null,
      priority: null,
      severity: "low",
      confidence: null,
      assignee_kind: null,
      assignee_name: null,
      tags: "[]",
      attack: "{}",
      rule_id: "r-ps",
      group_key: "g",
      suppression_id: null,
      needs_human_verification: 0,
      created_at: "2026-03-01T00:00:00.000Z",
      updated_at: "2026-03-10T00:00:00.000Z",
      last_alert_at: "2026-03-01T00:00:00.000Z",
      acknowledged_at: null,
      escalated_at: null,
      resolved_at: null,
    };
    await db
      .insertInto("cases")
      .values([
        { ...closedCase, id: "TORA-20260301-0001", number: 1, verdict: "true_positive", closed_at: "2026-03-02T00:00:00.000Z" },
        { ...closedCase, id: "TORA-20260301-0002", number: 2, verdict: "false_positive", closed_at: "2026-03-09T00:00:00.000Z" },
        { ...closedCase, id: "TORA-20260301-0003", number: 3, verdict: "duplicate", closed_at: "2026-03-20T00:00:00.000Z" },
      ])
      .execute();
    for (const [n, caseId] of [[1, "TORA-20260301-0001"], [2, "TORA-20260301-0002"], [3, "TORA-20260301-0003"]] as const)
      await insertAlert(db, buildAlert({ time: `2026-03-0${n}T00:00:00.000Z`, rule, host: { name: "WS-01", ip: [] } }), { caseId, stage: "grouped" });

    const e = await enrich(buildAlert({ rule, host: { name: "ws-01", ip: [] } }));
    expect(e.history.last_disposition).toBe("false_positive");
    const otherHost = await enrich(buildAlert({ rule, host: { name: "db-01", ip: [] } }));
    expect(otherHost.history.last_disposition).toBeNull();
  });

  it("matches the youngest suppression whose whole scope fits, with its age", async () => {
    const backup = (overrides: Partial<Alert>) =>
      buildAlert({ rule: { id: "r-backup", title: "Backup" }, host: { name: "db-01", ip: [] }, ...overrides });
    const young = await enrich(backup({ process: { name: "C:\\Tools\\BACKUP.EXE" } }));
    expect(young.history.suppression_match).toEqual({
      id: "S-young",
      reason: "nightly backup",
      author: "alice",
      age_days: 60,
      in_force: true,
      expires_at: null,
    });
    expect(young.history.suppression_age_days).toBe(60);

    // Only the older, broader one covers another process: past the maximum age, still reported.
    const old = await enrich(backup({ process: { name: "tar" } }));
    expect(old.history.suppression_match).toMatchObject({ id: "S-old", age_days: 283.5, in_force: false, expires_at: null });

    const expired = await enrich(
      buildAlert({ rule: { id: "r-ps", title: "PS" }, host: { name: "ws-01", ip: [] }, process: { command_line: "powershell invoke-inventory -all" } }),
    );
    expect(expired.history.suppression_match).toMatchObject({ id: "S-cmd", in_force: false, expires_at: "2026-02-01T00:00:00.000Z" });
    const beforeExpiry = await enrich(
      buildAlert({
        time: "2025-12-01T00:00:00.000Z",
        rule: { id: "r-ps", title: "PS" },
        host: { name: "ws-01", ip: [] },
        process: { command_line: "powershell invoke-inventory -all" },
      }),
    );
    expect(beforeExpiry.history.suppression_match).toMatchObject({ id: "S-cmd", in_force: true, expires_at: "2026-02-01T00:00:00.000Z" });
    const wrongCommand = await enrich(buildAlert({ rule: { id: "r-ps", title: "PS" }, process: { command_line: "powershell -enc AAAA" } }));
    expect(wrongCommand.history.suppression_match).toBeNull();
    expect(wrongCommand.history.suppression_age_days).toBeNull();

    const future = await enrich(buildAlert({ rule: { id: "r-later", title: "Later" } }));
    expect(future.history.suppression_match).toBeNull();
  });

  it("carries the e-mail context of a phishing alert and names the identity of its one recipient", async () => {
    const e = await enrich(
      buildAlert({
        subtype: "phishing_email_credential_harvest",
        email: {
          sender: "it-support@evil.example",
          recipients: ["jdoe@corp.example"],
          gateway_verdict: "delivered",
          links: ["https://evil.example/login"],
          page_loaded: true,
        },
      }),
    );
    expect(e.identity?.username).toBe("jdoe");
    expect(e.email_context).toEqual({
      sender: "it-support@evil.example",
      recipients: ["jdoe@corp.example"],
      recipient_count: 1,
      gateway_verdict: "delivered",
      links: ["https://evil.example/login"],
      page_loaded: true,
    });
    expect(e.meta.missing_fields).toEqual(["email_context.credentials_submitted"]);
    expect(e.meta.context_completeness).toBe("partial");
    expect(e.threat_intel.verdict).toBe("malicious");
  });
});
