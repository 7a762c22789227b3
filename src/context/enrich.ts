import { Enrichment, isoNow, type Alert, type Clock } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { buildHistory } from "./history.js";
import { addressKeyOf } from "./assets/keys.js";
import { findSubnets } from "./assets/resolve.js";
import { resolveHosts, type HostLabel } from "./hosts.js";
import { dateProvenance } from "./freshness.js";
import { identityAsOf } from "./identity.js";
import { matchIntel } from "./intel.js";
import { isIpAddress } from "./normalise.js";
import { collectObservables } from "./observables.js";
import { builtinPrincipal } from "./principals.js";
import { getIdentityRecord, listSuppressions, type IdentityRecord } from "./queries.js";
import { lookupPrecedent } from "./precedent.js";
import { matchSuppression } from "./suppressions.js";

export interface EnrichOptions {
  historyWindowHours: number;
  suppressionMaxAgeDays: number;
  clock: Clock;
  /** An identity anomaly this many days before the alert still makes it a recent one (default 30). */
  anomalyWindowDays?: number;
  /** Per provenance axis, the age in days after which its record is flagged stale (default asset 90, identity 30). */
  staleAfterDays?: Readonly<Record<string, number>>;
  /** `context.ip_stale_days`: an address's last sighting on a host still counts this many days later (default 7). */
  ipStaleDays?: number;
}

/** The CMDB fields triage weighs (crew.md): unknown ones are listed by these exact paths. */
const ASSET_FIELDS = ["criticality", "environment", "owner", "crown_jewel_adjacent", "network_segment", "patch_level", "edr_present"];
/** Unknown on a known asset (an inventory-only host has no criticality or environment): listed by path. */
const ASSET_OPTIONAL = ["criticality", "environment", "owner", "crown_jewel_adjacent", "network_segment", "patch_level", "edr_present"] as const;
const IDENTITY_FIELDS = ["user_type", "privilege_level", "mfa_enabled", "recent_anomaly", "risk_score"];
const IDENTITY_OPTIONAL = ["mfa_enabled", "risk_score"] as const;

const AUTH_SUBTYPE = /auth|login|logon|brute|password|credential|mfa|account|kerberos/i;
const AUTH_TECHNIQUE = /^T(1110|1078|1556|1621|1558|1550)(\.|$)/;
const DNS_PROTOCOL = /^(dns|doh|dot)$/i;

function alertKind(alert: Alert) {
  const subtype = alert.subtype ?? "";
  const techniques = alert.attack.techniques;
  const phishing = /^phishing/i.test(subtype) || alert.email !== null || techniques.some((t) => t.startsWith("T1566"));
  const auth = AUTH_SUBTYPE.test(subtype) || techniques.some((t) => AUTH_TECHNIQUE.test(t));
  const dns = /^dns_/i.test(subtype) || DNS_PROTOCOL.test(alert.network?.protocol ?? "");
  return { phishing, auth, dns };
}

function eventAxis(alert: Alert, alertTime: string): Enrichment["event"] {
  return {
    id: alert.id,
    source: alert.source,
    rule: alert.rule
      ? { id: alert.rule.id, title: alert.rule.title, level: alert.rule.level ?? null, author: alert.rule.author ?? null }
      : null,
    severity: alert.severity,
    priority: alert.priority ?? null,
    confidence: alert.confidence ?? null,
    techniques: alert.attack.techniques,
    subtype: alert.subtype ?? null,
    time: alertTime,
  };
}

function networkAxis(alert: Alert): Enrichment["network"] {
  const dstDomain =
    alert.dst?.domain ??
    alert.observables.find((o) => o.type === "domain" && o.role === "dst")?.value ??
    (alert.dst?.hostname && !isIpAddress(alert.dst.hostname) && DNS_PROTOCOL.test(alert.network?.protocol ?? "") ? alert.dst.hostname : null);
  return {
    src_ip: alert.src?.ip ?? null,
    src_hostname: alert.src?.hostname ?? null,
    dst_ip: alert.dst?.ip ?? null,
    dst_hostname: alert.dst?.hostname ?? null,
    dst_domain: dstDomain ?? null,
    dst_port: alert.dst?.port ?? null,
    protocol: alert.network?.protocol ?? null,
    query_type: alert.network?.query_type ?? null,
    response_code: alert.network?.response_code ?? null,
  };
}

