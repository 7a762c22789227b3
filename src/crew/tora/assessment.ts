import type { Enrichment, Verdict } from "../../core/index.js";
import { ANSWERED_BY, containmentGap, deadIndicatorGap, describeContainment, describeDeadIndicator, type ClosingBasis } from "./closing.js";
import { HIGH_SIGNAL_TECHNIQUES, alertFacts, isBruteForceSubtype, isLoginSuccessSubtype, type AlertFacts } from "./facts.js";
import type { ToraInput } from "./schema.js";
import { assessSeverity, evasiveTransport, type SeverityAssessment } from "./severity.js";
import type { BehaviourFinding } from "./behaviour.js";
import { describeBenign, describeConfirmed } from "./precedent.js";
import { listOf, uniqueCaseless } from "./text.js";

/**
 * The facts behind TORA's steps 1–3 for a whole case. Both the deterministic analyst and the guardrails
 * compute it from the same input, so a proposal from any analyst is judged against the same evidence.
 */
export interface Evidence {
  id: string;
  weight: number;
  detail: string;
  /**
   * The closing basis that accounts for this evidence on every alert it was found on (tora/closing.ts):
   * it still counts towards escalation, but not against closing.
   */
  answeredBy?: "contained_by_control" | "dead_indicator";
}

export interface BruteForceChain {
  src: string | null;
  host: string | null;
  user: string | null;
  successAlertId: string;
  successTime: string;
  detail: string;
}

export type Axis = "network" | "asset" | "identity";
export const AXES: readonly Axis[] = ["network", "asset", "identity"];

export interface AxisSignal {
  signal: boolean;
  detail: string;
}

export interface FalsePositiveAssessment {
  /** A closing basis holds on every alert and nothing it cannot answer stands against it. */
  closable: boolean;
  /** Closable as a false positive or benign true positive (the output's `likely_false_positive`). */
  likely: boolean;
  /** Closable as a true positive that a control contained: every alert has the contained_by_control basis. */
  contained: boolean;
  /** The bases found on each alert, in case order. */
  bases: ClosingBasis[][];
  disposition: Verdict;
  reasoning: string;
  suppressionId: string | null;
  findings: string[];
  ruledOut: string[];
}

export interface ContextAssessment {
  axes: Record<Axis, AxisSignal>;
  axesWithSignal: number;
  sufficient: boolean;
  completeness: Enrichment["meta"]["context_completeness"];
  missingFields: string[];
  blockingFields: string[];
  /**
   * Every alert is covered by a valid suppression, there is no malicious evidence at all and at least one
   * axis carries signal: the SOC's own approved context stands in for the missing axes when closing.
   */
  suppressionBacked: boolean;
  /**
   * Every alert is covered by an analyst precedent (or a suppression), at least one by a precedent, with no
   * malicious evidence at all: the analysts' consistent dispositions stand in for the silent axes when closing.
   */
  precedentBacked: boolean;
  /** Analyst dispositions exist for the case's shapes: signal on the history axis (crew.md step 3). */
  historySignal: boolean;
  /** Enough context to close: two axes with signal, or a suppression- or precedent-backed closure. */
  closeSufficient: boolean;
  /** The hypothesis has axis data to stand on: a pivot (host, address, user, sender) from an axis with signal. */
  grounded: boolean;
  findings: string[];
}

export interface ConfidenceAssessment {
  base: number;
  detector: number;
  axes: number;
  completeness: number;
  support: number;
  malicious: number;
  /** The malicious evidence that counts against closing: what no closing basis accounts for. */
  maliciousAgainstClose: number;
  benign: number;
  /** Confidence that the case deserves investigation (the escalation direction). */
  escalate: number;
  /** Confidence that the case is benign noise (the closing direction). */
  close: number;
  capped: boolean;
  formula: string;
}

export interface CaseAssessment {
  caseId: string;
  now: string;
  facts: AlertFacts[];
  primary: AlertFacts;
  severity: SeverityAssessment;
  spreadAssets: string[];
  hosts: string[];
  singleAsset: boolean;
  bruteForceChain: BruteForceChain | null;
  credentialsSubmitted: boolean;
  activeC2OnCritical: AlertFacts | null;
  maliciousEvidence: Evidence[];
  benignEvidence: Evidence[];
  fp: FalsePositiveAssessment;
  context: ContextAssessment;
  confidence: ConfidenceAssessment;
  /** Attacker behaviour the alerts' own content carries (tora/behaviour.ts), one entry per kind. */
  behaviour: (BehaviourFinding & { alertId: string })[];
  /** The strongest confirmed-attack precedent among the alerts (analysts judged the shape malicious). */
  confirmedPrecedent: { alertId: string; detail: string } | null;
  /**
   * crew.md step 4: every alert carries a benign analyst precedent, the case carries no attacker behaviour,
   * no intel match, no other malicious evidence, and the source called it low or informational (or sent no
   * severity): the asset-based forced rules give way, judged on the severity without asset factors.
   */
  precedentWaiver: boolean;
}

/**
 * Confidence, 0–100, from evidence only:
 *   support  = 5 + detector (source confidence / 10, 5 when unknown)
 *                + 12 × axes with real signal (network, asset, identity)
 *                + completeness (complete 14, partial 7, insufficient 0)
 *   escalate = support + malicious evidence − ⌈benign evidence / 2⌉
 *   close    = support + benign evidence − malicious evidence no closing basis accounts for
 * Each evidence side is the sum of its weights below, capped at EVIDENCE_CAP. Closing confidence is
 * confidence that nothing further is needed, so evidence a closing basis accounts for (tora/closing.ts:
 * the intel on a contained phishing e-mail, the stale intel on a dead indicator) does not count against
 * it. With fewer than two axes of signal both directions are capped at 59: intel may corroborate, it
 * never rescues thin context.
 *
 * Suppression-backed closure: when every alert is covered by a valid suppression (in force, ≤ 90 days,
 * no hostile intel), there is no malicious evidence at all and at least one axis carries signal, the
 * suppression is human-approved SOC context (crew.md memory layer 3) about exactly this activity. It
 * stands in for what the silent axes and missing fields would have told: close support is credited as
 * if all three axes had signal and the context were complete, and the 59 cap does not apply to closing.
 * Escalation is never credited this way.
 */
