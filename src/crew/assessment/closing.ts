import type { AlertFacts } from "./facts.js";

/**
 * Closing bases: structured facts that let TORA close an alert without anyone doing more. Each is a
 * policy stated on structured fields only (free text never decides), and each is narrow on purpose —
 * anything it does not account for keeps the alert open.
 *
 * | basis                | disposition          | holds when (per alert)                                                  |
 * |----------------------|----------------------|-------------------------------------------------------------------------|
 * | suppression          | benign_true_positive | a suppression in force, ≤ 90 days, still standing, and no current       |
 * |                      |                      | hostile intel on the alert (news its approver never weighed)            |
 * | intel_benign         | false_positive       | threat intel calls the indicator benign and nothing hostile             |
 * | contained_by_control | true_positive        | a phishing e-mail the gateway blocked/quarantined/rejected/deleted, no  |
 * |                      |                      | page load, no credentials, and no endpoint alert in the case or among   |
 * |                      |                      | its related alerts: a real threat that a control already stopped        |
 * | dead_indicator       | false_positive       | a DNS lookup that did not resolve (NXDOMAIN), plain in shape and        |
 * |                      |                      | transport, whose only malicious evidence is stale (> 180 days) or weak  |
 * |                      |                      | (< 3 sources) intel, with no repeat of the indicator and no related     |
 * |                      |                      | alert, on a CMDB asset that is neither critical nor high: the indicator |
 * |                      |                      | is dead and no connection could follow                                  |
 * | analyst_precedent    | false_positive       | analysts judged the alert's exact shape (source, rule, host or host     |
 * |                      |                      | role) a false positive ≥ 5 times within the suppression age limit and   |
 * |                      |                      | never malicious (assessment/precedent.ts), and the alert carries no attacker  |
 * |                      |                      | behaviour and no hostile intel match                                    |
 *
 * Evidence a basis accounts for does not count against closing (confidence to close is confidence
 * that nothing further is needed): for a contained item, the intel, gateway verdict and failed sender
 * authentication only confirm it was phishing; for a dead indicator, the stale or weak intel is the
 * very thing found dead. That evidence still counts towards escalation and is shown in the trace.
 */
export type ClosingBasis = "suppression" | "intel_benign" | "contained_by_control" | "dead_indicator" | "analyst_precedent";

/** Malicious evidence each basis accounts for (see the table above). */
export const ANSWERED_BY: Record<"contained_by_control" | "dead_indicator", ReadonlySet<string>> = {
  contained_by_control: new Set(["intel_strong", "intel_moderate", "intel_weak", "intel_stale", "gateway_flagged", "email_auth_failure"]),
  dead_indicator: new Set(["intel_weak", "intel_stale"]),
};

function isEmailSubtype(subtype: string | null): boolean {
  return !!subtype && /phish|e_?mail/i.test(subtype);
}

/** Why an e-mail alert is not a contained delivery, or null when it is. */
export function containmentGap(f: AlertFacts, caseFacts: AlertFacts[]): string | null {
  if (f.family !== "phishing" || !f.email) return "not an e-mail alert";
  if (!f.email.gatewayBlocked) return f.email.gatewayAction ? `the gateway action was ${f.email.gatewayAction}, which kept nothing out` : "no gateway action is recorded";
  if (f.email.credentialsSubmitted) return "credentials were submitted";
  if (f.email.pageLoaded === true) return "the linked page was loaded";
  const endpoint = caseFacts.find((other) => other !== f && other.family !== "phishing");
  if (endpoint) return `the case also holds ${endpoint.subtype} on ${endpoint.host ?? endpoint.hostIp ?? "a host"}`;
  // An earlier alert about the same recipient, sender or link that is not itself an e-mail verdict (or
  // that names a host) is activity on an endpoint: the message, or its sender, reached further.
  const followUp = f.enrichment.history.related_alerts.find((r) => r.host !== null || !isEmailSubtype(r.subtype));
  if (followUp) return `related alert ${followUp.alert_id} (${followUp.subtype ?? followUp.rule_id ?? "no subtype"}${followUp.host ? ` on ${followUp.host}` : ""}) shares ${followUp.shared.join(", ")}`;
  return null;
}

export function describeContainment(f: AlertFacts): string {
  const email = f.email!;
  return (
    `${email.gatewayAction} by the gateway${email.gatewayVerdict ? ` (verdict ${email.gatewayVerdict})` : ""}` +
    `, page loaded ${email.pageLoaded === null ? "unknown" : String(email.pageLoaded)}, no credentials submitted, no endpoint alert in the case or its history`
  );
}

/**
 * Why a DNS alert is not a dead indicator, or null when it is. `ownMalicious` are the ids of the
 * malicious evidence found on this alert alone; `spreadAssets` the assets the indicator is on.
 */
export function deadIndicatorGap(f: AlertFacts, ownMalicious: string[], spreadAssets: string[]): string | null {
  const dns = f.dns;
  if (!dns) return "not a DNS lookup";
  if (dns.resolved !== false) return dns.resolved === true ? "the domain resolved (NOERROR)" : `response ${dns.responseCode ?? "unknown"}, not NXDOMAIN`;
  if (dns.tunnellingShape || dns.unusualQueryType || dns.encrypted || dns.unusualPort !== null || /tunnel|flux/.test(f.subtype))
    return "the query is shaped or carried like tunnelling, where data rides in the query and resolution proves nothing";
  if (!(f.intel.verdict === "malicious" || f.intel.verdict === "suspicious") || (f.intel.strength !== "stale" && f.intel.strength !== "weak"))
    return f.intel.strength === "none" ? "no threat-intel match to find dead" : `the intel is ${f.intel.strength}, not stale or weak`;
  const other = ownMalicious.filter((id) => !ANSWERED_BY.dead_indicator.has(id));
  if (other.length) return `other malicious evidence: ${other.join(", ")}`;
  const history = f.enrichment.history;
  if (history.same_indicator_count > 0 || spreadAssets.length >= 2) return "the indicator repeats in history";
  if (history.related_alerts.length > 0) return `${history.related_alerts.length} related alert(s) in history`;
  const asset = f.enrichment.asset;
  if (!asset) return "the asset is not in the CMDB";
  // Known only to a device inventory: its importance is unknown, which is no ground for closing.
  if (!asset.criticality) return `${asset.hostname} is of unknown criticality`;
  if (asset.criticality === "critical" || asset.criticality === "high") return `${asset.hostname} is ${asset.criticality}`;
  if (asset.crown_jewel_adjacent) return `${asset.hostname} is crown-jewel adjacent`;
  return null;
}

export function describeDeadIndicator(f: AlertFacts): string {
  return (
    `${f.domain} did not resolve (NXDOMAIN) and its only malicious evidence is ${f.intel.strength} intel (${f.intel.summary}); ` +
    `no repeat and no related alert in ${f.enrichment.history.window_hours}h of history; ${f.enrichment.asset!.hostname} is of ${f.enrichment.asset!.criticality ?? "unknown"} criticality`
  );
}
