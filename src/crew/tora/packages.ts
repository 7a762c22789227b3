import { canonicalJson, urlHost, type EscalationPackage, type Indicators, type InsufficientContextPackage, type Priority } from "../../core/index.js";
import type { FiredRule } from "../guardrails/forced-rules.js";
import { AXES, type CaseAssessment } from "../assessment/assessment.js";
import type { AlertFacts } from "../assessment/facts.js";
import type { Hypothesis } from "./hypothesis.js";
import { quote, shortTime, uniqueCaseless } from "../assessment/text.js";

/** Every indicator of every alert: observables, endpoints, process, email and intel matches. */
export function collectIndicators(a: CaseAssessment): Indicators {
  const bucket = { domains: [] as string[], ips: [] as string[], hashes: [] as string[], urls: [] as string[], usernames: [] as string[], hostnames: [] as string[], emails: [] as string[] };
  for (const f of a.facts) {
    const { alert, enrichment } = f;
    for (const o of alert.observables) {
      if (o.type === "ip") bucket.ips.push(o.value);
      else if (o.type === "domain") bucket.domains.push(o.value);
      else if (o.type === "url") bucket.urls.push(o.value);
      else if (o.type === "file_hash") bucket.hashes.push(o.value);
      else if (o.type === "user") bucket.usernames.push(o.value);
      else if (o.type === "host") bucket.hostnames.push(o.value);
      else if (o.type === "email") bucket.emails.push(o.value);
    }
    const n = enrichment.network;
    bucket.ips.push(...[n.src_ip, n.dst_ip, alert.src?.ip, alert.dst?.ip, ...(alert.host?.ip ?? [])].filter((v): v is string => !!v));
    bucket.domains.push(...[n.dst_domain, alert.dst?.domain].filter((v): v is string => !!v));
    bucket.hostnames.push(...[alert.host?.name, enrichment.asset?.hostname, n.src_hostname, n.dst_hostname, alert.src?.hostname, alert.dst?.hostname].filter((v): v is string => !!v));
    bucket.usernames.push(...[alert.user?.name, enrichment.identity?.username].filter((v): v is string => !!v));
    if (alert.dst?.url) bucket.urls.push(alert.dst.url);
    if (alert.process?.sha256) bucket.hashes.push(alert.process.sha256);
    if (alert.network?.answers) bucket.ips.push(...alert.network.answers.filter((v) => /^[\d.]+$|:/.test(v)));
    if (f.email) {
      bucket.urls.push(...f.email.links);
      if (f.email.sender) bucket.emails.push(f.email.sender);
      bucket.emails.push(...f.email.recipients);
      for (const link of f.email.links) {
        const host = urlHost(link);
        // Not a URL: kept as a url only.
        if (host !== null) bucket.domains.push(host);
      }
    }
    for (const m of enrichment.threat_intel.matches) {
      if (m.type === "ip") bucket.ips.push(m.indicator);
      else if (m.type === "domain") bucket.domains.push(m.indicator);
      else if (m.type === "url") bucket.urls.push(m.indicator);
      else if (m.type === "file_hash") bucket.hashes.push(m.indicator);
      else if (m.type === "email") bucket.emails.push(m.indicator);
    }
  }
  return {
    domains: uniqueCaseless(bucket.domains),
    ips: uniqueCaseless(bucket.ips),
    hashes: uniqueCaseless(bucket.hashes),
    urls: [...new Set(bucket.urls)],
    usernames: uniqueCaseless(bucket.usernames),
    hostnames: uniqueCaseless(bucket.hostnames),
    emails: uniqueCaseless(bucket.emails),
  };
}

type Section = Record<string, unknown>;

/**
 * One section of the preserved context for the whole case: the primary alert's section whole, and
 * any other alert's differing section under `other_alerts`, so no value of any alert is dropped.
 */
function mergeSection(a: CaseAssessment, read: (f: AlertFacts) => Section | null): Section | null {
  const ordered = [a.primary, ...a.facts.filter((f) => f !== a.primary)];
  const present = ordered.map((f) => ({ alertId: f.alertId, value: read(f) })).filter((s): s is { alertId: string; value: Section } => !!s.value);
  const first = present[0];
  if (!first) return null;
  // Each section's key is computed once: comparing every pair re-serialised them, quadratic in a big case.
  const seen = new Set([canonicalJson(first.value)]);
  const distinct: typeof present = [];
  for (const o of present.slice(1)) {
    const key = canonicalJson(o.value);
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(o);
  }
  return distinct.length ? { ...first.value, other_alerts: distinct.map((o) => ({ alert_id: o.alertId, ...o.value })) } : { ...first.value };
}

export function preservedContext(a: CaseAssessment): EscalationPackage["preserved_context"] {
  return {
    network: mergeSection(a, (f) => f.enrichment.network) ?? {},
    asset: mergeSection(a, (f) => f.enrichment.asset),
    identity: mergeSection(a, (f) => f.enrichment.identity),
    threat_intel: mergeSection(a, (f) => f.enrichment.threat_intel) ?? {},
    history: mergeSection(a, (f) => f.enrichment.history) ?? {},
    email_context: mergeSection(a, (f) => f.enrichment.email_context),
    missing_fields: a.context.missingFields,
  };
}