export const CONFIDENCE_WEIGHTS = {
  base: 5,
  perAxis: 12,
  completeness: { complete: 14, partial: 7, insufficient: 0 },
  insufficientContextCap: 59,
} as const;
export const EVIDENCE_CAP = 45;

/** Malicious evidence weights. */
export const MALICIOUS_WEIGHTS = {
  intel_strong: 20,
  intel_moderate: 12,
  intel_weak: 4,
  intel_stale: 2,
  dns_resolved_malicious: 5,
  tunnelling_shape: 8,
  evasive_transport: 4,
  fast_flux_answers: 6,
  repeated_indicator: 5,
  indicator_on_multiple_assets: 8,
  bruteforce_then_success: 20,
  credentials_submitted: 25,
  page_loaded: 10,
  gateway_flagged: 12,
  delivered_despite_verdict: 5,
  multiple_recipients: 5,
  email_auth_failure: 5,
  suspicious_lineage: 12,
  high_signal_technique: 6,
  unsigned_process: 5,
  identity_anomaly: 5,
  attacker_behaviour: 20,
  analyst_confirmed_attack: 20,
} as const;

/**
 * Benign evidence weights. A past disposition ("seen before") weighs nothing: it never closes alone.
 * contained_by_control weighs more than a suppression: a control acted on this very item, where a
 * suppression is a standing judgement about a class of activity.
 */
export const BENIGN_WEIGHTS = {
  suppression: 30,
  known_vendor_signature: 10,
  intel_benign: 20,
  nxdomain: 5,
  contained_by_control: 35,
  dead_indicator: 30,
  analyst_precedent: 30,
} as const;

const COMPLETENESS_ORDER = ["insufficient", "partial", "complete"] as const;

export function assessCase(input: ToraInput): CaseAssessment {
  const facts = input.alerts.map((a) => alertFacts(a.alert, a.enrichment, input.now, input.suppressions));
  const spreadAssets = indicatorSpread(facts);
  const hosts = uniqueCaseless(facts.map((f) => f.host ?? f.hostIp));
  const multiRecipient = facts.some((f) => (f.email?.recipientCount ?? 0) > 1);
  const bruteForceChain = findBruteForceChain(facts);
  const credentialsSubmitted = facts.some((f) => f.email?.credentialsSubmitted === true);
  const closing = closingFacts(facts, spreadAssets);
  const severity = assessSeverity(facts, spreadAssets, closing.contained);
  const maliciousEvidence = collectMalicious(facts, spreadAssets, bruteForceChain, closing.answering);
  const benignEvidence = collectBenign(facts, closing);
  const primary = choosePrimary(facts, bruteForceChain);
  const activeC2OnCritical =
    facts.find(
      (f) =>
        f.criticality === "critical" &&
        (f.intel.verdict === "malicious" || f.intel.verdict === "suspicious") &&
        (f.intel.strength === "strong" || f.intel.strength === "moderate") &&
        (f.dns ? f.dns.resolved === true : f.dstIp !== null || f.domain !== null),
    ) ?? null;
  const suppressionCovered = closing.bases.every((b) => b.includes("suppression")) && sumCapped(maliciousEvidence) === 0;
  const precedentCovered =
    closing.bases.some((b) => b.includes("analyst_precedent")) &&
    closing.bases.every((b) => b.includes("analyst_precedent") || b.includes("suppression")) &&
    sumCapped(maliciousEvidence) === 0;
  const context = assessContext(facts, primary, suppressionCovered, precedentCovered);
  const confidence = computeConfidence(facts, context, maliciousEvidence, benignEvidence);
  const fp = assessFalsePositive(facts, closing, maliciousEvidence, benignEvidence, bruteForceChain, credentialsSubmitted);
  const behaviour: CaseAssessment["behaviour"] = [];
  for (const f of facts) for (const b of f.behaviour) if (!behaviour.some((x) => x.kind === b.kind)) behaviour.push({ ...b, alertId: f.alertId });
  const confirmedOn = facts.filter((f) => f.precedent.confirmed).sort((x, y) => y.precedent.confirmed!.malicious - x.precedent.confirmed!.malicious)[0];
  const confirmedPrecedent = confirmedOn ? { alertId: confirmedOn.alertId, detail: describeConfirmed(confirmedOn.precedent.confirmed!) } : null;
  const lowSource = facts.every((f) => f.sourceSeverity === "low" || f.sourceSeverity === "informational" || f.severityUnsent);
  const precedentWaiver =
    closing.bases.every((b) => b.includes("analyst_precedent")) &&
    behaviour.length === 0 &&
    facts.every((f) => f.enrichment.threat_intel.matches.every((m) => m.verdict === "benign")) &&
    sumCapped(maliciousEvidence) === 0 &&
    lowSource &&
    !bruteForceChain &&
    !credentialsSubmitted;
  return {
    caseId: input.caseId,
    now: input.now,
    facts,
    primary,
    severity,
    spreadAssets,
    hosts,
    singleAsset: hosts.length <= 1 && spreadAssets.length < 2 && !multiRecipient,
    bruteForceChain,
    credentialsSubmitted,
    activeC2OnCritical,
    maliciousEvidence,
    benignEvidence,
    fp,
    context,
    confidence,
    behaviour,
    confirmedPrecedent,
    precedentWaiver,
  };
}

