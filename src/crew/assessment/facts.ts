import type { Alert, Criticality, Enrichment, Severity, Suppression } from "../../core/index.js";
import { attackerBehaviour, type BehaviourFinding } from "./behaviour.js";
import { precedentFacts, type PrecedentFacts } from "./precedent.js";
import { shannonEntropy } from "./text.js";

/**
 * What TORA knows about one alert, read from structured fields only. Free text (titles, descriptions,
 * command lines, subjects) is carried for quoting but nothing here derives a judgement from it.
 */
export type AlertFamily = "dns" | "auth" | "phishing" | "process" | "generic";

export const STALE_INTEL_DAYS = 180;
export const STRONG_INTEL_SOURCES = 10;
export const WEAK_INTEL_SOURCES = 3;
export const SUPPRESSION_MAX_AGE_DAYS = 90;

export type IntelStrength = "strong" | "moderate" | "weak" | "stale" | "none";
type IntelMatch = Enrichment["threat_intel"]["matches"][number];

export interface IntelFacts {
  verdict: Enrichment["threat_intel"]["verdict"];
  /** The match that decides the strength: the best-sourced hostile one when any is hostile, fresh first. */
  best: IntelMatch | null;
  strength: IntelStrength;
  /** "c2.example malicious on 45/60 sources, category c2, AsyncRAT, 12 days old" */
  summary: string;
}

export interface DnsFacts {
  domain: string | null;
  baseDomain: string | null;
  subdomain: string;
  longestLabel: number;
  entropy: number;
  /** Long or high-entropy subdomain labels: the shape of data carried in queries. */
  tunnellingShape: boolean;
  unusualQueryType: string | null;
  encrypted: "DoH" | "DoT" | null;
  unusualPort: number | null;
  /** NOERROR → true (resolved, active), NXDOMAIN → false, anything else unknown. */
  resolved: boolean | null;
  responseCode: string | null;
  queryType: string | null;
  answers: string[];
}

export interface EmailFacts {
  subject: string | null;
  sender: string | null;
  recipients: string[];
  recipientCount: number | null;
  links: string[];
  attachments: string[];
  gatewayVerdict: string | null;
  gatewayAction: string | null;
  gatewayFlaggedMalicious: boolean;
  gatewayBlocked: boolean;
  pageLoaded: boolean | null;
  credentialsSubmitted: boolean;
  authResults: { spf: string | null; dkim: string | null; dmarc: string | null };
  authFailures: string[];
}

export interface ProcessFacts {
  /** An Office, mail or browser parent starting a script interpreter (EDR image names, not prose). */
  suspiciousLineage: boolean;
  name: string | null;
  commandLine: string | null;
  parent: string | null;
  signed: boolean | null;
  signer: string | null;
  knownVendor: string | null;
  sha256: string | null;
}

export interface SuppressionFacts {
  id: string;
  reason: string;
  author: string;
  ageDays: number;
  expiresAt: string | null;
  /** In force at the alert's time (enrichment), still standing at triage, and ≤ 90 days old. */
  valid: boolean;
  /** Why a matching suppression does not count, e.g. "120 days old (> 90)". */
  rejection: string | null;
}

export interface AlertFacts {
  alert: Alert;
  enrichment: Enrichment;
  alertId: string;
  time: string;
  subtype: string;
  family: AlertFamily;
  sourceSeverity: Severity;
  /** The detector's own confidence 0–100, when it gave one. */
  detectorConfidence: number | null;
  ruleId: string | null;
  ruleTitle: string | null;
  host: string | null;
  hostIp: string | null;
  user: string | null;
  /** The user is a built-in OS principal (NT AUTHORITY\SYSTEM…): no directory identity exists for it. */
  builtinPrincipal: string | null;
  srcIp: string | null;
  srcHost: string | null;
  /**
   * The acting party's address: the source, unless the source is the alert's own host (an outbound lookup or
   * connection, where the host itself acts and there is no remote source). Sentences that name an attacker
   * take it from here, never from `srcIp` alone.
   */
  remoteSrcIp: string | null;
  dstIp: string | null;
  dstHost: string | null;
  domain: string | null;
  port: number | null;
  protocol: string | null;
  external: boolean;
  abusedPort: number | null;
  criticality: Criticality | null;
  production: boolean;
  intel: IntelFacts;
  dns: DnsFacts | null;
  email: EmailFacts | null;
  process: ProcessFacts | null;
  suppression: SuppressionFacts | null;
  /** Attacker behaviour the alert's own structured content carries (assessment/behaviour.ts). */
  behaviour: BehaviourFinding[];
  /** Analyst precedent for the alert's shape (assessment/precedent.ts). */
  precedent: PrecedentFacts;
  /** The source sent no severity nor rule level nor priority: its medium is the ingest default. */
  severityUnsent: boolean;
}

