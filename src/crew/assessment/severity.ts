import { SEVERITIES, severityRank, shiftSeverity, type Severity } from "../../core/index.js";
import type { AlertFacts } from "./facts.js";
import { listOf } from "./text.js";

/**
 * Step 1 policy. The case starts from the highest source severity among its alerts, then each factor
 * below moves it by `steps`. Factors are grouped so that one aspect of the context cannot be counted
 * several times (a critical crown-jewel asset is one asset, not three reasons), and the net raise is
 * bounded so that context alone lifts an alert by at most MAX_RAISE steps; the scale stops at critical.
 *
 * | factor               | group       | steps | fires when (any alert of the case, unless noted)                       |
 * |----------------------|-------------|-------|------------------------------------------------------------------------|
 * | asset_critical       | asset       |  +2   | CMDB criticality critical                                              |
 * | asset_high           | asset       |  +1   | CMDB criticality high                                                  |
 * | crown_jewel_adjacent | asset       |  +1   | asset is crown-jewel adjacent                                          |
 * | production           | environment |  +1   | asset environment is production                                        |
 * | privileged_identity  | identity    |  +1   | privilege_level elevated or admin                                      |
 * | service_account      | identity    |  +1   | user_type service_account                                              |
 * | identity_anomaly     | identity    |  +1   | recent_anomaly true                                                    |
 * | identity_risk        | identity    |  +1   | risk_score ≥ 70                                                        |
 * | repeated_indicator   | spread      |  +1   | same_indicator_count ≥ 1 or the indicator is on ≥ 2 assets             |
 * | evasive_transport    | technique   |  +1   | DoH/DoT, DNS off its port, TXT/NULL/ANY, tunnelling-shaped labels,     |
 * |                      |             |       | or a port with a record of implant abuse                               |
 * | intel_strong         | intel       |  +1   | malicious/suspicious on ≥ 10 sources and ≤ 180 days old, on an alert   |
 * |                      |             |       | that is not a contained delivery                                       |
 * | contained_by_control | intel       |   0   | the strong intel is on a phishing e-mail the gateway kept out, with no |
 * |                      |             |       | click and no endpoint follow-up (assessment/closing.ts): intel confirms the  |
 * |                      |             |       | classification of an item a control already stopped, so it does not   |
 * |                      |             |       | raise. Recorded at 0 rather than −1: containment removes the reason to |
 * |                      |             |       | raise, it does not make the source's own severity wrong                |
 * | nxdomain             | resolution  |  −1   | every DNS answer is NXDOMAIN and no tunnelling shape (data rides in    |
 * |                      |             |       | the query itself, so a failed resolution proves nothing there)         |
 *
 * Group caps: asset ±2, every other group ±1. Weak (< 3 sources) and stale (> 180 days) intel never
 * raises; benign intel does not lower either — it is weighed in step 2, where a benign basis belongs.
 * The forced rule "production with severity ≥ medium" is judged on the severity without the
 * environment factor, so production is not counted twice (raising low to medium and then forcing).
 */
export type SeverityGroup = "asset" | "environment" | "identity" | "spread" | "technique" | "intel" | "resolution";

export interface SeverityFactor {
  id: string;
  group: SeverityGroup;
  steps: number;
  evidence: string;
}

export const SEVERITY_GROUP_CAPS: Record<SeverityGroup, number> = {
  asset: 2,
  environment: 1,
  identity: 1,
  spread: 1,
  technique: 1,
  intel: 1,
  resolution: 1,
};
export const MAX_RAISE = 3;

export interface SeverityAssessment {
  base: Severity;
  baseFrom: string;
  factors: SeverityFactor[];
  /** Net steps per group after caps, and in total after MAX_RAISE. */
  netSteps: number;
  severity: Severity;
  /** The same computation without the environment group (see the production forced rule). */
  severityWithoutEnvironment: Severity;
  /** Without the asset and environment groups: what the alert itself says (a precedent closure is judged on it). */
  severityWithoutAsset: Severity;
  findings: string[];
}