/** Assets on which the case's indicator has been seen: history plus the case's own alerts. */
function indicatorSpread(facts: AlertFacts[]): string[] {
  const assets: string[] = [];
  for (const f of facts) {
    const seen = f.enrichment.history.same_indicator_assets;
    if (seen.length > 0) assets.push(...seen, ...(f.host ? [f.host] : []));
  }
  const hostsByIndicator = new Map<string, string[]>();
  for (const f of facts) {
    const host = f.host ?? f.hostIp;
    if (!host) continue;
    const indicators = uniqueCaseless([f.domain, f.family === "auth" ? f.srcIp : f.dstIp, f.intel.best?.indicator]);
    for (const indicator of indicators) {
      const key = indicator.toLowerCase();
      hostsByIndicator.set(key, [...(hostsByIndicator.get(key) ?? []), host]);
    }
  }
  for (const hosts of hostsByIndicator.values()) if (uniqueCaseless(hosts).length >= 2) assets.push(...hosts);
  return uniqueCaseless(assets);
}

function isBruteForce(f: AlertFacts): boolean {
  return isBruteForceSubtype(f.subtype) || isBruteForceSubtype(f.ruleId) || isBruteForceSubtype(f.ruleTitle);
}

function isLoginSuccess(f: AlertFacts): boolean {
  return isLoginSuccessSubtype(f.subtype) || isLoginSuccessSubtype(f.ruleId);
}

/**
 * Brute force followed by a successful login from the same source: within the case, or a brute-force
 * alert among the success alert's related (earlier) alerts. A related alert is recognised by subtype
 * or rule id; its free-text title is consulted only when it has neither, and can then only add caution.
 */
export function findBruteForceChain(facts: AlertFacts[]): BruteForceChain | null {
  for (const s of facts) {
    // The guessing source: the success alert's remote source, or (a C2 lookup made by the host itself
    // carries none) the remote source of a brute-force alert of the case.
    const attacker = s.remoteSrcIp ?? facts.find((b) => b !== s && isBruteForce(b) && b.remoteSrcIp)?.remoteSrcIp ?? null;
    const chain = (detail: string): BruteForceChain => ({
      src: attacker,
      host: s.host,
      user: s.user,
      successAlertId: s.alertId,
      successTime: s.time,
      detail,
    });
    if (/bruteforce_c2/.test(s.subtype))
      return chain(`subtype ${s.subtype}: SSH brute force${attacker ? ` from ${attacker}` : ""} succeeded on ${s.host ?? "the host"}, then C2 DNS`);
    if (!isLoginSuccess(s)) continue;
    for (const b of facts) {
      if (b === s || !isBruteForce(b) || Date.parse(b.time) > Date.parse(s.time)) continue;
      const sameSource = b.srcIp && s.srcIp ? b.srcIp === s.srcIp : !!b.host && !!s.host && b.host.toLowerCase() === s.host.toLowerCase();
      if (sameSource)
        return chain(
          `${b.subtype} from ${b.srcIp ?? "?"} at ${b.time} then ${s.subtype} from ${s.srcIp ?? "?"} on ${s.host ?? "?"}${s.user ? ` as ${s.user}` : ""} at ${s.time} (both in this case)`,
        );
    }
    for (const r of s.enrichment.history.related_alerts) {
      const brute =
        isBruteForceSubtype(r.subtype) || isBruteForceSubtype(r.rule_id) || (!r.subtype && !r.rule_id && /brute|spray/i.test(r.title));
      if (!brute || Date.parse(r.time) > Date.parse(s.time)) continue;
      // Shared entities read "src.ip:203.0.113.9", "ip:…", "host:…" (context/history.ts).
      const sameSource = s.srcIp ? r.shared.some((entity) => entity === s.srcIp || entity.slice(entity.indexOf(":") + 1) === s.srcIp) : r.shared.length > 0;
      if (sameSource)
        return chain(
          `earlier alert ${r.alert_id} (${r.subtype ?? r.rule_id ?? "brute force"}, ${r.time}, shares ${listOf(r.shared)}) then ${s.subtype} from ${s.srcIp ?? "?"} on ${s.host ?? "?"}${s.user ? ` as ${s.user}` : ""} at ${s.time}`,
        );
    }
  }
  return null;
}

function intelIsHostile(f: AlertFacts): boolean {
  return f.intel.verdict === "malicious" || f.intel.verdict === "suspicious";
}