const DNS_PROTOCOLS = /^(dns|doh|dot|dns-over-https|dns-over-tls|mdns|llmnr)$/i;
/** Gateway actions that kept the message from the mailbox; "released", "unblocked", "not blocked" did not. */
const BLOCKING_ACTION = /\b(block|blocked|quarantine|quarantined|reject|rejected|drop|dropped|delete|deleted|purge|purged)\b/i;
const NOT_BLOCKING = /\b(not|un\w+|releas\w*|allow\w*|deliver\w*|fail\w*)\b/i;
const UNUSUAL_QUERY_TYPES = new Set(["TXT", "NULL", "ANY"]);
/** Ports with a long record of abuse by implants and tooling (Metasploit, IRC C2, Tor, "elite"). */
const ABUSED_PORTS = new Set([1337, 4444, 5555, 6666, 6667, 9001, 12345, 31337]);
const PRODUCTION = /^(prod|production|prd|live)$/i;
const INTERNAL_SUFFIXES = [".local", ".lan", ".internal", ".intranet", ".corp", ".home.arpa", ".in-addr.arpa", ".ip6.arpa", ".localdomain"];
const SECOND_LEVEL = new Set(["co", "com", "net", "org", "gov", "ac", "edu", "ltd", "plc"]);

const DOCUMENT_PARENTS = new Set([
  "winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe", "onenote.exe", "msaccess.exe", "mspub.exe", "visio.exe",
  "acrord32.exe", "acrobat.exe", "chrome.exe", "msedge.exe", "firefox.exe", "iexplore.exe", "thunderbird.exe",
]);
const INTERPRETERS = new Set([
  "powershell.exe", "pwsh.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe", "rundll32.exe", "regsvr32.exe",
  "certutil.exe", "bitsadmin.exe", "msbuild.exe", "installutil.exe", "bash", "sh", "python.exe", "python",
]);
/** ATT&CK techniques that seldom describe routine administration (obfuscation, injection, credential access…). */
export const HIGH_SIGNAL_TECHNIQUES = ["T1003", "T1027", "T1055", "T1105", "T1140", "T1218", "T1547", "T1053.005", "T1562", "T1070", "T1558", "T1550"];

/** Publishers whose code-signing identity is well known; a valid signature from one is a benign hint, never proof. */
export const KNOWN_VENDOR_SIGNERS = [
  "microsoft",
  "google",
  "apple",
  "adobe",
  "mozilla",
  "oracle",
  "vmware",
  "cisco",
  "intel corporation",
  "nvidia",
  "citrix",
  "zoom video communications",
  "dell",
  "hp inc",
  "lenovo",
  "crowdstrike",
  "sophos",
  "symantec",
  "mcafee",
  "trend micro",
  "palo alto networks",
  "jetbrains",
  "github",
  "docker",
  "amazon",
  "dropbox",
  "slack technologies",
  "atlassian",
] as const;