function emailContext(alert: Alert): Enrichment["email_context"] {
  const email = alert.email;
  if (!email) return null;
  const context: Record<string, unknown> = { ...email };
  // The count follows from the list when the sender gave only the list: derived, not guessed.
  if (context.recipient_count === undefined && email.recipients) context.recipient_count = email.recipients.length;
  return context;
}

/**
 * The identity the alert is about: its user, or for an e-mail to exactly one recipient, that recipient
 * (the person who would click). Several recipients name no single identity.
 */
interface ResolvedIdentity {
  ref: string | null;
  record: IdentityRecord | null;
  /** Set when the user is a built-in OS principal with no directory record (see principals.ts). */
  builtin: string | null;
}

async function resolveIdentity(ex: Executor, alert: Alert): Promise<ResolvedIdentity> {
  if (alert.user?.name) {
    const record = await getIdentityRecord(ex, alert.user.name);
    // The directory is asked first: if it does hold a record under that name, the record wins.
    return { ref: alert.user.name, record, builtin: record ? null : builtinPrincipal(alert.user) };
  }
  const recipients = alert.email?.recipients ?? [];
  if (recipients.length === 1) {
    const record = await getIdentityRecord(ex, recipients[0]!);
    if (record) return { ref: recipients[0]!, record, builtin: null };
  }
  return { ref: null, record: null, builtin: null };
}

interface Gaps {
  alert: Alert;
  host: HostLabel | null;
  identityRef: string | null;
  identity: IdentityRecord | null;
  builtinPrincipal: string | null;
  network: Enrichment["network"];
  email: Enrichment["email_context"];
}

/** Exact paths of what is unknown and matters for this kind of alert; nothing is filled in by guess. */
function missingFields({ alert, host, identityRef, identity, builtinPrincipal, network, email }: Gaps): string[] {
  const kind = alertKind(alert);
  const missing: string[] = [];

  const asset = host?.record?.asset ?? null;
  if (asset) {
    for (const field of ASSET_OPTIONAL) if (asset[field] === undefined) missing.push(`asset.${field}`);
    // Nothing known about what the host logs: whether the absence of evidence means anything is unknown.
    if (asset.telemetry.length === 0 && asset.edr_present !== true) missing.push("asset.telemetry");
  } else if (host) {
    for (const field of ASSET_FIELDS) missing.push(`asset.${field}`);
  } else if (!kind.phishing) {
    // An endpoint or network alert that names no host at all: the whole axis is unknown.
    missing.push("asset");
  }

  if (identity) {
    for (const field of IDENTITY_OPTIONAL) if (identity.identity[field] === undefined) missing.push(`identity.${field}`);
  } else if (builtinPrincipal) {
    // A built-in OS principal has no directory record to fetch: a gap nothing can fill is not a gap.
  } else if (identityRef) {
    for (const field of IDENTITY_FIELDS) missing.push(`identity.${field}`);
  } else if (kind.auth || kind.phishing) {
    missing.push("identity");
  }

  if (kind.dns) {
    if (!network.dst_domain) missing.push("network.dst_domain");
    if (!network.query_type) missing.push("network.query_type");
    if (!network.response_code) missing.push("network.response_code");
  }

  if (kind.phishing) {
    if (!email) missing.push("email_context");
    else {
      const subtype = alert.subtype ?? "";
      const need = ["gateway_verdict", "recipient_count"];
      if (/credential/i.test(subtype)) need.push("page_loaded", "credentials_submitted");
      if (/link/i.test(subtype)) need.push("links");
      if (/attachment/i.test(subtype)) need.push("attachments");
      for (const field of need) if (email[field] === undefined) missing.push(`email_context.${field}`);
    }
  }
  return missing;
}

/**
 * Enriches an alert on the axes of crew.md — event, network, asset, identity — plus threat intel, history
 * and suppressions, as of the alert's own time so that a replay enriches the same way. What is unknown is
 * listed in `meta.missing_fields`, never guessed.
 */
