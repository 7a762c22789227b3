import { urlHost } from "../../core/index.js";
import type { AlertFacts } from "./facts.js";
import { listOf, uniqueCaseless } from "./text.js";
import { AXES, type Axis, type AxisSignal, type ContextAssessment } from "./assessment-types.js";

const COMPLETENESS_ORDER = ["insufficient", "partial", "complete"] as const;

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
  return urlHost(url) || null;
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
export function assessContext(facts: AlertFacts[], primary: AlertFacts, suppressionCovered: boolean, precedentCovered: boolean): ContextAssessment {
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
