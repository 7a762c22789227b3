import { urlHost, type ActionHint, type ContainmentRecommendation, type ContainmentUrgency } from "../../core/index.js";
import type { CaseAssessment } from "../assessment/assessment.js";
import type { AlertFacts } from "../assessment/facts.js";
import { listOf, uniqueCaseless } from "../assessment/text.js";
import type { CaseEntities } from "./augment.js";

export const EXFIL_BYTES = 10 * 1024 * 1024;

/** What the investigation established, for the decision and the containment plan. */
export interface Signals {
  credentials: boolean;
  bruteSuccess: boolean;
  /** C2 traffic seen in telemetry (connections to the case's indicators, beaconing). */
  c2: boolean;
  /** C2 probable on the alerts alone: a case host resolved or reached an indicator that intel (strong or moderate) ties to C2. */
  c2Probable: boolean;
  execution: boolean;
  /** Exfiltration seen in telemetry. */
  exfiltration: boolean;
  /** Exfiltration probable on the alerts alone: a large transfer out to an external or hostile destination, or sustained DNS tunnelling. */
  exfilProbable: boolean;
}

const C2_CATEGORY = /\b(c2|cnc|c&c|command|botnet|rat|beacon)/i;

function hostileIntel(f: AlertFacts): boolean {
  return (f.intel.verdict === "malicious" || f.intel.verdict === "suspicious") && (f.intel.strength === "strong" || f.intel.strength === "moderate");
}

/** Alerts that make C2 probable: hostile C2 intel (strong or moderate) on what the host looked up or reached, not a dead lookup. */
export function probableC2(a: CaseAssessment): AlertFacts[] {
  // Infrastructure only: a file hash tied to a malware family is execution, not C2.
  const infrastructure = new Set(["domain", "ip", "url"]);
  return a.facts.filter(
    (f) => hostileIntel(f) && infrastructure.has(f.intel.best?.type ?? "") && (C2_CATEGORY.test(f.intel.best?.category ?? "") || !!f.intel.best?.associated_malware) && f.dns?.resolved !== false && !f.email,
  );
}

/** Alerts that make exfiltration probable (structured fields only: bytes, intel, the tunnelling shape of DNS names). */
export function probableExfiltration(a: CaseAssessment): AlertFacts[] {
  const tunnelling = a.facts.filter((f) => f.dns?.tunnellingShape && f.dns.resolved !== false);
  return a.facts.filter((f) => {
    const bytes = f.alert.network?.bytes_out ?? 0;
    if (bytes >= EXFIL_BYTES && (f.external || hostileIntel(f))) return true;
    return tunnelling.includes(f) && (tunnelling.length >= 2 || !!f.dns?.unusualQueryType);
  });
}

export function transferSummary(f: AlertFacts): string | null {
  const bytes = f.alert.network?.bytes_out;
  if (!bytes || bytes < EXFIL_BYTES) return null;
  return `${Math.round(bytes / 1024 / 1024)} MB sent from ${f.host ?? f.hostIp ?? "the host"} to ${f.domain ?? f.dstIp ?? "an external destination"}`;
}

/**
 * The containment plan: accounts to reset or disable, hosts of the case to isolate, and the external
 * indicators to block. An indicator the organisation owns (`ownInfrastructure` says why) is never blocked:
 * its host is isolated instead. Credentials, brute force, C2 and exfiltration (seen or probable) are
 * contained at once.
 */