/** `contained`: ids of the alerts that are contained deliveries (see assessment/closing.ts). */
export function assessSeverity(facts: AlertFacts[], spreadAssets: string[], contained: ReadonlySet<string> = new Set()): SeverityAssessment {
  let base: Severity = "informational";
  let baseFrom = "no alert";
  for (const f of facts) {
    if (severityRank(f.sourceSeverity) > severityRank(base) || baseFrom === "no alert") {
      base = f.sourceSeverity;
      baseFrom = f.alertId;
    }
  }
  const factors = severityFactors(facts, spreadAssets, contained);
  const net = (included: (f: SeverityFactor) => boolean) => {
    const byGroup = new Map<SeverityGroup, number>();
    for (const factor of factors.filter(included)) byGroup.set(factor.group, (byGroup.get(factor.group) ?? 0) + factor.steps);
    let total = 0;
    for (const [group, steps] of byGroup) {
      const cap = SEVERITY_GROUP_CAPS[group];
      total += Math.max(-cap, Math.min(cap, steps));
    }
    return Math.min(MAX_RAISE, total);
  };
  const netSteps = net(() => true);
  const severity = shiftSeverity(base, netSteps);
  const severityWithoutEnvironment = shiftSeverity(base, net((f) => f.group !== "environment"));
  const severityWithoutAsset = shiftSeverity(base, net((f) => f.group !== "environment" && f.group !== "asset"));
  const sources = facts.map((f) => `${f.alertId.slice(0, 8)} ${f.sourceSeverity}`);
  const findings = [
    facts.length > 1
      ? `Source severity ${base}: the highest of ${facts.length} alerts (${listOf(sources, 6)}).`
      : `Source severity ${base} (alert ${baseFrom}).`,
    ...factors.map((f) => `${f.steps > 0 ? "+" : f.steps < 0 ? "−" : "±"}${Math.abs(f.steps)} ${f.id} [${f.group}]: ${f.evidence}.`),
  ];
  if (factors.every((f) => f.steps === 0)) findings.push("No context factor moves the severity.");
  const capped = factors.reduce((sum, f) => sum + f.steps, 0) !== netSteps;
  findings.push(
    `Net ${netSteps >= 0 ? "+" : "−"}${Math.abs(netSteps)} step(s)${capped ? " after group caps and the +" + MAX_RAISE + " ceiling" : ""}: ${base} → ${severity}.`,
  );
  return { base, baseFrom, factors, netSteps, severity, severityWithoutEnvironment, severityWithoutAsset, findings };
}