function perAlertMalicious(f: AlertFacts): Evidence[] {
  const out: Evidence[] = [];
  if (intelIsHostile(f) && f.intel.strength !== "none") {
    const key = `intel_${f.intel.strength}` as "intel_strong" | "intel_moderate" | "intel_weak" | "intel_stale";
    const weight = MALICIOUS_WEIGHTS[key];
    out.push({ id: key, weight: f.intel.verdict === "suspicious" ? Math.ceil(weight / 2) : weight, detail: f.intel.summary });
    if (f.dns?.resolved === true)
      out.push({ id: "dns_resolved_malicious", weight: MALICIOUS_WEIGHTS.dns_resolved_malicious, detail: `${f.domain} resolved (NOERROR): the lookup succeeded` });
  }
  if (f.dns?.tunnellingShape)
    out.push({ id: "tunnelling_shape", weight: MALICIOUS_WEIGHTS.tunnelling_shape, detail: `subdomain of ${f.dns.baseDomain} is ${f.dns.subdomain.length} chars, entropy ${f.dns.entropy}` });
  // Tunnelling shape is weighed above; this is the transport itself (DoH/DoT, odd port or query type).
  const oddTransport = f.dns ? !!f.dns.encrypted || f.dns.unusualPort !== null || !!f.dns.unusualQueryType : f.abusedPort !== null;
  if (oddTransport) out.push({ id: "evasive_transport", weight: MALICIOUS_WEIGHTS.evasive_transport, detail: evasiveTransport(f)! });
  if (f.subtype.includes("fast_flux") && (f.dns?.answers.length ?? 0) >= 5)
    out.push({ id: "fast_flux_answers", weight: MALICIOUS_WEIGHTS.fast_flux_answers, detail: `${f.domain} answered with ${f.dns!.answers.length} addresses` });
  if (f.enrichment.history.same_indicator_count >= 1)
    out.push({ id: "repeated_indicator", weight: MALICIOUS_WEIGHTS.repeated_indicator, detail: `same indicator seen ${f.enrichment.history.same_indicator_count} time(s) before` });
  if (f.email) {
    if (f.email.credentialsSubmitted)
      out.push({ id: "credentials_submitted", weight: MALICIOUS_WEIGHTS.credentials_submitted, detail: "credentials were submitted to the linked page" });
    if (f.email.pageLoaded) out.push({ id: "page_loaded", weight: MALICIOUS_WEIGHTS.page_loaded, detail: "the linked page was loaded" });
    if (f.email.gatewayFlaggedMalicious)
      out.push({ id: "gateway_flagged", weight: MALICIOUS_WEIGHTS.gateway_flagged, detail: `gateway verdict ${f.email.gatewayVerdict}` });
    if (f.email.gatewayFlaggedMalicious && f.email.gatewayAction && !f.email.gatewayBlocked)
      out.push({ id: "delivered_despite_verdict", weight: MALICIOUS_WEIGHTS.delivered_despite_verdict, detail: `delivered (${f.email.gatewayAction}) despite gateway verdict ${f.email.gatewayVerdict}` });
    if ((f.email.recipientCount ?? 0) > 1)
      out.push({ id: "multiple_recipients", weight: MALICIOUS_WEIGHTS.multiple_recipients, detail: `${f.email.recipientCount} recipients` });
    if (f.email.authFailures.length)
      out.push({ id: "email_auth_failure", weight: MALICIOUS_WEIGHTS.email_auth_failure, detail: f.email.authFailures.join(", ") });
  }
  if (f.process?.suspiciousLineage)
    out.push({ id: "suspicious_lineage", weight: MALICIOUS_WEIGHTS.suspicious_lineage, detail: `${f.process.parent} started ${f.process.name}` });
  const techniques = f.alert.attack.techniques.filter((t) => HIGH_SIGNAL_TECHNIQUES.some((h) => t === h || t.startsWith(`${h}.`)));
  if (techniques.length)
    out.push({ id: "high_signal_technique", weight: MALICIOUS_WEIGHTS.high_signal_technique, detail: `detection mapped to ${techniques.join(", ")}` });
  if (f.process?.signed === false)
    out.push({ id: "unsigned_process", weight: MALICIOUS_WEIGHTS.unsigned_process, detail: `${f.process.name ?? "the process"} is unsigned` });
  if (f.behaviour.length)
    out.push({ id: "attacker_behaviour", weight: MALICIOUS_WEIGHTS.attacker_behaviour, detail: `attacker behaviour: ${f.behaviour.map((x) => `${x.kind} (${x.via})`).join("; ")}` });
  const confirmed = f.precedent.confirmed;
  if (confirmed)
    out.push({
      id: "analyst_confirmed_attack",
      weight: confirmed.malicious >= confirmed.benign ? MALICIOUS_WEIGHTS.analyst_confirmed_attack : Math.ceil(MALICIOUS_WEIGHTS.analyst_confirmed_attack / 2),
      detail: describeConfirmed(confirmed),
    });
  const identity = f.enrichment.identity;
  if (identity && (identity.recent_anomaly || (identity.risk_score ?? 0) >= 70))
    out.push({
      id: "identity_anomaly",
      weight: MALICIOUS_WEIGHTS.identity_anomaly,
      detail: `${identity.username}: ${identity.recent_anomaly ? "recent anomaly" : ""}${identity.recent_anomaly && (identity.risk_score ?? 0) >= 70 ? ", " : ""}${(identity.risk_score ?? 0) >= 70 ? `risk ${identity.risk_score}` : ""}`,
    });
  return out;
}

function collectMalicious(
  facts: AlertFacts[],
  spreadAssets: string[],
  chain: BruteForceChain | null,
  answering: ReadonlyMap<string, "contained_by_control" | "dead_indicator">,
): Evidence[] {
  const all = facts.flatMap((f) => {
    const basis = answering.get(f.alertId);
    return perAlertMalicious(f).map((e): Evidence => (basis && ANSWERED_BY[basis].has(e.id) ? { ...e, answeredBy: basis } : e));
  });
  if (spreadAssets.length >= 2)
    all.push({ id: "indicator_on_multiple_assets", weight: MALICIOUS_WEIGHTS.indicator_on_multiple_assets, detail: `indicator on ${listOf(spreadAssets)}` });
  if (chain) all.push({ id: "bruteforce_then_success", weight: MALICIOUS_WEIGHTS.bruteforce_then_success, detail: chain.detail });
  return strongestPerId(all);
}

/** What the closing bases of tora/closing.ts find on each alert of the case. */
interface ClosingFacts {
  /** Ids of the alerts that are contained deliveries. */
  contained: ReadonlySet<string>;
  /** Ids of the alerts that are dead-indicator lookups. */
  dead: ReadonlySet<string>;
  /** Per alert id, the basis whose accounted-for evidence does not count against closing. */
  answering: ReadonlyMap<string, "contained_by_control" | "dead_indicator">;
  /** The bases on each alert, in case order. */
  bases: ClosingBasis[][];
  /** Per alert, in case order: each basis found, or why a near candidate does not hold. */
  notes: string[][];
}

/** Hostile intel that is current (not stale): news a suppression's approver never weighed. */
function currentHostileIntel(f: AlertFacts): boolean {
  return intelIsHostile(f) && f.intel.strength !== "none" && f.intel.strength !== "stale";
}

