import type { EvidenceWeight } from "../../../core/index.js";
import type { CaseAssessment } from "../../assessment/assessment.js";
import type { AlertFacts } from "../../assessment/facts.js";
import { listOf, quote, shortTime, uniqueCaseless } from "../../assessment/text.js";
import type { CaseEntities } from "../augment.js";
import type { VeraInput } from "../schema.js";
import { SOURCES, hostKey, q, type Investigation } from "./investigation.js";

// Step 1, intake and scope: TORA's verdict and hypothesis, the case's entities, the evidence the alerts
// themselves carry, and related alerts in other cases.

/** The intake findings; the alerts' own evidence and related alerts go into `inv`. */
export function intakeStep(inv: Investigation, input: VeraInput, a: CaseAssessment, entities: CaseEntities, caseHosts: string[]): string[] {
  const tora = input.tora.output;
  const aug = input.augmentation;
  const pkg = tora.escalation_package;
  const intake: string[] = [
    `TORA ${tora.verdict} ${tora.priority}, severity ${tora.severity}, confidence ${tora.confidence}${tora.forced_escalation.triggered ? `; forced rules: ${tora.forced_escalation.rules.map((r) => r.id).join(", ")}` : ""}.`,
    pkg ? `Hypothesis under test: ${quote(pkg.hypothesis, 400)}` : "TORA handed over no escalation package: the hypothesis is rebuilt from the alerts.",
    `Case entities: hosts ${listOf(caseHosts, 6)}; users ${listOf(entities.users, 6)}; domains ${listOf(entities.domains, 6)}; addresses ${listOf(entities.ips, 6)}.`,
  ];
  if (pkg?.preserved_context.email_context) intake.push("E-mail context carried from TORA: this is a phishing case.");
  if (pkg?.preserved_context.missing_fields.length) intake.push(`Still missing from enrichment: ${listOf(pkg.preserved_context.missing_fields, 8)}.`);
  for (const f of a.facts) alertEvidence(inv, f);
  const related = aug.related_alerts;
  if (related.alerts.length) {
    const hosts = uniqueCaseless(related.alerts.map((r) => r.host)).filter((h) => !caseHosts.some((c) => hostKey(c) === hostKey(h)));
    for (const h of hosts) inv.probable.add(h);
    inv.add({
      type: "related_alerts",
      description: `${related.alerts.length} alert(s) in ${related.cases.length} other case(s) share the case's indicators (${listOf(uniqueCaseless(related.alerts.flatMap((r) => r.shared)), 4)})${hosts.length ? `, on ${listOf(hosts, 5)}` : ""}.`,
      weight: hosts.length ? "moderate" : "weak",
      source_query: q(SOURCES.related, "observables shared with other cases"),
      direction: "malicious",
      time: related.alerts.map((r) => r.time).sort()[0] ?? null,
      phase: "scope",
      host: hosts[0] ?? null,
    });
    intake.push(`Related alerts: ${related.alerts.length} in ${listOf(related.cases, 5)}.`);
  } else intake.push("No other case shares the case's indicators.");
  return intake;
}

// Evidence from the alerts themselves.

function alertEvidence(inv: Investigation, f: AlertFacts): void {
  const host = f.host;
  const alertQuery = q(SOURCES.alert, `${f.alertId} (${f.alert.source}${f.ruleId ? ` rule ${f.ruleId}` : ""})`);
  const best = f.intel.best;
  if (best && (f.intel.verdict === "malicious" || f.intel.verdict === "suspicious")) {
    const weight: EvidenceWeight = f.intel.strength === "strong" ? "strong" : f.intel.strength === "moderate" ? "moderate" : "weak";
    inv.add({
      type: best.type === "file_hash" ? "malicious_hash" : "threat_intel",
      description: `Threat intel: ${f.intel.summary}.`,
      weight,
      source_query: q(SOURCES.intel, `lookup_indicator ${best.indicator}`),
      direction: "malicious",
      time: f.time,
      phase: best.type === "file_hash" ? "installation" : "command-and-control",
      host,
    });
  } else if (f.intel.verdict === "benign" && best) {
    inv.add({ type: "benign_intel", description: `Threat intel rates ${best.indicator} benign (${best.category ?? "no category"}).`, weight: "moderate", source_query: q(SOURCES.intel, `lookup_indicator ${best.indicator}`), direction: "benign", time: f.time, phase: "detection", host });
    inv.ruledOut.push(`known-malicious infrastructure: intel rates ${best.indicator} benign`);
  }
  if (f.suppression?.valid) {
    inv.add({ type: "suppression", description: `Approved suppression ${f.suppression.id} (${quote(f.suppression.reason, 80)}, by ${f.suppression.author}, ${f.suppression.ageDays} days old) covers the alert.`, weight: "weak", source_query: q("suppressions", f.suppression.id), direction: "benign", time: f.time, phase: "detection", host });
  }
  const mail = f.email;
  if (mail) {
    const emailQuery = q(SOURCES.email, `${f.alertId} gateway ${mail.gatewayVerdict ?? "?"}/${mail.gatewayAction ?? "?"}`);
    if (mail.credentialsSubmitted)
      inv.add({ type: "credentials_submitted", description: `${f.user ?? listOf(mail.recipients)} submitted credentials to the page of ${listOf(mail.links, 2)}.`, weight: "strong", source_query: emailQuery, direction: "malicious", time: f.time, phase: "credential-access", host });
    else if (mail.pageLoaded)
      inv.add({ type: "phishing_page_loaded", description: `The phishing page ${listOf(mail.links, 2)} was loaded; no credential submission recorded.`, weight: "moderate", source_query: emailQuery, direction: "malicious", time: f.time, phase: "delivery", host });
    if (mail.gatewayBlocked && !mail.pageLoaded && !mail.credentialsSubmitted) {
      inv.add({ type: "delivery_blocked", description: `The gateway ${mail.gatewayAction ?? "blocked"} the message; no page load or submission recorded.`, weight: "moderate", source_query: emailQuery, direction: "benign", time: f.time, phase: "delivery", host });
      inv.ruledOut.push("a click on the phishing link: the message never reached the mailbox");
    }
    if (mail.authFailures.length)
      inv.add({ type: "sender_spoofing", description: `Sender authentication failed: ${mail.authFailures.join(", ")}.`, weight: "weak", source_query: emailQuery, direction: "malicious", time: f.time, phase: "delivery", host });
  }
  if (f.process?.suspiciousLineage)
    inv.add({ type: "malicious_execution", description: `${f.process.parent} started ${f.process.name} (${quote(f.process.commandLine, 160)}).`, weight: "moderate", source_query: alertQuery, direction: "malicious", time: f.time, phase: "exploitation", host });
  const identity = f.enrichment.identity;
  if (identity?.recent_anomalies?.length)
    inv.add({ type: "identity_anomaly", description: `${identity.username}: ${identity.recent_anomalies.map((x) => `${x.kind} at ${shortTime(x.time)}`).join(", ")}.`, weight: "moderate", source_query: q(SOURCES.identity, `get_identity ${identity.username}`), direction: "malicious", time: identity.recent_anomalies[0]!.time, phase: "credential-access", host });
}