export function alertFacts(alert: Alert, enrichment: Enrichment, now: string, suppressions?: Suppression[]): AlertFacts {
  const network = enrichment.network;
  const subtype = normaliseSubtype(alert, enrichment);
  const domain = network.dst_domain ?? (isDnsAlert(alert, enrichment) ? network.dst_hostname : null) ?? alert.dst?.domain ?? null;
  const family = familyOf(subtype, alert, enrichment);
  const dstIp = network.dst_ip ?? alert.dst?.ip ?? null;
  const port = network.dst_port ?? alert.dst?.port ?? null;
  // In an authentication alert the source is the one knocking; the asset is the target.
  const inbound = family === "auth";
  const host =
    enrichment.asset?.hostname ?? alert.host?.name ?? (inbound ? network.dst_hostname : network.src_hostname) ?? null;
  const facts: AlertFacts = {
    alert,
    enrichment,
    alertId: alert.id,
    time: alert.time,
    subtype,
    family,
    sourceSeverity: alert.severity,
    detectorConfidence: alert.confidence ?? enrichment.event.confidence ?? null,
    ruleId: alert.rule?.id ?? enrichment.event.rule?.id ?? null,
    ruleTitle: alert.rule?.title ?? enrichment.event.rule?.title ?? null,
    host,
    hostIp: alert.host?.ip[0] ?? enrichment.asset?.ips[0] ?? (inbound ? network.dst_ip : network.src_ip) ?? null,
    user: enrichment.identity?.username ?? alert.user?.name ?? null,
    builtinPrincipal: enrichment.identity ? null : enrichment.meta.builtin_principal,
    srcIp: network.src_ip ?? alert.src?.ip ?? null,
    srcHost: network.src_hostname ?? alert.src?.hostname ?? null,
    remoteSrcIp: remoteSource(alert, enrichment, host),
    dstIp,
    dstHost: network.dst_hostname ?? alert.dst?.hostname ?? null,
    domain,
    port,
    protocol: network.protocol ?? alert.network?.protocol ?? null,
    external: (domain !== null && isExternalDomain(domain)) || (dstIp !== null && isPublicIp(dstIp)),
    abusedPort: port !== null && ABUSED_PORTS.has(port) ? port : null,
    criticality: enrichment.asset?.criticality ?? null,
    production: !!enrichment.asset?.environment && PRODUCTION.test(enrichment.asset.environment.trim()),
    intel: intelFacts(enrichment),
    dns: null,
    email: null,
    process: null,
    suppression: suppressionFacts(enrichment, now, suppressions),
    behaviour: attackerBehaviour(alert, subtype),
    precedent: precedentFacts(enrichment),
    severityUnsent: alert.severity === "medium" && !alert.rule?.level && !alert.priority,
  };
  if (family === "dns" || isDnsAlert(alert, enrichment)) facts.dns = dnsFacts(alert, enrichment, queryName(domain, network.dst_hostname ?? alert.dst?.hostname ?? null), port);
  if (alert.email || enrichment.email_context) facts.email = emailFacts(alert, enrichment);
  if (alert.process) facts.process = processFacts(alert);
  return facts;
}

/** The source address when it is not the alert's own host (by address or by name). */
function remoteSource(alert: Alert, enrichment: Enrichment, host: string | null): string | null {
  const ip = enrichment.network.src_ip ?? alert.src?.ip ?? null;
  if (!ip) return null;
  const own = [...(alert.host?.ip ?? []), ...(enrichment.asset?.ips ?? [])].map((x) => x.toLowerCase());
  if (own.includes(ip.toLowerCase())) return null;
  const srcName = (enrichment.network.src_hostname ?? alert.src?.hostname ?? "").toLowerCase().split(".")[0];
  if (srcName && host && srcName === host.toLowerCase().split(".")[0]) return null;
  return ip;
}

function normaliseSubtype(alert: Alert, enrichment: Enrichment): string {
  const given = (alert.subtype ?? enrichment.event.subtype ?? "").trim().toLowerCase().replace(/[\s-]+/g, "_");
  if (given) return given;
  if (alert.email || enrichment.email_context) return "phishing_email";
  if (alert.process) return "process_creation";
  if (isDnsAlert(alert, enrichment)) return "dns_lookup";
  return "generic";
}

function isDnsAlert(alert: Alert, enrichment: Enrichment): boolean {
  const protocol = enrichment.network.protocol ?? alert.network?.protocol ?? "";
  return DNS_PROTOCOLS.test(protocol) || !!(enrichment.network.query_type ?? alert.network?.query_type);
}