function closingFacts(facts: AlertFacts[], spreadAssets: string[]): ClosingFacts {
  const contained = new Set<string>();
  const dead = new Set<string>();
  const answering = new Map<string, "contained_by_control" | "dead_indicator">();
  const bases: ClosingBasis[][] = [];
  const notes: string[][] = [];
  for (const f of facts) {
    const basis: ClosingBasis[] = [];
    const note: string[] = [];
    if (f.suppression?.valid) {
      if (currentHostileIntel(f))
        note.push(`suppression ${f.suppression.id} does not answer current hostile intel (${f.intel.summary}): news its approver never weighed.`);
      else basis.push("suppression");
    }
    if (f.intel.verdict === "benign") basis.push("intel_benign");
    if (f.precedent.benign) {
      if (f.behaviour.length) note.push(`analyst precedent does not answer attacker behaviour (${f.behaviour.map((b) => b.kind).join(", ")}).`);
      else if (intelIsHostile(f) && f.intel.strength !== "none") note.push(`analyst precedent does not answer a hostile intel match (${f.intel.summary}).`);
      else {
        basis.push("analyst_precedent");
        note.push(`Analyst precedent: ${describeBenign(f.precedent.benign, f.enrichment.precedent!.max_age_days)}.`);
      }
    }
    if (f.family === "phishing" && f.email) {
      const gap = containmentGap(f, facts);
      if (gap === null) {
        basis.push("contained_by_control");
        contained.add(f.alertId);
        answering.set(f.alertId, "contained_by_control");
        note.push(`Contained by a control: ${describeContainment(f)}. A true positive that needs nothing further.`);
      } else if (f.email.gatewayBlocked) note.push(`The gateway kept the message out, but it is not treated as contained: ${gap}.`);
    }
    if (f.dns?.resolved === false) {
      const gap = deadIndicatorGap(f, perAlertMalicious(f).map((e) => e.id), spreadAssets);
      if (gap === null) {
        basis.push("dead_indicator");
        dead.add(f.alertId);
        answering.set(f.alertId, "dead_indicator");
        note.push(`Dead indicator: ${describeDeadIndicator(f)}. No connection could follow: a false positive of the detection.`);
      } else if (intelIsHostile(f)) note.push(`NXDOMAIN, but not a dead indicator: ${gap}.`);
    }
    bases.push(basis);
    notes.push(note);
  }
  return { contained, dead, answering, bases, notes };
}

function collectBenign(facts: AlertFacts[], closing: ClosingFacts): Evidence[] {
  const all: Evidence[] = [];
  facts.forEach((f, i) => {
    const bases = closing.bases[i]!;
    if (f.suppression?.valid && bases.includes("suppression"))
      all.push({
        id: "suppression",
        weight: BENIGN_WEIGHTS.suppression,
        detail: `suppression ${f.suppression.id} (${f.suppression.ageDays} days old, by ${f.suppression.author}): ${f.suppression.reason.trim().replace(/[.\s]+$/, "")}`,
      });
    if (f.process?.knownVendor)
      all.push({ id: "known_vendor_signature", weight: BENIGN_WEIGHTS.known_vendor_signature, detail: `${f.process.name ?? "process"} signed by ${f.process.signer}` });
    if (f.intel.verdict === "benign")
      all.push({ id: "intel_benign", weight: BENIGN_WEIGHTS.intel_benign, detail: `threat intel verdict benign for ${f.intel.best?.indicator ?? f.domain ?? f.dstIp ?? "the indicator"}` });
    if (f.dns?.resolved === false && !f.dns.tunnellingShape)
      all.push({ id: "nxdomain", weight: BENIGN_WEIGHTS.nxdomain, detail: `${f.domain} did not resolve (NXDOMAIN)` });
    if (bases.includes("contained_by_control"))
      all.push({ id: "contained_by_control", weight: BENIGN_WEIGHTS.contained_by_control, detail: `contained by a control: ${describeContainment(f)}` });
    if (bases.includes("dead_indicator"))
      all.push({ id: "dead_indicator", weight: BENIGN_WEIGHTS.dead_indicator, detail: `dead indicator: ${describeDeadIndicator(f)}` });
    if (bases.includes("analyst_precedent"))
      all.push({ id: "analyst_precedent", weight: BENIGN_WEIGHTS.analyst_precedent, detail: `analyst precedent: ${describeBenign(f.precedent.benign!, f.enrichment.precedent!.max_age_days)}` });
  });
  return strongestPerId(all);
}

/** One entry per id at its strongest weight; it stays answered only if every alert's instance was. */
function strongestPerId(evidence: Evidence[]): Evidence[] {
  const byId = new Map<string, Evidence>();
  for (const e of evidence) {
    const current = byId.get(e.id);
    if (!current) {
      byId.set(e.id, e);
      continue;
    }
    const answeredBy = current.answeredBy && current.answeredBy === e.answeredBy ? current.answeredBy : undefined;
    const stronger = e.weight > current.weight ? e : current;
    const merged: Evidence = { id: stronger.id, weight: stronger.weight, detail: stronger.detail };
    if (answeredBy) merged.answeredBy = answeredBy;
    byId.set(e.id, merged);
  }
  return [...byId.values()];
}

function sumCapped(evidence: Evidence[]): number {
  return Math.min(EVIDENCE_CAP, evidence.reduce((sum, e) => sum + e.weight, 0));
}

/** The malicious evidence that counts against closing. */
export function againstClose(malicious: Evidence[]): Evidence[] {
  return malicious.filter((e) => !e.answeredBy);
}

function choosePrimary(facts: AlertFacts[], chain: BruteForceChain | null): AlertFacts {
  if (chain) return facts.find((f) => f.alertId === chain.successAlertId)!;
  const credentials = facts.find((f) => f.email?.credentialsSubmitted);
  if (credentials) return credentials;
  const rank = (f: AlertFacts) => ["informational", "low", "medium", "high", "critical"].indexOf(f.sourceSeverity) * 100 + sumCapped(perAlertMalicious(f));
  let best = facts[0]!;
  for (const f of facts.slice(1)) {
    if (rank(f) > rank(best) || (rank(f) === rank(best) && Date.parse(f.time) < Date.parse(best.time))) best = f;
  }
  return best;
}