export function triggerOf(a: CaseAssessment): string {
  const f = a.primary;
  const what = f.ruleTitle ? `rule ${quote(f.ruleTitle, 100)}${f.ruleId ? ` (${f.ruleId})` : ""}` : `alert ${quote(f.alert.title, 100)}`;
  const others = a.facts.length > 1 ? `; ${a.facts.length} alerts in the case` : "";
  return `${what} from ${f.alert.source}, subtype ${f.subtype}, source severity ${f.sourceSeverity}, on ${f.host ?? f.hostIp ?? f.srcIp ?? "an unidentified host"} at ${shortTime(f.time)}${others}`;
}

export function buildEscalationPackage(a: CaseAssessment, hypothesis: Hypothesis, rules: FiredRule[], priority: Priority): EscalationPackage {
  const found = [
    `severity ${a.severity.base} → ${a.severity.severity}${a.severity.factors.length ? ` (${a.severity.factors.map((x) => x.id).join(", ")})` : ""}`,
    ...AXES.filter((axis) => a.context.axes[axis].signal).map((axis) => `${axis}: ${a.context.axes[axis].detail}`),
    ...a.maliciousEvidence.map((e) => e.detail),
  ];
  const whyParts = rules.map((r) => `${r.description} (${r.evidence})`);
  if (whyParts.length === 0) {
    whyParts.push(`severity ${a.severity.severity} with confidence ${a.confidence.escalate} that the activity is real`);
    const asset = a.primary.enrichment.asset;
    if (asset) whyParts.push(`${asset.hostname} is a ${asset.criticality ?? "unknown"}-criticality ${asset.environment ?? "unknown-environment"} asset`);
  }
  return {
    case_summary: {
      trigger: triggerOf(a),
      what_was_found: `${uniqueCaseless(found).join("; ")}.`,
      what_was_ruled_out: a.fp.ruledOut.length ? `Ruled out ${a.fp.ruledOut.join("; ")}.` : "Nothing could be ruled out with the available context.",
      why_it_matters: `${whyParts.join("; ")}.`,
    },
    hypothesis: hypothesis.text,
    suggested_focus: hypothesis.focus,
    priority,
    indicators: collectIndicators(a),
    preserved_context: preservedContext(a),
  };
}

export function buildInsufficientContextPackage(a: CaseAssessment, hypothesis: Hypothesis, blockers: string[]): InsufficientContextPackage {
  const ctx = a.context;
  const silent = AXES.filter((axis) => !ctx.axes[axis].signal);
  let blockingReason: string;
  if (!ctx.sufficient)
    blockingReason = `Only ${ctx.axesWithSignal} of 3 context axes carry signal (${silent.map((axis) => `${axis}: ${ctx.axes[axis].detail}`).join("; ")}); at least 2 are needed and threat intel cannot stand in for them.`;
  else if (!ctx.grounded) blockingReason = "The context axes carry signal but offer no concrete pivot (host, address, user) to test a hypothesis against.";
  else blockingReason = `The evidence is inconclusive: ${blockers.join("; ")}.`;

  const needed: string[] = [];
  const f = a.primary;
  const keys = { host: f.host ?? f.hostIp, user: f.user };
  for (const axis of silent) {
    if (axis === "asset")
      needed.push(f.host ? `Register ${f.host} in the CMDB (criticality, environment, owner, EDR)` : f.hostIp ? `Map ${f.hostIp} to a CMDB asset` : "Identify the host behind the alert (hostname or address)");
    // A built-in OS principal has no directory record to add: nothing to ask for.
    if (axis === "identity" && !f.builtinPrincipal)
      needed.push(f.user ? `Add ${f.user} to the identity directory (user type, privilege, MFA)` : `Identify the user active on ${keys.host ?? "the host"} at ${shortTime(f.time)}`);
    if (axis === "network") needed.push(`Network telemetry for ${keys.host ?? "the host"} around ${shortTime(f.time)} (destination, domain, port)`);
  }
  if (a.facts.every((x) => x.intel.strength === "none") && (f.domain || f.dstIp || f.process?.sha256))
    needed.push(`Threat-intel lookup for ${f.domain ?? f.dstIp ?? f.process?.sha256} (corroboration only)`);
  const axisFields = new Set(ctx.blockingFields);
  for (const path of ctx.missingFields) if (!axisFields.has(path) && !silent.some((axis) => path === axis || path.startsWith(`${axis}.`))) needed.push(`Fill ${path}`);
  if (needed.length === 0) needed.push(...blockers.map((b) => `Evidence to settle: ${b}`));

  const neverEnriched = a.facts.some((x) => x.enrichment.meta.provenance.length === 0 && x.enrichment.meta.context_completeness === "insufficient");
  const lookupKeys = (silent.includes("asset") && !!keys.host) || (silent.includes("identity") && !!keys.user);
  const retryPossible = neverEnriched || lookupKeys || ctx.missingFields.length > 0;

  const lean = a.fp.closable ? `leaning towards closing (close confidence ${a.confidence.close})` : `leaning suspicious (escalate confidence ${a.confidence.escalate})`;
  const evidence = [...a.maliciousEvidence, ...a.benignEvidence].sort((x, y) => y.weight - x.weight).slice(0, 3).map((e) => e.detail);
  return {
    blocking_reason: blockingReason,
    blocking_fields: ctx.blockingFields.length ? ctx.blockingFields : ctx.missingFields,
    enrichment_needed: needed,
    retry_possible: retryPossible,
    partial_assessment:
      `Severity ${a.severity.severity} (source ${a.severity.base}); ${lean}; ${a.fp.disposition}` +
      `${evidence.length ? `; evidence: ${evidence.join("; ")}` : "; no weighted evidence either way"}. ` +
      `Hypothesis to test once the context is complete: ${hypothesis.text}`,
  };
}

