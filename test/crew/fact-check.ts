import type { Alert, Asset, Enrichment } from "../../src/core/index.js";

/**
 * Checks the facts a generated write-up states about who did what to whom against the case's data: every
 * actor named in an actor's position ("from X", "X brute-forced", "source X") is an alert's remote source
 * (its `src`, never the alert's own host or an address of the organisation's asset it concerns), every target
 * in a target's position ("on H", "against H", "logged in to H") is a host of the case, every account named
 * "as U" / "for U" is an alert's user, and every address written anywhere is one the case's data carries.
 * `checkContainment`: no indicator to block is the organisation's own infrastructure.
 */
export interface CaseData {
  alerts: { alert: Alert; enrichment: Enrichment }[];
  /** The organisation's CMDB (its own infrastructure). */
  assets: Asset[];
}

const IP = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const NAME = String.raw`[A-Za-z0-9][A-Za-z0-9_.$\\-]*[A-Za-z0-9$]`;

/** Phrases in which the IP is the acting party. */
const ACTOR_IP = [
  new RegExp(String.raw`\bfrom (${IP})\b`, "g"),
  new RegExp(String.raw`\b(${IP}) (?:brute-forced|made repeated|guessed|authenticated)\b`, "g"),
  new RegExp(String.raw`\bsources? (${IP})\b`, "g"),
  new RegExp(String.raw`\bblock (${IP})\b`, "g"),
];
/** Phrases in which the name is the host acted upon. */
const TARGET_HOST = [
  new RegExp(String.raw`\b(?:brute-forced|guessing against|failures against|logged in to) (?:\w+ on )?(${NAME})`, "g"),
  new RegExp(String.raw`\bPassword guessing against (${NAME})`, "g"),
];
const USER = [new RegExp(String.raw`\b(?:logged in successfully|logged in) as (${NAME})`, "g"), new RegExp(String.raw`succeeded for (${NAME})`, "g")];

const lower = (v: string | null | undefined) => (v ?? "").toLowerCase();

export function ownAddresses(data: CaseData): Set<string> {
  return new Set(data.assets.flatMap((a) => a.ips.map(lower)));
}

function hostAddresses(data: CaseData, alert: Alert, enrichment: Enrichment): Set<string> {
  const host = lower(alert.host?.name ?? enrichment.asset?.hostname);
  const asset = data.assets.find((a) => lower(a.hostname) === host);
  return new Set([...(alert.host?.ip ?? []), ...(enrichment.asset?.ips ?? []), ...(asset?.ips ?? [])].map(lower));
}

/** The remote sources of the case: alert sources that are not the alert's own host. */
export function remoteSources(data: CaseData): Set<string> {
  const out = new Set<string>();
  for (const { alert, enrichment } of data.alerts) {
    const src = lower(alert.src?.ip ?? enrichment.network.src_ip);
    if (src && !hostAddresses(data, alert, enrichment).has(src)) out.add(src);
  }
  return out;
}

function caseHosts(data: CaseData): Set<string> {
  const out = new Set<string>();
  for (const { alert, enrichment } of data.alerts) {
    for (const h of [alert.host?.name, enrichment.asset?.hostname, alert.dst?.hostname, enrichment.network.dst_hostname]) if (h) out.add(lower(h).split(".")[0]!);
  }
  return out;
}

/** Every address the case's data carries (alerts, their enrichment, intel): a write-up may name no other. */
function knownAddresses(data: CaseData): Set<string> {
  const text = JSON.stringify(data.alerts);
  return new Set([...text.matchAll(new RegExp(IP, "g"))].map((m) => m[0]));
}

function users(data: CaseData): Set<string> {
  return new Set(data.alerts.flatMap(({ alert, enrichment }) => [alert.user?.name, enrichment.identity?.username].filter((u): u is string => !!u).map(lower)));
}

export function checkFacts(label: string, text: string, data: CaseData): string[] {
  const problems: string[] = [];
  const remote = remoteSources(data);
  const hosts = caseHosts(data);
  const known = knownAddresses(data);
  const accounts = users(data);
  for (const pattern of ACTOR_IP) {
    for (const m of text.matchAll(pattern)) {
      const ip = m[1]!;
      if (!remote.has(ip)) problems.push(`${label}: "${m[0]}" names ${ip} as the actor, but no alert of the case has it as a remote source (sources: ${[...remote].join(", ") || "none"})`);
    }
  }
  for (const pattern of TARGET_HOST) {
    for (const m of text.matchAll(pattern)) {
      const name = lower(m[1]).split(".")[0]!;
      // Addresses are checked as actors; a protocol (SSH, RDP) or an article is not a host.
      if (/^(?:\d{1,3}\.){3}\d{1,3}$/.test(m[1]!) || /^[A-Z0-9]+$/.test(m[1]!) || /^(?:the|a|an)$/i.test(m[1]!)) continue;
      if (!hosts.has(name)) problems.push(`${label}: "${m[0]}" names ${m[1]} as the target, but the case's hosts are ${[...hosts].join(", ")}`);
    }
  }
  for (const pattern of USER) {
    for (const m of text.matchAll(pattern)) {
      if (!accounts.has(lower(m[1]))) problems.push(`${label}: "${m[0]}" names ${m[1]} as the account, but the case's users are ${[...accounts].join(", ") || "none"}`);
    }
  }
  for (const m of text.matchAll(new RegExp(String.raw`\b${IP}\b`, "g"))) {
    if (!known.has(m[0])) problems.push(`${label}: names ${m[0]}, an address the case's data does not carry`);
  }
  return problems;
}

/** Containment never blocks the organisation's own infrastructure (CMDB addresses and hosts, private addresses) as an IOC. */
export function checkContainment(label: string, recommendations: { action_hint: string; target: string }[], data: CaseData): string[] {
  const own = ownAddresses(data);
  const ownHosts = new Set(data.assets.map((a) => lower(a.hostname)));
  return recommendations
    .filter((r) => r.action_hint === "block_ioc")
    .filter((r) => own.has(lower(r.target)) || ownHosts.has(lower(r.target).split(".")[0]!) || /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.)/.test(r.target))
    .map((r) => `${label}: block_ioc on ${r.target}, the organisation's own infrastructure`);
}
