import { Alert, Enrichment, type Asset, type Identity } from "../../core/index.js";
import type { ToraInput } from "../tora/schema.js";

/** Builders of alerts and enrichments for the crew's tests (and for demos that need a scripted case). */
export const NOW = "2026-11-24T12:00:00.000Z";
export const ALERT_TIME = "2026-11-24T10:02:00.000Z";

type E = Enrichment;
export interface EnrichmentPatch {
  event?: Partial<E["event"]>;
  network?: Partial<E["network"]>;
  asset?: Partial<Asset> | null;
  identity?: Partial<Identity> | null;
  threat_intel?: Partial<E["threat_intel"]>;
  history?: Partial<E["history"]>;
  email_context?: E["email_context"];
  meta?: Partial<E["meta"]>;
}

let counter = 0;

export function makeAlert(patch: Partial<Alert> = {}): Alert {
  counter++;
  return Alert.parse({
    schema_version: 1,
    id: `alert-${String(counter).padStart(4, "0")}`,
    source: "suricata",
    source_id: null,
    time: ALERT_TIME,
    received_at: ALERT_TIME,
    title: "Suspicious activity",
    severity: "low",
    rule: null,
    attack: { tactics: [], techniques: [] },
    host: { name: "WS-042", ip: ["10.1.2.42"] },
    user: { name: "jdoe" },
    src: { ip: "10.1.2.42" },
    dst: null,
    network: null,
    process: null,
    email: null,
    observables: [],
    raw: null,
    unmapped: {},
    origin: { via: "api" },
    ...patch,
  });
}

export const DEFAULT_ASSET: Asset = {
  hostname: "WS-042",
  ips: ["10.1.2.42"],
  criticality: "medium",
  environment: "corporate",
  crown_jewel_adjacent: false,
  owner: "finance",
  network_segment: "office-lan",
  patch_level: "2026-11",
  edr_present: true,
  telemetry: ["edr", "dns_logs", "netflow"],
  os: "Windows 11",
};

export const DEFAULT_IDENTITY: Identity = {
  username: "jdoe",
  display_name: "Jane Doe",
  user_type: "human",
  privilege_level: "standard",
  mfa_enabled: true,
  recent_anomaly: false,
  risk_score: 20,
  department: "finance",
  email: "jdoe@corp.example",
};

export function makeEnrichment(alert: Alert, patch: EnrichmentPatch = {}): Enrichment {
  return Enrichment.parse({
    schema_version: 1,
    event: {
      id: alert.id,
      source: alert.source,
      rule: alert.rule ? { id: alert.rule.id, title: alert.rule.title, level: alert.rule.level ?? null, author: alert.rule.author ?? null } : null,
      severity: alert.severity,
      confidence: alert.confidence ?? null,
      techniques: alert.attack.techniques,
      subtype: alert.subtype ?? null,
      time: alert.time,
      ...patch.event,
    },
    network: {
      src_ip: "10.1.2.42",
      src_hostname: "WS-042",
      dst_ip: null,
      dst_hostname: null,
      dst_domain: null,
      dst_port: null,
      protocol: null,
      query_type: null,
      response_code: null,
      ...patch.network,
    },
    asset: patch.asset === null ? null : { ...DEFAULT_ASSET, ...patch.asset },
    identity: patch.identity === null ? null : { ...DEFAULT_IDENTITY, ...patch.identity },
    threat_intel: { verdict: "unknown", matches: [], ...patch.threat_intel },
    history: {
      same_indicator_count: 0,
      same_indicator_assets: [],
      same_src_count: 0,
      same_rule_count: 0,
      suppression_match: null,
      suppression_age_days: null,
      last_disposition: null,
      related_alerts: [],
      window_hours: 24,
      ...patch.history,
    },
    email_context: patch.email_context ?? null,
    meta: {
      received_time: alert.received_at,
      enriched_at: alert.received_at,
      context_completeness: "complete",
      missing_fields: [],
      telemetry: ["edr", "dns_logs", "netflow"],
      provenance: [{ axis: "asset", source: "cmdb", as_of: null }],
      ...patch.meta,
    },
  });
}

export function intelMatch(
  indicator: string,
  sourceCount: number,
  options: {
    total?: number;
    age?: number | null;
    malware?: string | null;
    category?: string | null;
    type?: "ip" | "domain" | "url" | "file_hash" | "email";
    verdict?: "malicious" | "suspicious" | "benign";
    matched?: string;
  } = {},
): E["threat_intel"]["matches"][number] {
  return {
    indicator,
    type: options.type ?? "domain",
    verdict: options.verdict ?? "malicious",
    matched_value: options.matched ?? indicator,
    source_count: sourceCount,
    source_total: options.total ?? 60,
    category: options.category === undefined ? "c2" : options.category,
    associated_malware: options.malware === undefined ? "AsyncRAT" : options.malware,
    ioc_age_days: options.age === undefined ? 12 : options.age,
    feed: "local",
  };
}