export async function enrichAlert(ex: Executor, alert: Alert, options: EnrichOptions): Promise<Enrichment> {
  const alertTime = new Date(alert.time).toISOString();
  const observables = collectObservables(alert);
  const host = (await resolveHosts(ex, [alert], { ipStaleDays: options.ipStaleDays })).get(alert.id) ?? null;
  const asset = host?.record ?? null;
  const identity = await resolveIdentity(ex, alert);
  const intel = await matchIntel(ex, observables, alertTime);
  const history = await buildHistory(ex, {
    alert,
    alertTime,
    windowHours: options.historyWindowHours,
    host,
    observables,
    hostile: intel.hostile,
  });
  const suppression = matchSuppression(await listSuppressions(ex), alert, {
    alertTime,
    host,
    observables,
    maxAgeDays: options.suppressionMaxAgeDays,
  });

  const precedent = await lookupPrecedent(ex, alert, { alertTime, maxAgeDays: options.suppressionMaxAgeDays, role: asset?.asset.role ?? null });

  const network = networkAxis(alert);
  // Subnets name no asset: they give each side's network segment, also for an address no asset holds.
  const segments = await findSubnets(ex, [network.src_ip, network.dst_ip].map((ip) => (ip ? addressKeyOf(ip) : null)).filter((ip): ip is string => ip !== null));
  const srcSegment = network.src_ip ? segments.get(addressKeyOf(network.src_ip) ?? "") : undefined;
  const dstSegment = network.dst_ip ? segments.get(addressKeyOf(network.dst_ip) ?? "") : undefined;
  if (srcSegment) network.src_segment = srcSegment.subnet.segment;
  if (dstSegment) network.dst_segment = dstSegment.subnet.segment;
  const email = emailContext(alert);
  const missing = missingFields({
    alert,
    host,
    identityRef: identity.ref,
    identity: identity.record,
    builtinPrincipal: identity.builtin,
    network,
    email,
  });

  const networkKnown = Object.values(network).some((v) => v !== null);
  const namesEntity = host !== null || identity.ref !== null;
  const onlyEvent = !networkKnown && !asset && !identity.record && intel.threat_intel.matches.length === 0 && !email;
  const completeness =
    (namesEntity && !asset && !identity.record) || onlyEvent ? "insufficient" : missing.length > 0 ? "partial" : "complete";

  const telemetry = [...(asset?.asset.telemetry ?? [])];
  if (asset?.asset.edr_present && !telemetry.includes("edr")) telemetry.push("edr");

  const provenance: Enrichment["meta"]["provenance"] = [
    { axis: "event", source: "alert", as_of: alert.received_at },
  ];
  if (networkKnown) provenance.push({ axis: "network", source: "alert", as_of: alert.received_at });
  // One entry per record behind the asset: the CMDB, each device inventory (as of its last sighting), the subnet.
  if (asset) for (const p of host!.provenance) provenance.push({ axis: p.axis, source: p.source, as_of: p.as_of });
  if (identity.record) provenance.push({ axis: "identity", source: "identity", as_of: identity.record.updated_at });
  if (identity.builtin) provenance.push({ axis: "identity", source: "builtin_principal", as_of: null });
  provenance.push(...intel.provenance);
  provenance.push({ axis: "history", source: "history", as_of: alertTime });
  if (email) provenance.push({ axis: "email_context", source: "alert", as_of: alert.received_at });
  const dated = dateProvenance(provenance, alertTime, options.staleAfterDays);

  return Enrichment.parse({
    schema_version: 1,
    event: eventAxis(alert, alertTime),
    network,
    asset: asset?.asset ?? null,
    identity: identity.record ? identityAsOf(identity.record.identity, alertTime, options.anomalyWindowDays) : null,
    threat_intel: intel.threat_intel,
    history: { ...history, suppression_match: suppression.match, suppression_age_days: suppression.age_days },
    ...(precedent.shapes.length ? { precedent } : {}),
    email_context: email,
    meta: {
      received_time: alert.received_at,
      enriched_at: isoNow(options.clock),
      context_completeness: completeness,
      missing_fields: missing,
      telemetry,
      provenance: dated.provenance,
      stale: dated.stale,
      builtin_principal: identity.builtin,
    },
  });
}
