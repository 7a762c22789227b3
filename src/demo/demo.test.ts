import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AlertRule,
  Asset,
  AttackTagsObject,
  EmailDetail,
  Endpoint,
  HostRef,
  Identity,
  Indicator,
  NetworkDetail,
  Observable,
  ProcessDetail,
  Severity,
  severityRank,
  shiftSeverity,
  Suppression,
  UserRef,
} from "../core/index.js";
import { demoPaths, demoShift, GroundTruth, loadDemoAlerts, loadDemoOrg, loadGroundTruth } from "./index.js";

// The demo's own shape: the generic alert contract, with every optional block typed and no stray keys.
const DemoAlert = z.strictObject({
  title: z.string().min(1),
  source: z.string().min(1),
  source_id: z.string().min(1),
  time: z.iso.datetime(),
  severity: Severity,
  confidence: z.number().min(0).max(100).optional(),
  description: z.string().optional(),
  subtype: z.string().min(1),
  rule: AlertRule,
  attack: AttackTagsObject.extend({ techniques: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/)).min(1) }),
  host: HostRef.optional(),
  user: UserRef.optional(),
  src: Endpoint.optional(),
  dst: Endpoint.optional(),
  network: NetworkDetail.optional(),
  process: ProcessDetail.optional(),
  email: EmailDetail.optional(),
  url: z.string().optional(),
  observables: z.array(Observable).min(1),
  raw: z.record(z.string(), z.unknown()),
});
type DemoAlert = z.infer<typeof DemoAlert>;

const Org = z.strictObject({
  assets: z.array(Asset.strict()),
  identities: z.array(Identity.strict()),
  indicators: z.array(Indicator.strict()),
  suppressions: z.array(Suppression.strict()),
});
type Org = z.infer<typeof Org>;