function severityFactors(facts: AlertFacts[], spreadAssets: string[], contained: ReadonlySet<string>): SeverityFactor[] {
  const factors: SeverityFactor[] = [];
  const first = <T>(pick: (f: AlertFacts) => T | null | undefined | false): [AlertFacts, T] | null => {
    for (const f of facts) {
      const value = pick(f);
      if (value !== null && value !== undefined && value !== false) return [f, value];
    }
    return null;
  };
  const hostOf = (f: AlertFacts) => f.host ?? f.hostIp ?? "the asset";

  const critical = first((f) => f.criticality === "critical");
  const high = first((f) => f.criticality === "high");
  if (critical) factors.push({ id: "asset_critical", group: "asset", steps: 2, evidence: `${hostOf(critical[0])} has CMDB criticality critical` });
  else if (high) factors.push({ id: "asset_high", group: "asset", steps: 1, evidence: `${hostOf(high[0])} has CMDB criticality high` });
  const jewel = first((f) => f.enrichment.asset?.crown_jewel_adjacent === true);
  if (jewel) factors.push({ id: "crown_jewel_adjacent", group: "asset", steps: 1, evidence: `${hostOf(jewel[0])} is crown-jewel adjacent` });
  const production = first((f) => f.production && f.enrichment.asset?.environment);
  if (production) factors.push({ id: "production", group: "environment", steps: 1, evidence: `${hostOf(production[0])} is in environment ${production[1]}` });

  const privileged = first((f) => (f.enrichment.identity && f.enrichment.identity.privilege_level !== "standard" ? f.enrichment.identity : null));
  if (privileged) factors.push({ id: "privileged_identity", group: "identity", steps: 1, evidence: `${privileged[1].username} holds ${privileged[1].privilege_level} privileges` });
  const service = first((f) => (f.enrichment.identity?.user_type === "service_account" ? f.enrichment.identity : null));
  if (service) factors.push({ id: "service_account", group: "identity", steps: 1, evidence: `${service[1].username} is a service account` });
  const anomaly = first((f) => (f.enrichment.identity?.recent_anomaly ? f.enrichment.identity : null));
  if (anomaly) factors.push({ id: "identity_anomaly", group: "identity", steps: 1, evidence: `${anomaly[1].username} has a recent anomaly on record` });
  const risky = first((f) => ((f.enrichment.identity?.risk_score ?? 0) >= 70 ? f.enrichment.identity : null));
  if (risky) factors.push({ id: "identity_risk", group: "identity", steps: 1, evidence: `${risky[1].username} risk score ${risky[1].risk_score} (≥ 70)` });

  const repeated = first((f) => (f.enrichment.history.same_indicator_count >= 1 ? f.enrichment.history.same_indicator_count : null));
  if (spreadAssets.length >= 2)
    factors.push({ id: "repeated_indicator", group: "spread", steps: 1, evidence: `the indicator is seen on ${spreadAssets.length} assets (${listOf(spreadAssets)})` });
  else if (repeated)
    factors.push({ id: "repeated_indicator", group: "spread", steps: 1, evidence: `the same indicator was seen ${repeated[1]} time(s) before in the window` });

  const transport = first((f) => evasiveTransport(f));
  if (transport) factors.push({ id: "evasive_transport", group: "technique", steps: 1, evidence: transport[1] });

  const strongHostile = (f: AlertFacts) => f.intel.strength === "strong" && (f.intel.verdict === "malicious" || f.intel.verdict === "suspicious");
  const strong = first((f) => (strongHostile(f) && !contained.has(f.alertId) ? f.intel.summary : null));
  const confirmsContained = first((f) => (strongHostile(f) && contained.has(f.alertId) ? f : null));
  if (strong) factors.push({ id: "intel_strong", group: "intel", steps: 1, evidence: strong[1] });
  else if (confirmsContained) {
    const f = confirmsContained[1];
    factors.push({
      id: "contained_by_control",
      group: "intel",
      steps: 0,
      evidence: `${f.intel.summary} confirms the classification, but the message was ${f.email!.gatewayAction} by the gateway with no click and no endpoint follow-up, so intel does not raise`,
    });
  }

  const dnsFacts = facts.filter((f) => f.dns && f.dns.responseCode);
  if (dnsFacts.length > 0 && dnsFacts.every((f) => f.dns!.resolved === false && !f.dns!.tunnellingShape))
    factors.push({ id: "nxdomain", group: "resolution", steps: -1, evidence: `${listOf(dnsFacts.map((f) => f.domain ?? "the domain"))} did not resolve (NXDOMAIN)` });
  return factors;
}

/** The evasive-transport finding of one alert, or null. */
export function evasiveTransport(f: AlertFacts): string | null {
  const reasons: string[] = [];
  if (f.dns?.encrypted) reasons.push(`DNS over ${f.dns.encrypted === "DoH" ? "HTTPS" : "TLS"} (${f.dns.encrypted})`);
  if (f.dns?.unusualPort !== null && f.dns?.unusualPort !== undefined) reasons.push(`DNS to port ${f.dns.unusualPort}`);
  if (f.dns?.unusualQueryType) reasons.push(`query type ${f.dns.unusualQueryType}`);
  if (f.dns?.tunnellingShape)
    reasons.push(`tunnelling-shaped subdomain (${f.dns.subdomain.length} chars, longest label ${f.dns.longestLabel}, entropy ${f.dns.entropy} bits/char)`);
  if (!f.dns && f.abusedPort !== null) reasons.push(`destination port ${f.abusedPort}, commonly used by implants`);
  return reasons.length ? `${f.host ?? f.srcIp ?? "the source"}: ${reasons.join("; ")}` : null;
}

export function severityAtLeast(severity: Severity, floor: Severity): boolean {
  return severityRank(severity) >= severityRank(floor);
}

export { SEVERITIES };