type SuppressionMatch = NonNullable<E["history"]["suppression_match"]>;

/** A suppression match as the context stage records it; in force unless older than 90 days or expired. */
export function suppressionMatch(
  id: string,
  ageDays: number,
  options: { reason?: string; author?: string; expiresAt?: string | null; inForce?: boolean } = {},
): Pick<E["history"], "suppression_match" | "suppression_age_days"> {
  const expiresAt = options.expiresAt ?? null;
  const match: SuppressionMatch = {
    id,
    reason: options.reason ?? "sanctioned activity",
    author: options.author ?? "alice",
    age_days: ageDays,
    in_force: options.inForce ?? (ageDays <= 90 && (expiresAt === null || Date.parse(expiresAt) >= Date.parse(ALERT_TIME))),
    expires_at: expiresAt,
  };
  return { suppression_match: match, suppression_age_days: ageDays };
}

export function toraInput(caseId: string, ...items: { alert: Alert; enrichment: Enrichment }[]): ToraInput {
  return { caseId, alerts: items, now: NOW };
}

export interface Item {
  alert: Alert;
  enrichment: Enrichment;
}

/** A DNS lookup of a domain; the enrichment patch decides what TORA knows about it. */
export function dnsLookup(
  options: { domain?: string; rcode?: string; qtype?: string; answers?: string[]; subtype?: string; severity?: Alert["severity"]; protocol?: string; port?: number } = {},
  patch: EnrichmentPatch = {},
): Item {
  const domain = options.domain ?? "c2.example";
  const answers = options.answers ?? (options.rcode === "NXDOMAIN" ? [] : ["198.51.100.7"]);
  const alert = makeAlert({
    title: `DNS query for ${domain}`,
    severity: options.severity ?? "medium",
    subtype: options.subtype ?? "dns_malicious_lookup",
    rule: { id: "dns-ti-001", title: "DNS lookup of a threat-intel domain" },
    attack: { tactics: ["command-and-control"], techniques: ["T1071.004"] },
    dst: { domain, ip: answers[0], port: options.port ?? 53 },
    network: { protocol: options.protocol ?? "dns", query_type: options.qtype ?? "A", response_code: options.rcode ?? "NOERROR", answers },
    observables: [
      { type: "domain", value: domain, role: "dst" },
      { type: "host", value: "WS-042", role: "src" },
    ],
  });
  return {
    alert,
    enrichment: makeEnrichment(alert, {
      identity: null,
      ...patch,
      network: {
        dst_domain: domain,
        dst_ip: answers[0] ?? null,
        dst_port: options.port ?? 53,
        protocol: options.protocol ?? "dns",
        query_type: options.qtype ?? "A",
        response_code: options.rcode ?? "NOERROR",
        ...patch.network,
      },
    }),
  };
}

/** The closing baseline: a Microsoft-signed process on a medium workstation, covered by a 30-day-old suppression. */
export function signedVendorProcess(patch: EnrichmentPatch = {}, alertPatch: Partial<Alert> = {}): Item {
  const alert = makeAlert({
    title: "Process creation: OneDriveSetup.exe",
    source: "sysmon",
    severity: "low",
    subtype: "process_creation",
    rule: { id: "proc-updater-001", title: "Updater spawned from user profile" },
    attack: { tactics: ["execution"], techniques: ["T1059"] },
    process: {
      name: "OneDriveSetup.exe",
      command_line: "OneDriveSetup.exe /update /restart",
      parent_name: "OneDrive.exe",
      signed: true,
      signer: "Microsoft Corporation",
      sha256: "a".repeat(64),
    },
    ...alertPatch,
  });
  return {
    alert,
    enrichment: makeEnrichment(alert, {
      ...patch,
      history: {
        ...suppressionMatch("SUP-7", 30, { reason: "OneDrive self-update", author: "alice" }),
        same_rule_count: 14,
        last_disposition: "benign_true_positive",
        ...patch.history,
      },
      meta: { context_completeness: "partial", missing_fields: ["network.dst_ip", "network.dst_domain"], ...patch.meta },
    }),
  };
}

/** A second closing baseline with a network destination: a suppressed, intel-benign update lookup. */
export function benignUpdateLookup(patch: EnrichmentPatch = {}): Item {
  return dnsLookup(
    { domain: "updates.vendor.example", severity: "low", subtype: "dns_lookup", answers: ["203.0.113.80"] },
    {
      identity: { ...DEFAULT_IDENTITY },
      threat_intel: { verdict: "benign", matches: [intelMatch("updates.vendor.example", 0, { category: "software-update", malware: null })] },
      ...patch,
      history: {
        ...suppressionMatch("SUP-12", 20, { reason: "vendor update service", author: "bob" }),
        ...patch.history,
      },
    },
  );
}