const org = Org.parse(loadDemoOrg());
const alerts: DemoAlert[] = loadDemoAlerts().map((raw, i) => {
  const parsed = DemoAlert.safeParse(raw);
  if (!parsed.success) throw new Error(`alert line ${i + 1}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
});
const truth = loadGroundTruth();

const DAY = 86_400_000;
const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;
const INTERNAL_SUFFIXES = [".corp.northwind.test", "northwind-logistics.example"];
const UNREMARKABLE_QUERY_TYPES = new Set(["A", "AAAA", "CNAME", "PTR"]);

function hostnameOf(alert: DemoAlert): string | undefined {
  return alert.host?.name ?? alert.src?.hostname;
}
function assetOf(alert: DemoAlert): Asset | undefined {
  const name = hostnameOf(alert);
  if (name) return org.assets.find((asset) => asset.hostname === name);
  const ips = [...(alert.host?.ip ?? []), ...(alert.src?.ip ? [alert.src.ip] : [])];
  return org.assets.find((asset) => asset.ips.some((ip) => ips.includes(ip)));
}
function identityOf(alert: DemoAlert): Identity | undefined {
  return alert.user ? org.identities.find((identity) => identity.username === alert.user!.name) : undefined;
}
function intelOf(alert: DemoAlert): Indicator[] {
  const values = new Set(
    [...alert.observables.map((o) => o.value), alert.dst?.domain, alert.dst?.ip, alert.dst?.url, alert.src?.ip, alert.url]
      .filter((v): v is string => typeof v === "string")
      .map((v) => v.toLowerCase()),
  );
  return org.indicators.filter((indicator) => values.has(indicator.value.toLowerCase()));
}
function scopeMatches(scope: Suppression["scope"], alert: DemoAlert): boolean {
  const checks: [string | undefined, () => boolean][] = [
    [scope.rule_id, () => alert.rule.id === scope.rule_id],
    [scope.host, () => hostnameOf(alert) === scope.host],
    [scope.user, () => alert.user?.name === scope.user],
    [scope.process_name, () => alert.process?.name === scope.process_name],
    [scope.command_line_contains, () => (alert.process?.command_line ?? "").includes(scope.command_line_contains!)],
    [scope.signer, () => alert.process?.signer === scope.signer],
    [scope.domain, () => alert.dst?.domain === scope.domain],
  ];
  const given = checks.filter(([value]) => value !== undefined);
  return given.length > 0 && given.every(([, check]) => check());
}
function suppressionsOf(alert: DemoAlert) {
  return org.suppressions
    .filter((s) => scopeMatches(s.scope, alert))
    .map((s) => ({
      id: s.id,
      ageDays: daysBetween(s.created_at, alert.time),
      valid: daysBetween(s.created_at, alert.time) <= 90 && (!s.expires_at || Date.parse(s.expires_at) > Date.parse(alert.time)),
    }));
}

/** As enrichment judges it: the record's flag, or an anomaly within the 30 days before the alert (never after). */
function recentAnomaly(identity: Identity, time: string): boolean {
  const at = Date.parse(time);
  return identity.recent_anomaly || (identity.anomalies ?? []).some((a) => Date.parse(a.time) <= at && at - Date.parse(a.time) <= 30 * DAY);
}

/** crew.md TORA step 1 (one step up when any aggravating factor holds) and the forced rules of step 4. */
function toraView(alert: DemoAlert, earlier: DemoAlert[]) {
  const asset = assetOf(alert);
  const identity = identityOf(alert);
  const intel = intelOf(alert);
  const earlierIntel = earlier.flatMap((a) => intelOf(a).map((i) => ({ value: i.value, host: hostnameOf(a) })));
  const repeated = intel.some((i) => earlierIntel.some((e) => e.value === i.value));
  const aggravating = [
    asset && (asset.criticality === "critical" || asset.criticality === "high"),
    asset?.crown_jewel_adjacent,
    asset?.environment === "production",
    identity && (identity.privilege_level !== "standard" || identity.user_type === "service_account"),
    identity && recentAnomaly(identity, alert.time),
    (identity?.risk_score ?? 0) >= 70,
    repeated,
    alert.network?.query_type !== undefined && !UNREMARKABLE_QUERY_TYPES.has(alert.network.query_type),
    ["doh", "dot"].includes((alert.network?.protocol ?? "").toLowerCase()),
  ].some(Boolean);
  const severity = aggravating ? shiftSeverity(alert.severity, 1) : alert.severity;
  const hostsPerIndicator = intel.map(
    (i) => new Set([hostnameOf(alert), ...earlierIntel.filter((e) => e.value === i.value).map((e) => e.host)].filter(Boolean)).size,
  );
  const external = alert.dst?.domain !== undefined && !INTERNAL_SUFFIXES.some((suffix) => alert.dst!.domain!.endsWith(suffix));
  const forced = [
    severityRank(severity) >= severityRank("high") && "severity_high",
    asset && (asset.criticality === "critical" || asset.criticality === "high") && "asset_critical_or_high",
    asset?.crown_jewel_adjacent && "crown_jewel_adjacent",
    hostsPerIndicator.some((n) => n > 1) && "same_indicator_multiple_assets",
    asset?.environment === "production" && severityRank(severity) >= severityRank("medium") && "production_medium_or_above",
    identity && identity.privilege_level !== "standard" && "elevated_privilege_user",
    identity?.user_type === "service_account" && external && "service_account_external_query",
    alert.subtype === "ssh_login_success" &&
      earlier.some((a) => a.subtype === "ssh_bruteforce" && a.src?.ip === alert.src?.ip) &&
      "bruteforce_then_success",
    alert.email?.credentials_submitted === true && "phishing_credentials_submitted",
  ].filter((rule): rule is string => typeof rule === "string");
  return { asset, identity, intel, severity, forced, suppressions: suppressionsOf(alert) };
}

const sorted = [...alerts].sort((a, b) => a.time.localeCompare(b.time));
const views = new Map(sorted.map((alert, i) => [alert.source_id, { alert, ...toraView(alert, sorted.slice(0, i)) }]));
const view = (sourceId: string) => views.get(sourceId)!;
const bySubtype = (subtype: string) => alerts.filter((a) => a.subtype === subtype);
const byScenario = (scenario: string) => alerts.filter((a) => truth[a.source_id]?.scenario === scenario);

describe("demo organisation", () => {
  it("resolves its paths beside the module", () => {
    for (const path of Object.values(demoPaths)) expect(path).toMatch(/[\\/]demo[\\/][\w.-]+\.(json|ndjson)$/);
  });

  it("validates every record against the core context schemas", () => {
    expect(org.assets.length).toBeGreaterThanOrEqual(15);
    expect(org.identities.length).toBeGreaterThanOrEqual(10);
    expect(org.indicators.length).toBeGreaterThanOrEqual(10);
    expect(org.suppressions.length).toBeGreaterThanOrEqual(2);
    const unique = (values: string[]) => new Set(values).size === values.length;
    expect(unique(org.assets.map((a) => a.hostname))).toBe(true);
    expect(unique(org.assets.flatMap((a) => a.ips))).toBe(true);
    expect(unique(org.identities.map((i) => i.username))).toBe(true);
    expect(unique(org.suppressions.map((s) => s.id))).toBe(true);
  });

  it("covers the shapes the crew reasons on", () => {
    expect(new Set(org.assets.map((a) => a.criticality))).toEqual(new Set(["critical", "high", "medium", "low"]));
    expect(org.assets.map((a) => a.environment)).toEqual(expect.arrayContaining(["production", "staging", "development"]));
    expect(org.assets.some((a) => a.crown_jewel_adjacent && a.criticality === "critical")).toBe(true);
    expect(new Set(org.identities.map((i) => i.privilege_level))).toEqual(new Set(["standard", "elevated", "admin"]));
    expect(org.identities.filter((i) => i.user_type === "service_account").map((i) => i.username)).toEqual(
      expect.arrayContaining(["svc-backup", "svc-monitoring"]),
    );
    expect(org.identities.some((i) => i.mfa_enabled === false && i.user_type === "human")).toBe(true);
    expect(org.identities.some((i) => i.recent_anomaly)).toBe(true);
    // Anomalies on record: some within the 30 days before the shift, some older (they no longer count).
    const anomalyAges = org.identities.flatMap((i) => (i.anomalies ?? []).map((a) => daysBetween(a.time, demoShift.start)));
    expect(anomalyAges.some((age) => age > 0 && age <= 30)).toBe(true);
    expect(anomalyAges.some((age) => age > 30)).toBe(true);
    expect(org.indicators.some((i) => i.source_count < 3)).toBe(true);
    expect(org.indicators.map((i) => i.type)).toEqual(expect.arrayContaining(["domain", "ip", "file_hash"]));
  });

  it("dates every suppression so one is fresh and one is past the 90-day limit during the shift", () => {
    const ages = org.suppressions.map((s) => daysBetween(s.created_at, demoShift.start));
    expect(ages.some((age) => age >= 20 && age <= 40)).toBe(true);
    expect(ages.some((age) => age >= 110 && age <= 130)).toBe(true);
  });
});

describe("demo shift", () => {
  it("has at least 30 valid alerts inside the shift, with unique source ids", () => {
    expect(alerts.length).toBeGreaterThanOrEqual(30);
    expect(new Set(alerts.map((a) => a.source_id)).size).toBe(alerts.length);
    for (const alert of alerts) {
      expect(Date.parse(alert.time)).toBeGreaterThanOrEqual(Date.parse(demoShift.start));
      expect(Date.parse(alert.time)).toBeLessThan(Date.parse(demoShift.end));
    }
  });

  it("keeps one JSON object per non-empty line", () => {
    const lines = readFileSync(demoPaths.alerts, "utf8").split("\n").filter((line) => line.trim() !== "");
    expect(lines).toHaveLength(alerts.length);
    for (const line of lines) expect(JSON.parse(line)).toBeTypeOf("object");
  });

  it("has ground truth for every alert and no orphan answers", () => {
    expect(Object.keys(truth).sort()).toEqual(alerts.map((a) => a.source_id).sort());
    const raw: unknown = JSON.parse(readFileSync(demoPaths.groundTruth, "utf8"));
    for (const entry of Object.values(raw as Record<string, unknown>)) expect(GroundTruth.strict().safeParse(entry).success).toBe(true);
  });

  it("covers every scenario the crew contract names", () => {
    const subtypes = [
      "dns_malicious_lookup",
      "dns_tunneling",
      "dns_fast_flux",
      "ssh_bruteforce",
      "ssh_login_success",
      "ssh_bruteforce_c2_dns",
      "phishing_email_credential_harvest",
      "phishing_email_malicious_link",
      "phishing_email_malicious_attachment",
      "process_creation",
    ];
    for (const subtype of subtypes) expect(bySubtype(subtype).length, subtype).toBeGreaterThan(0);
    const scenarios = [
      "c2_dns_production",
      "c2_dns_multi_asset",
      "c2_dns_stale_nxdomain",
      "dns_tunneling",
      "dns_fast_flux",
      "ssh_bruteforce",
      "ssh_bruteforce_success",
      "ssh_bruteforce_c2_dns",
      "phishing_credential_harvest",
      "phishing_quarantined_no_click",
      "phishing_malicious_attachment",
      "unregistered_host",
      "benign_signed_agent_script",
      "stale_suppression_not_applied",
      "admin_tooling",
      "authorised_vulnerability_scan",
      "service_account_external_dns",
      "elevated_user_change",
      "crown_jewel_exfiltration",
    ];
    for (const scenario of scenarios) expect(byScenario(scenario).length, scenario).toBeGreaterThan(0);
    expect(new Set(Object.values(truth).map((t) => t.expected_outcome))).toEqual(new Set(["closed", "suppressed", "escalated", "held"]));
  });

  it("shapes each scenario as its name says", () => {
    const tunnel = bySubtype("dns_tunneling");
    expect(tunnel.length).toBeGreaterThanOrEqual(4);
    expect(new Set(tunnel.map((a) => a.dst?.domain)).size).toBe(1);
    for (const a of tunnel) {
      expect(a.network?.query_type).toBe("TXT");
      expect((a.dst?.hostname ?? "").split(".").length).toBeGreaterThanOrEqual(5);
      expect((a.dst?.hostname ?? "").length).toBeGreaterThan(80);
    }
    for (const a of bySubtype("dns_fast_flux")) {
      expect(a.network?.answers?.length ?? 0).toBeGreaterThanOrEqual(5);
      expect((a.raw as { TTLs: number[] }).TTLs.every((ttl) => ttl <= 300)).toBe(true);
    }
    const production = view(byScenario("c2_dns_production")[0]!.source_id);
    expect(production.asset?.environment).toBe("production");
    expect(production.alert.network?.response_code).toBe("NOERROR");
    expect(production.intel.some((i) => i.source_count >= 10 && daysBetween(i.last_seen!, production.alert.time) < 7)).toBe(true);
    expect(new Set(byScenario("c2_dns_multi_asset").map(hostnameOf)).size).toBeGreaterThanOrEqual(2);
    const stale = view(byScenario("c2_dns_stale_nxdomain")[0]!.source_id);
    expect(stale.alert.network?.response_code).toBe("NXDOMAIN");
    expect(stale.asset?.criticality).toBe("low");
    expect(stale.intel.every((i) => daysBetween(i.last_seen!, stale.alert.time) > 180)).toBe(true);
    const credential = bySubtype("phishing_email_credential_harvest")[0]!;
    expect(credential.email).toMatchObject({ credentials_submitted: true, page_loaded: true, spf: "fail", dmarc: "fail" });
    expect(credential.email?.links?.length).toBeGreaterThan(0);
    const quarantined = byScenario("phishing_quarantined_no_click")[0]!;
    expect(quarantined.email).toMatchObject({ gateway_action: "quarantined", page_loaded: false, credentials_submitted: false });
    const success = bySubtype("ssh_login_success")[0]!;
    const c2AfterSsh = bySubtype("ssh_bruteforce_c2_dns")[0]!;
    const bruteforce = bySubtype("ssh_bruteforce");
    expect(bruteforce.every((a) => a.src?.ip === success.src?.ip && a.time < success.time)).toBe(true);
    expect(hostnameOf(c2AfterSsh)).toBe(hostnameOf(success));
    expect(c2AfterSsh.time > success.time).toBe(true);
    expect(org.indicators.some((i) => i.type === "ip" && i.value === success.src?.ip && i.category === "brute_force")).toBe(true);
    const serviceAccount = view(byScenario("service_account_external_dns")[0]!.source_id);
    expect(serviceAccount.identity?.user_type).toBe("service_account");
    expect(view(byScenario("elevated_user_change")[0]!.source_id).identity?.privilege_level).toBe("elevated");
    expect(view(byScenario("crown_jewel_exfiltration")[0]!.source_id).asset?.crown_jewel_adjacent).toBe(true);
  });

  it("names no registered host for the unregistered-host alerts, and only registered hosts elsewhere", () => {
    const unregistered = byScenario("unregistered_host");
    expect(unregistered.length).toBeGreaterThan(0);
    const knownIps = new Set(org.assets.flatMap((a) => a.ips));
    for (const alert of unregistered) {
      const name = hostnameOf(alert)!;
      expect(name).toBeTruthy();
      expect(org.assets.some((a) => a.hostname.toLowerCase() === name.toLowerCase())).toBe(false);
      for (const ip of [...(alert.host?.ip ?? []), alert.src?.ip].filter(Boolean)) expect(knownIps.has(ip!)).toBe(false);
      expect(identityOf(alert)).toBeUndefined();
    }
    for (const alert of alerts.filter((a) => !unregistered.includes(a))) {
      const name = hostnameOf(alert);
      if (name) expect(org.assets.map((a) => a.hostname), alert.source_id).toContain(name);
    }
  });

  it("uses only documentation and private addresses", () => {
    const allowed = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^192\.0\.2\./, /^198\.51\.100\./, /^203\.0\.113\./];
    const ipKeys = new Set(["ip", "ips", "src_ip", "dest_ip", "id.orig_h", "id.resp_h", "sending_ip", "client_ip", "answers"]);
    const found: string[] = [];
    const walk = (value: unknown, key = ""): void => {
      if (Array.isArray(value)) value.forEach((v) => walk(v, key));
      else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
      else if (typeof value === "string" && ipKeys.has(key) && /^\d+\.\d+\.\d+\.\d+$/.test(value)) found.push(value);
    };
    walk(alerts);
    walk(org);
    walk(alerts.flatMap((a) => a.observables.filter((o) => o.type === "ip").map((o) => ({ ip: o.value }))));
    walk(org.indicators.filter((i) => i.type === "ip").map((i) => ({ ip: i.value })));
    expect(found.length).toBeGreaterThan(50);
    for (const ip of found) expect(allowed.some((range) => range.test(ip)), ip).toBe(true);
  });

  it("uses no real-looking corporate domain", () => {
    const allowedTlds = new Set(["example", "test", "invalid", "top", "xyz", "click"]);
    const domainKeys = new Set(["domain", "hostname", "query", "sni", "Computer", "url", "links"]);
    const domains = new Set<string>();
    const addHost = (host: string) => {
      if (host.includes(".") && !/^\d+\.\d+\.\d+\.\d+$/.test(host)) domains.add(host.toLowerCase());
    };
    const walk = (value: unknown, key = ""): void => {
      if (Array.isArray(value)) value.forEach((v) => walk(v, key));
      else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
      else if (typeof value === "string") {
        for (const match of value.matchAll(/[\w.+-]+@((?:[\w-]+\.)+[\w-]+)/g)) addHost(match[1]!);
        for (const match of value.matchAll(/\bhttps?:\/\/[^\s"'<>)]+/g)) addHost(new URL(match[0]).hostname);
        if (domainKeys.has(key) && !value.includes("/") && !value.includes(" ")) addHost(value);
      }
    };
    walk(alerts);
    walk(org);
    walk(org.indicators.filter((i) => i.type === "domain").map((i) => ({ domain: i.value })));
    walk(alerts.flatMap((a) => a.observables.filter((o) => o.type === "domain").map((o) => ({ domain: o.value }))));
    expect(domains.size).toBeGreaterThan(10);
    for (const domain of domains) expect(allowedTlds.has(domain.split(".").at(-1)!), domain).toBe(true);
    const commonTld = /(?<![\w-])(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|gov|edu|info|biz|us|uk|de|fr|ru|cn|app|dev|ai|cloud)(?![\w.-])/i;
    for (const path of Object.values(demoPaths)) expect(readFileSync(path, "utf8").match(commonTld)?.[0], path).toBeUndefined();
  });
});

describe("demo answer key against crew.md's TORA rules", () => {
  it("escalates every alert that a forced rule covers", () => {
    const forced = [...views.values()].filter((v) => v.forced.length > 0);
    expect(forced.length).toBeGreaterThan(15);
    for (const v of forced) expect(truth[v.alert.source_id]!.expected_outcome, `${v.alert.source_id} ${v.forced.join(",")}`).toBe("escalated");
  });

  it("fires each forced rule somewhere in the shift", () => {
    const fired = new Set([...views.values()].flatMap((v) => v.forced));
    expect([...fired].sort()).toEqual(
      [
        "asset_critical_or_high",
        "bruteforce_then_success",
        "crown_jewel_adjacent",
        "elevated_privilege_user",
        "phishing_credentials_submitted",
        "production_medium_or_above",
        "same_indicator_multiple_assets",
        "service_account_external_query",
        "severity_high",
      ].sort(),
    );
  });

  it("closes only single-asset alerts at severity medium or below with no forced rule", () => {
    const closed = [...views.values()].filter((v) => ["closed", "suppressed"].includes(truth[v.alert.source_id]!.expected_outcome));
    expect(closed.length).toBeGreaterThanOrEqual(5);
    for (const v of closed) {
      expect(v.forced, v.alert.source_id).toEqual([]);
      expect(severityRank(v.severity)).toBeLessThanOrEqual(severityRank("medium"));
      expect(truth[v.alert.source_id]!.verdict).not.toBe("undetermined");
    }
  });

  it("closes what a fresh suppression covers and never closes on a suppression older than 90 days", () => {
    const fresh = [...views.values()].filter((v) => v.suppressions.some((s) => s.valid));
    expect(fresh.length).toBeGreaterThanOrEqual(4);
    for (const v of fresh) expect(truth[v.alert.source_id]!.expected_outcome).toBe("suppressed");
    // "suppressed" means closed under a suppression rule: only a valid one can be behind it.
    const suppressed = [...views.values()].filter((v) => truth[v.alert.source_id]!.expected_outcome === "suppressed");
    expect(suppressed.map((v) => v.alert.source_id).sort()).toEqual(fresh.map((v) => v.alert.source_id).sort());
    const staleOnly = [...views.values()].filter((v) => v.suppressions.length > 0 && v.suppressions.every((s) => !s.valid));
    expect(staleOnly.length).toBeGreaterThan(0);
    for (const v of staleOnly) {
      expect(v.suppressions.every((s) => s.ageDays > 90)).toBe(true);
      expect(["closed", "suppressed"]).not.toContain(truth[v.alert.source_id]!.expected_outcome);
    }
    const agentScripts = byScenario("benign_signed_agent_script");
    expect(new Set(agentScripts.map(hostnameOf)).size).toBeGreaterThanOrEqual(3);
  });

  it("holds only alerts without a forced rule, and escalates without one only on a real threat", () => {
    for (const v of views.values()) {
      const answer = truth[v.alert.source_id]!;
      if (answer.expected_outcome === "held") expect(v.forced, v.alert.source_id).toEqual([]);
      if (answer.expected_outcome === "escalated" && v.forced.length === 0) {
        expect(answer.verdict, v.alert.source_id).toBe("true_positive");
        expect(v.intel.some((i) => i.source_count >= 10), v.alert.source_id).toBe(true);
      }
    }
    for (const alert of byScenario("unregistered_host")) expect(truth[alert.source_id]!.expected_outcome).toBe("held");
  });

  it("mixes benign alerts into the forced escalations", () => {
    const benignEscalations = [...views.values()].filter(
      (v) => v.forced.length > 0 && truth[v.alert.source_id]!.verdict === "benign_true_positive",
    );
    expect(benignEscalations.length).toBeGreaterThanOrEqual(2);
  });
});