function networkSignal(f: AlertFacts): AxisSignal {
  if (f.family === "phishing" && f.email) {
    const domains = uniqueCaseless(f.email.links.map(hostOfUrl));
    if (f.email.sender || f.email.links.length)
      return { signal: true, detail: `delivery path: sender ${f.email.sender ?? "unknown"}, ${f.email.links.length} link(s)${domains.length ? ` to ${listOf(domains)}` : ""}` };
  }
  if (f.family === "auth" && f.remoteSrcIp)
    return { signal: true, detail: `${f.remoteSrcIp} → ${f.host ?? f.dstIp ?? "?"}${f.port !== null ? `:${f.port}` : ""}${f.protocol ? ` (${f.protocol})` : ""}` };
  if (f.domain || f.dstIp) {
    const dns = f.dns ? ` (${[f.dns.queryType, f.dns.responseCode].filter(Boolean).join(", ") || "DNS"})` : "";
    const dst = [f.domain, f.dstIp].filter(Boolean).join(" / ");
    return { signal: true, detail: `${f.host ?? f.srcIp ?? "source"} → ${dst}${f.port !== null && !f.dns ? `:${f.port}` : ""}${dns}` };
  }
  return { signal: false, detail: "no destination, domain or remote source on the alert" };
}

function hostOfUrl(url: string): string | null {
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

function assetSignal(f: AlertFacts): AxisSignal {
  const asset = f.enrichment.asset;
  if (asset) {
    const extra = [
      asset.owner ? `owner ${asset.owner}` : null,
      asset.network_segment ? `segment ${asset.network_segment}` : null,
      asset.edr_present === undefined ? null : asset.edr_present ? "EDR present" : "no EDR",
      asset.crown_jewel_adjacent ? "crown-jewel adjacent" : null,
    ].filter(Boolean);
    return { signal: true, detail: `${asset.hostname}: criticality ${asset.criticality ?? "unknown"}, ${asset.environment ?? "environment unknown"}${extra.length ? `, ${extra.join(", ")}` : ""}` };
  }
  if (f.host) return { signal: false, detail: `host ${f.host} is not in the CMDB` };
  if (f.hostIp) return { signal: false, detail: `address ${f.hostIp} maps to no CMDB asset` };
  return { signal: false, detail: "no host on the alert" };
}

function identitySignal(f: AlertFacts): AxisSignal {
  const identity = f.enrichment.identity;
  if (identity) {
    const extra = [
      identity.mfa_enabled === undefined ? null : identity.mfa_enabled ? "MFA" : "no MFA",
      identity.risk_score === undefined ? null : `risk ${identity.risk_score}`,
      identity.recent_anomaly ? "recent anomaly" : null,
      identity.department ?? null,
    ].filter(Boolean);
    return { signal: true, detail: `${identity.username}: ${identity.user_type}, ${identity.privilege_level}${extra.length ? `, ${extra.join(", ")}` : ""}` };
  }
  if (f.builtinPrincipal)
    return {
      signal: false,
      detail: `${f.user ?? f.builtinPrincipal} is a built-in principal (${f.builtinPrincipal}), the operating system itself rather than a directory identity: no record exists to look up, so nothing is missing`,
    };
  if (f.user) return { signal: false, detail: `user ${f.user} is not in the directory` };
  return { signal: false, detail: "no user on the alert" };
}

/** `suppressionCovered`: every alert has a valid suppression basis and there is no malicious evidence. */
function assessContext(facts: AlertFacts[], primary: AlertFacts, suppressionCovered: boolean, precedentCovered: boolean): ContextAssessment {
  const signalOf = (read: (f: AlertFacts) => AxisSignal): AxisSignal => {
    const signals = facts.map(read);
    return signals.find((s) => s.signal) ?? signals.find((s) => s.detail !== signals[0]?.detail) ?? signals[0]!;
  };
  const axes: Record<Axis, AxisSignal> = {
    network: signalOf(networkSignal),
    asset: signalOf(assetSignal),
    identity: signalOf(identitySignal),
  };
  // Analyst dispositions of the case's shapes are signal on the history axis (crew.md step 3, revised).
  const historySignal = facts.some((f) => f.precedent.any);
  const axesWithSignal = AXES.filter((axis) => axes[axis].signal).length + (historySignal ? 1 : 0);
  let completeness: ContextAssessment["completeness"] = "complete";
  for (const f of facts) {
    const c = f.enrichment.meta.context_completeness;
    if (COMPLETENESS_ORDER.indexOf(c) < COMPLETENESS_ORDER.indexOf(completeness)) completeness = c;
  }
  const missingFields = [...new Set(facts.flatMap((f) => f.enrichment.meta.missing_fields))];
  const silentAxes = AXES.filter((axis) => !axes[axis].signal);
  const underSilent = missingFields.filter((path) => silentAxes.some((axis) => path === axis || path.startsWith(`${axis}.`)));
  const blockingFields = underSilent.length ? underSilent : silentAxes.length && axesWithSignal < 2 ? silentAxes.map(String) : [];
  const sufficient = axesWithSignal >= 2;
  const suppressionBacked = suppressionCovered && axesWithSignal >= 1;
  const precedentBacked = precedentCovered && axesWithSignal >= 1;
  const closeSufficient = sufficient || suppressionBacked || precedentBacked;
  const pivot =
    (axes.asset.signal && primary.host) ||
    (axes.network.signal && (primary.domain ?? primary.dstIp ?? primary.srcIp ?? primary.email?.sender)) ||
    (axes.identity.signal && primary.user);
  const grounded = sufficient && !!pivot;
  const findings = [
    ...AXES.map((axis) => `${axis}: ${axes[axis].signal ? "signal" : "no signal"} — ${axes[axis].detail}.`),
    `history: ${historySignal ? "signal — analyst dispositions of this shape" : "no signal — no analyst disposition of this shape"}.`,
    `Threat intel (corroboration only, never an axis): ${facts.map((f) => f.intel.summary).join("; ")}.`,
    `Completeness ${completeness}; missing fields: ${missingFields.length ? missingFields.join(", ") : "none"}.`,
    grounded
      ? `The hypothesis stands on axis data (pivot ${pivot}).`
      : sufficient
        ? "No concrete pivot on the axes to test a hypothesis against."
        : `Only ${axesWithSignal} of 3 axes carry signal; at least 2 are needed.`,
  ];
  if (suppressionBacked && !sufficient)
    findings.push(
      `Suppression-backed closure: every alert is covered by a valid suppression and there is no malicious evidence, so the approved suppression — human SOC context (crew.md memory layer 3) about exactly this activity — stands in for the silent axes. The two-axis rule guards TORA's own judgement; here the judgement is a human's standing decision. It allows closing only, never escalating.`,
    );
  else if (suppressionBacked)
    findings.push("Suppression-backed: every alert is covered by a valid suppression and there is no malicious evidence; the approved suppression stands in for any missing field when closing.");
  if (precedentBacked && !sufficient)
    findings.push("Precedent-backed closure: every alert is covered by a consistent benign analyst precedent and there is no malicious evidence; the analysts' dispositions stand in for the silent axes. It allows closing only.");
  return { axes, axesWithSignal, sufficient, completeness, missingFields, blockingFields, suppressionBacked, precedentBacked, historySignal, closeSufficient, grounded, findings };
}

function computeConfidence(
  facts: AlertFacts[],
  context: ContextAssessment,
  malicious: Evidence[],
  benign: Evidence[],
): ConfidenceAssessment {
  const known = facts.map((f) => f.detectorConfidence).filter((c): c is number => c !== null);
  const detector = Math.round((known.length ? Math.max(...known) : 50) / 10);
  const axes = CONFIDENCE_WEIGHTS.perAxis * context.axesWithSignal;
  const completeness = CONFIDENCE_WEIGHTS.completeness[context.completeness];
  const support = CONFIDENCE_WEIGHTS.base + detector + axes + completeness;
  const m = sumCapped(malicious);
  const mClose = sumCapped(againstClose(malicious));
  const answered = malicious.filter((e) => e.answeredBy);
  const b = sumCapped(benign);
  const clamp = (value: number) => Math.max(0, Math.min(100, value));
  let escalate = clamp(support + m - Math.ceil(b / 2));
  // Suppression-backed: the approved suppression stands in for the silent axes and missing fields.
  const closeSupport = context.suppressionBacked || context.precedentBacked
    ? CONFIDENCE_WEIGHTS.base + detector + CONFIDENCE_WEIGHTS.perAxis * AXES.length + CONFIDENCE_WEIGHTS.completeness.complete
    : support;
  let close = clamp(closeSupport + b - mClose);
  const capEscalate = !context.sufficient && escalate > CONFIDENCE_WEIGHTS.insufficientContextCap;
  const capClose = !context.closeSufficient && close > CONFIDENCE_WEIGHTS.insufficientContextCap;
  if (!context.sufficient) escalate = Math.min(escalate, CONFIDENCE_WEIGHTS.insufficientContextCap);
  if (!context.closeSufficient) close = Math.min(close, CONFIDENCE_WEIGHTS.insufficientContextCap);
  const answeredNote = answered.length
    ? ` (${sumCapped(answered)} of the malicious evidence — ${answered.map((e) => e.id).join(", ")} — is accounted for by ${[...new Set(answered.map((e) => e.answeredBy))].join(", ")} and does not count against closing)`
    : "";
  const closeTerm = context.suppressionBacked || context.precedentBacked
    ? `close ${close} = ${context.suppressionBacked ? "suppression" : "precedent"}-backed support ${closeSupport} (base ${CONFIDENCE_WEIGHTS.base} + detector ${detector} + axes ${CONFIDENCE_WEIGHTS.perAxis * AXES.length} and completeness ${CONFIDENCE_WEIGHTS.completeness.complete} credited by the suppression) + ${b} − ${mClose}`
    : `close ${close} = support + ${b} − ${mClose}${answeredNote}`;
  const formula =
    `support ${support} = base ${CONFIDENCE_WEIGHTS.base} + detector ${detector} + axes ${axes} (${context.axesWithSignal}×${CONFIDENCE_WEIGHTS.perAxis}) + completeness ${completeness} (${context.completeness}); ` +
    `malicious evidence ${m}, benign evidence ${b}; escalate ${escalate} = support + ${m} − ${Math.ceil(b / 2)}; ${closeTerm}` +
    (capEscalate || capClose ? `; ${capEscalate && capClose ? "both" : capEscalate ? "escalate" : "close"} capped at ${CONFIDENCE_WEIGHTS.insufficientContextCap} (fewer than 2 axes)` : "");
  return {
    base: CONFIDENCE_WEIGHTS.base,
    detector,
    axes,
    completeness,
    support,
    malicious: m,
    maliciousAgainstClose: mClose,
    benign: b,
    escalate,
    close,
    capped: capEscalate || capClose,
    formula,
  };
}

function assessFalsePositive(
  facts: AlertFacts[],
  closing: ClosingFacts,
  malicious: Evidence[],
  benign: Evidence[],
  chain: BruteForceChain | null,
  credentialsSubmitted: boolean,
): FalsePositiveAssessment {
  const findings: string[] = [];
  const ruledOut: string[] = [];
  const bases = closing.bases;
  facts.forEach((f, i) => {
    const label = facts.length > 1 ? `${f.alertId.slice(0, 8)}: ` : "";
    if (!f.suppression) findings.push(`${label}no suppression matches.`);
    else if (f.suppression.valid)
      findings.push(
        `${label}suppression ${f.suppression.id} matches (in force, ${f.suppression.ageDays} days old ≤ 90${f.suppression.expiresAt ? `, expires ${f.suppression.expiresAt}` : ""}, by ${f.suppression.author}: ${f.suppression.reason}).`,
      );
    else findings.push(`${label}suppression ${f.suppression.id} matches but does not count: ${f.suppression.rejection}.`);
    if (f.process) {
      if (f.process.knownVendor) findings.push(`${label}${f.process.name ?? "process"} carries a valid signature from ${f.process.signer} (known vendor).`);
      else if (f.process.signed === false) findings.push(`${label}${f.process.name ?? "process"} is unsigned.`);
      else if (f.process.signer) findings.push(`${label}signer ${f.process.signer} is not a known vendor.`);
    }
    findings.push(`${label}threat intel: ${f.intel.summary} (strength ${f.intel.strength}).`);
    for (const note of closing.notes[i]!) findings.push(`${label}${note}`);
    const last = f.enrichment.history.last_disposition;
    if (last)
      findings.push(
        `${label}last disposition ${last} over ${f.enrichment.history.same_rule_count} earlier alert(s) of this rule: noted, not relied on ("seen before" never closes).`,
      );
  });
  const m = sumCapped(malicious);
  const mClose = sumCapped(againstClose(malicious));
  const b = sumCapped(benign);
  const allHaveBasis = bases.every((basis) => basis.length > 0);
  // Some evidence no basis can answer: a known-bad indicator on many fresh sources (unless it only
  // confirms what a control already stopped), a brute force that succeeded, credentials handed over.
  const hostileIntel = facts.find((f) => intelIsHostile(f) && f.intel.strength === "strong" && !closing.contained.has(f.alertId));
  const closable = allHaveBasis && b > mClose && !chain && !credentialsSubmitted && !hostileIntel;
  const anyContained = facts.some((f) => closing.contained.has(f.alertId));
  let disposition: Verdict = "undetermined";
  // A contained item was real: the case closes as a true positive, never relabelled benign.
  if (closable && anyContained) disposition = "true_positive";
  else if (closable)
    disposition = bases.every((basis) => basis.every((x) => x === "intel_benign" || x === "dead_indicator" || x === "analyst_precedent")) ? "false_positive" : "benign_true_positive";
  else if (chain || credentialsSubmitted || m >= 20) disposition = "true_positive";
  const contained = closable && facts.every((f) => closing.contained.has(f.alertId));
  const likely = closable && disposition !== "true_positive";
  const suppressionId = closable ? (facts.find((f, i) => f.suppression?.valid && bases[i]!.includes("suppression"))?.suppression?.id ?? null) : null;

  const rejected = facts.filter((f) => f.suppression && !f.suppression.valid);
  if (!facts.some((f) => f.suppression)) ruledOut.push("a sanctioned activity: no suppression covers it");
  for (const f of rejected) ruledOut.push(`suppression ${f.suppression!.id} as a basis: ${f.suppression!.rejection}`);
  if (facts.some((f) => intelIsHostile(f) && f.intel.strength !== "none"))
    ruledOut.push(`a benign indicator: ${facts.filter(intelIsHostile).map((f) => f.intel.summary).join("; ")}`);
  if (facts.some((f) => f.dns?.resolved === true)) ruledOut.push("a failed lookup: the domain resolved (NOERROR)");
  if (facts.some((f) => f.enrichment.history.last_disposition))
    ruledOut.push("closing on history: an earlier disposition is not evidence about this alert");
  if (contained) ruledOut.push("delivery to the mailbox, a click and endpoint follow-up: the gateway kept the message out");
  if (closing.dead.size > 0) ruledOut.push("an active indicator: the domain did not resolve and its intel is stale or weak, with no repeat");

  const strongest = [...malicious].sort((a, b2) => b2.weight - a.weight).slice(0, 3).map((e) => e.detail);
  const kinds = [...new Set(bases.flat())].join(", ");
  const answered = malicious.filter((e) => e.answeredBy).map((e) => e.id);
  let reasoning: string;
  if (contained)
    reasoning =
      `True positive contained by a control on every alert (${kinds}): ${facts.map(describeContainment).join("; ")}. ` +
      `The malicious evidence (${answered.join(", ") || "none"}) confirms the classification of the contained item and does not count against closing; nothing further is needed.`;
  else if (closable && anyContained)
    reasoning = `Closing basis on every alert (${kinds}), one of them a true positive contained by a control; benign evidence ${b} outweighs the malicious ${mClose} that counts against closing.`;
  else if (closable)
    reasoning = `Benign basis on every alert (${kinds}); benign evidence ${b} outweighs malicious ${mClose}${answered.length ? ` (not counting ${answered.join(", ")}, which the basis accounts for)` : ""}.`;
  else if (!allHaveBasis)
    reasoning = `No valid closing basis (suppression ≤ 90 days, benign intel, a control that contained it, or a dead indicator) for ${facts.filter((_, i) => bases[i]!.length === 0).length} of ${facts.length} alert(s)${strongest.length ? `; against it: ${strongest.join("; ")}` : ""}.`;
  else if (chain) reasoning = `A suppression cannot cover a brute force that succeeded: ${chain.detail}.`;
  else if (credentialsSubmitted) reasoning = "Credentials were submitted to the phishing page: never a false positive at tier 1.";
  else if (hostileIntel) reasoning = `A benign basis cannot answer strong threat intel: ${hostileIntel.intel.summary}.`;
  else reasoning = `Closing basis present but malicious evidence ${mClose} is at least the benign ${b}: ${strongest.join("; ")}.`;
  return { closable, likely, contained, bases, disposition, reasoning, suppressionId, findings, ruledOut };
}