export function containmentPlan(
  a: CaseAssessment,
  has: (type: string) => boolean,
  entities: CaseEntities,
  s: Signals,
  caseHosts: string[],
  ownInfrastructure: (target: string) => string | null,
): { urgency: ContainmentUrgency; recommendations: ContainmentRecommendation[] } {
  const recs: Omit<ContainmentRecommendation, "order">[] = [];
  const add = (action_hint: ActionHint, target: string | null | undefined, rationale: string) => {
    if (!target || recs.some((r) => r.action_hint === action_hint && r.target.toLowerCase() === target.toLowerCase())) return;
    if (action_hint === "block_ioc" && ownInfrastructure(target)) return;
    recs.push({ action_hint, target, rationale });
  };
  const users = uniqueCaseless(a.facts.map((f) => f.user));
  const phishingDomains = uniqueCaseless(a.facts.flatMap((f) => (f.email?.links ?? []).map(domainOf)));
  if (s.credentials) {
    for (const u of users) {
      add("reset_credentials", u, `${u} submitted credentials to a phishing page.`);
      add("revoke_tokens", u, "Sessions opened with the harvested password or a stolen cookie stay valid until revoked.");
    }
    for (const d of phishingDomains) if (entities.domains.some((x) => x.toLowerCase() === d.toLowerCase())) add("block_ioc", d, "The credential-harvesting site; other recipients may still click.");
  }
  if (s.bruteSuccess) {
    const chainUsers = uniqueCaseless([a.bruteForceChain?.user, ...users]);
    for (const u of chainUsers.slice(0, 2)) add("disable_account", u, "The account was logged into after password guessing; disable until the owner is verified.");
    const src = a.bruteForceChain?.src ?? a.facts.find((f) => f.family === "auth" && f.remoteSrcIp)?.remoteSrcIp;
    if (src) add("block_ioc", src, "The source that guessed the password.");
    if (s.execution || has("lateral_movement")) for (const h of caseHosts.slice(0, 2)) add("isolate_host", h, "Post-login activity on the host.");
  }
  const c2 = s.c2 || s.c2Probable;
  const exfil = s.exfiltration || s.exfilProbable;
  if (c2 || s.execution || exfil) {
    const why = exfil ? "Data left the host for the case's destination." : c2 ? "The host talks to the case's C2 infrastructure." : "Malicious execution on the host.";
    for (const h of uniqueCaseless(a.facts.map((f) => f.host)).slice(0, 3)) add("isolate_host", h, why);
    const hostile = a.facts.filter((f) => hostileIntel(f) || probableExfiltration(a).includes(f) || s.c2 || s.execution);
    for (const f of hostile) {
      const domain = f.dns?.tunnellingShape ? (f.dns.baseDomain ?? f.domain) : f.domain;
      if (domain) add("block_ioc", domain, exfil && !hostileIntel(f) ? "Destination of the data leaving the network." : "C2 domain of the case.");
      if (f.dstIp) add("block_ioc", f.dstIp, "C2 address of the case.");
      // Addresses intel lists for the case (the C2 domain's answers): external by construction, checked anyway.
      for (const m of f.enrichment.threat_intel.matches) if (m.type === "ip" && m.verdict !== "benign") add("block_ioc", m.indicator, `Listed by intel (${m.category ?? "no category"}${m.associated_malware ? `, ${m.associated_malware}` : ""}).`);
    }
    for (const hash of uniqueCaseless(a.facts.map((f) => f.process?.sha256))) add("quarantine_file", hash, "The executed binary.");
  }
  if (has("persistence")) for (const h of caseHosts.slice(0, 1)) add("other", h, "Remove the persistence found (services, tasks, run keys, accounts) after isolation.");
  const urgency: ContainmentUrgency =
    s.credentials || s.bruteSuccess || c2 || exfil || a.facts.some((f) => f.criticality === "critical") ? "immediate" : s.execution ? "within_shift" : "next_available";
  return { urgency, recommendations: recs.map((r, i) => ({ order: i + 1, ...r })) };
}

/** The probable-threat sentence for the root cause when telemetry did not show the traffic itself. */
export function probableThreatDescription(a: CaseAssessment, s: Signals): string | null {
  const exfil = probableExfiltration(a);
  const c2 = probableC2(a);
  const transfer = exfil.map(transferSummary).find(Boolean);
  if (s.exfilProbable && transfer) return `${transfer}${c2.length ? `, infrastructure intel ties to C2 (${c2[0]!.intel.summary})` : ""}: probable exfiltration.`;
  if (s.exfilProbable) {
    const f = exfil[0]!;
    return `${f.host ?? f.hostIp ?? "The host"} sent ${exfil.length} burst(s) of high-entropy DNS queries to ${f.dns?.baseDomain ?? f.domain ?? "one domain"}: probable data tunnelling over DNS.`;
  }
  if (s.c2Probable) {
    const hosts = uniqueCaseless(c2.map((f) => f.host ?? f.hostIp));
    const f = c2[0]!;
    return `${listOf(hosts, 3)} resolved or reached ${f.domain ?? f.dstIp ?? "an indicator"}, which intel ties to C2 (${f.intel.summary}): an implant is probably present.`;
  }
  return null;
}

const domainOf = urlHost;