function familyOf(subtype: string, alert: Alert, enrichment: Enrichment): AlertFamily {
  if (/brute|spray|ssh|login|logon|auth/.test(subtype)) return "auth";
  if (subtype.startsWith("dns")) return "dns";
  if (subtype.startsWith("phish") || subtype.includes("email")) return "phishing";
  if (/process|powershell|script|command|execution|malware/.test(subtype)) return "process";
  if (isDnsAlert(alert, enrichment)) return "dns";
  if (alert.email || enrichment.email_context) return "phishing";
  if (alert.process) return "process";
  return "generic";
}

export function isBruteForceSubtype(subtype: string | null | undefined): boolean {
  return !!subtype && /brute|spray|password_guess/i.test(subtype);
}

export function isLoginSuccessSubtype(subtype: string | null | undefined): boolean {
  return (
    !!subtype &&
    (/(login|logon|auth|authentication|signin|sign_in)_?(success|succeeded|accepted|ok)/i.test(subtype) ||
      /success(ful)?_?(login|logon|auth|signin)/i.test(subtype) ||
      /bruteforce_c2/i.test(subtype))
  );
}

function intelFacts(enrichment: Enrichment): IntelFacts {
  const { verdict, matches: all } = enrichment.threat_intel;
  // A hostile verdict is weighed on the hostile matches only: a well-sourced benign record of a parent
  // domain must not lend its source count to a thin malicious one.
  const hostile = all.filter((m) => m.verdict !== "benign");
  const matches = hostile.length > 0 ? hostile : all;
  const fresh = matches.filter((m) => m.ioc_age_days === null || m.ioc_age_days <= STALE_INTEL_DAYS);
  const pool = fresh.length > 0 ? fresh : matches;
  let best: IntelMatch | null = null;
  for (const match of pool) {
    if (!best || match.source_count > best.source_count) best = match;
  }
  let strength: IntelStrength = "none";
  if (best) {
    if (fresh.length === 0) strength = "stale";
    else if (best.source_count >= STRONG_INTEL_SOURCES) strength = "strong";
    else if (best.source_count < WEAK_INTEL_SOURCES) strength = "weak";
    else strength = "moderate";
  }
  return { verdict, best, strength, summary: best ? describeMatch(best) : `no intel match (verdict ${verdict})` };
}

function describeMatch(match: IntelMatch): string {
  const via = match.matched_value.toLowerCase() !== match.indicator.toLowerCase() ? ` (matched by ${match.matched_value})` : "";
  const parts = [`${match.indicator}${via} ${match.verdict} on ${match.source_count}/${match.source_total} sources`];
  if (match.category) parts.push(`category ${match.category}`);
  if (match.associated_malware) parts.push(match.associated_malware);
  parts.push(match.ioc_age_days === null ? "age unknown" : `${match.ioc_age_days} days old`);
  if (match.feed) parts.push(`feed ${match.feed}`);
  return parts.join(", ");
}

/**
 * The name actually queried: senders often put the registered domain in dst.domain and the full query
 * name (where tunnelled data shows) in dst.hostname.
 */
function queryName(domain: string | null, hostname: string | null): string | null {
  if (!domain || !hostname) return domain ?? hostname;
  const d = domain.toLowerCase().replace(/\.$/, "");
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h.endsWith(`.${d}`) ? h : d;
}

