import { ANSWERED_BY, describeContainment, describeDeadIndicator } from "./closing.js";
import { HIGH_SIGNAL_TECHNIQUES, type AlertFacts } from "./facts.js";
import { evasiveTransport } from "./severity.js";
import { describeBenign, describeConfirmed } from "./precedent.js";
import { listOf } from "./text.js";
import type { BruteForceChain, ClosingFacts, Evidence } from "./assessment-types.js";
import { BENIGN_WEIGHTS, MALICIOUS_WEIGHTS } from "./confidence.js";

export function intelIsHostile(f: AlertFacts): boolean {
  return f.intel.verdict === "malicious" || f.intel.verdict === "suspicious";
}

export function perAlertMalicious(f: AlertFacts): Evidence[] {
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

export function collectMalicious(
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

export function collectBenign(facts: AlertFacts[], closing: ClosingFacts): Evidence[] {
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