function dnsFacts(alert: Alert, enrichment: Enrichment, domain: string | null, port: number | null): DnsFacts {
  const labels = domain ? domain.toLowerCase().replace(/\.$/, "").split(".").filter(Boolean) : [];
  let baseLength = Math.min(2, labels.length);
  const last = labels[labels.length - 1] ?? "";
  const secondLast = labels[labels.length - 2] ?? "";
  if (labels.length >= 3 && last.length === 2 && SECOND_LEVEL.has(secondLast)) baseLength = 3;
  const subLabels = labels.slice(0, labels.length - baseLength);
  const subdomain = subLabels.join(".");
  const compact = subLabels.join("");
  const longestLabel = subLabels.reduce((max, label) => Math.max(max, label.length), 0);
  const entropy = shannonEntropy(compact);
  const protocol = (enrichment.network.protocol ?? alert.network?.protocol ?? "").toLowerCase();
  let encrypted: DnsFacts["encrypted"] = null;
  if (/doh|https/.test(protocol)) encrypted = "DoH";
  else if (/dot|tls/.test(protocol) || port === 853) encrypted = "DoT";
  const queryType = (enrichment.network.query_type ?? alert.network?.query_type ?? null)?.toUpperCase() ?? null;
  const responseCode = (enrichment.network.response_code ?? alert.network?.response_code ?? null)?.toUpperCase() ?? null;
  const expectedPorts = encrypted === "DoH" ? [443] : encrypted === "DoT" ? [853] : [53];
  return {
    domain,
    baseDomain: labels.length ? labels.slice(labels.length - baseLength).join(".") : null,
    subdomain,
    longestLabel,
    entropy: Math.round(entropy * 100) / 100,
    tunnellingShape: subdomain.length >= 50 || longestLabel >= 30 || (compact.length >= 20 && entropy >= 4.0),
    unusualQueryType: queryType && UNUSUAL_QUERY_TYPES.has(queryType) ? queryType : null,
    encrypted,
    unusualPort: port !== null && !expectedPorts.includes(port) ? port : null,
    resolved: responseCode === "NOERROR" ? true : responseCode === "NXDOMAIN" ? false : null,
    responseCode,
    queryType,
    answers: alert.network?.answers ?? [],
  };
}

function stringField(record: Record<string, unknown> | null, key: string): string | null {
  const value = record?.[key];
  return typeof value === "string" && value.length > 0 ? value : null;
}

function stringList(record: Record<string, unknown> | null, key: string): string[] {
  const value = record?.[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function emailFacts(alert: Alert, enrichment: Enrichment): EmailFacts {
  const ctx = enrichment.email_context;
  const mail = alert.email;
  const boolField = (key: "page_loaded" | "credentials_submitted"): boolean | null => {
    const fromCtx = ctx?.[key];
    if (typeof fromCtx === "boolean") return fromCtx || mail?.[key] === true;
    return mail?.[key] ?? null;
  };
  const countFromCtx = ctx?.recipient_count;
  const recipients = stringList(ctx, "recipients").length ? stringList(ctx, "recipients") : (mail?.recipients ?? []);
  const authResults = {
    spf: stringField(ctx, "spf") ?? mail?.spf ?? null,
    dkim: stringField(ctx, "dkim") ?? mail?.dkim ?? null,
    dmarc: stringField(ctx, "dmarc") ?? mail?.dmarc ?? null,
  };
  const authFailures = Object.entries(authResults)
    .filter(([, value]) => value !== null && /fail|permerror|none/i.test(value))
    .map(([key, value]) => `${key.toUpperCase()} ${value}`);
  const gatewayVerdict = stringField(ctx, "gateway_verdict") ?? mail?.gateway_verdict ?? null;
  const gatewayAction = stringField(ctx, "gateway_action") ?? mail?.gateway_action ?? null;
  return {
    subject: stringField(ctx, "subject") ?? mail?.subject ?? null,
    sender: stringField(ctx, "sender") ?? mail?.sender ?? null,
    recipients,
    recipientCount: typeof countFromCtx === "number" ? countFromCtx : (mail?.recipient_count ?? (recipients.length || null)),
    links: stringList(ctx, "links").length ? stringList(ctx, "links") : (mail?.links ?? []),
    attachments: stringList(ctx, "attachments").length ? stringList(ctx, "attachments") : (mail?.attachments ?? []),
    gatewayVerdict,
    gatewayAction,
    gatewayFlaggedMalicious: !!gatewayVerdict && /phish|malic|malware|spoof|impersonat|suspicious/i.test(gatewayVerdict),
    gatewayBlocked: !!gatewayAction && BLOCKING_ACTION.test(gatewayAction) && !NOT_BLOCKING.test(gatewayAction),
    pageLoaded: boolField("page_loaded"),
    credentialsSubmitted: boolField("credentials_submitted") === true,
    authResults,
    authFailures,
  };
}

function processFacts(alert: Alert): ProcessFacts {
  const p = alert.process!;
  const signer = p.signer ?? null;
  const normalised = signer?.toLowerCase().replace(/[.,]/g, " ").replace(/\s+/g, " ").trim() ?? "";
  const vendor =
    p.signed === true && normalised ? (KNOWN_VENDOR_SIGNERS.find((v) => new RegExp(`(^|\\s)${v}(\\s|$)`).test(normalised)) ?? null) : null;
  const image = (value: string | undefined) => value?.toLowerCase().split(/[\\/]/).pop() ?? "";
  return {
    suspiciousLineage: DOCUMENT_PARENTS.has(image(p.parent_name)) && INTERPRETERS.has(image(p.name)),
    name: p.name ?? null,
    commandLine: p.command_line ?? null,
    parent: p.parent_name ?? null,
    signed: p.signed ?? null,
    signer,
    knownVendor: vendor,
    sha256: p.sha256 ?? null,
  };
}

/**
 * A suppression counts when the enrichment found it in force at the alert's time, it still stands at
 * triage (not withdrawn, not expired since) and it is at most 90 days old (crew.md step 2). The records,
 * when the caller read them, catch a withdrawal or an edit made after enrichment; without them the
 * match's own expiry is checked against `now`.
 */
function suppressionFacts(enrichment: Enrichment, now: string, records?: Suppression[]): SuppressionFacts | null {
  const match = enrichment.history.suppression_match;
  if (!match) return null;
  let ageDays = Math.max(match.age_days, enrichment.history.suppression_age_days ?? 0);
  let expiresAt = match.expires_at;
  const rejections: string[] = [];
  if (!match.in_force) {
    if (expiresAt && Date.parse(expiresAt) < Date.parse(enrichment.event.time)) rejections.push(`expired at ${expiresAt}, before the alert`);
    else if (ageDays <= SUPPRESSION_MAX_AGE_DAYS) rejections.push(`not in force at the alert's time (${ageDays} days old, past the context's maximum age)`);
  }
  if (records) {
    const record = records.find((r) => r.id === match.id);
    if (!record) rejections.push("withdrawn: the suppression record no longer exists");
    else {
      const created = Date.parse(record.created_at);
      if (!Number.isNaN(created)) ageDays = Math.max(ageDays, Math.floor((Date.parse(now) - created) / 86_400_000));
      expiresAt = record.expires_at ?? null;
    }
  }
  if (match.in_force && expiresAt && Date.parse(expiresAt) <= Date.parse(now)) rejections.push(`expired at ${expiresAt}`);
  if (ageDays > SUPPRESSION_MAX_AGE_DAYS) rejections.push(`${ageDays} days old (> ${SUPPRESSION_MAX_AGE_DAYS})`);
  const rejection = rejections.length ? rejections.join("; ") : null;
  return { id: match.id, reason: match.reason, author: match.author, ageDays, expiresAt, valid: rejection === null, rejection };
}

export function isExternalDomain(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, "");
  if (!d.includes(".")) return false;
  if (isIpLiteral(d)) return isPublicIp(d);
  return !INTERNAL_SUFFIXES.some((suffix) => d.endsWith(suffix));
}

function isIpLiteral(value: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(":");
}

/** Outside the private, loopback, link-local and carrier-grade NAT ranges. */
export function isPublicIp(ip: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (a === 10 || a === 127 || a === 0) return false;
    if (a === 172 && b >= 16 && b <= 31) return false;
    if (a === 192 && b === 168) return false;
    if (a === 169 && b === 254) return false;
    if (a === 100 && b >= 64 && b <= 127) return false;
    return true;
  }
  if (ip.includes(":")) {
    const lower = ip.toLowerCase();
    return !(lower === "::1" || lower.startsWith("fc") || lower.startsWith("fd") || lower.startsWith("fe80"));
  }
  return false;
}
