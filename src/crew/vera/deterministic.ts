import {
  CREW_SCHEMA_VERSION,
  VeraOutput,
  caseIdForTier,
  evidenceSource,
  maxSeverity,
  severityRank,
  shiftSeverity,
  type ContainmentRecommendation,
  type ContainmentUrgency,
  type EvidenceWeight,
  type HypothesisResolution,
  type RootCauseConfidence,
  type Severity,
  type TimelineEvent,
  type TraceStep,
  type Verdict,
  type VeraEvidence,
  type VeraVerdict,
} from "../../core/index.js";
import { assessCase, type CaseAssessment } from "../tora/assessment.js";
import type { AlertFacts } from "../tora/facts.js";
import { loginService } from "../tora/hypothesis.js";
import { listOf, quote, shortTime, uniqueCaseless } from "../tora/text.js";
import { caseEntities, type CaseEntities } from "./augment.js";
import { containmentPlan, EXFIL_BYTES, probableC2, probableExfiltration, probableThreatDescription, type Signals } from "./containment.js";
import { ownInfrastructureOf } from "./own-infrastructure.js";
import type { DestinationSummary, ProcessNodeDigest, VeraInput } from "./schema.js";

export const DETERMINISTIC_VERA = "deterministic";

export const VERA_STEPS = ["Intake and scope", "Endpoint", "Network", "Logs and identity", "ATT&CK checklist", "Root cause and disposition"] as const;

/**
 * Evidence sources. Two items are independent when their sources differ: what the alert says (and what
 * its enrichment added) is one family of sources, each telemetry store the augmentation read is another.
 */
export const SOURCES = {
  alert: "alert",
  intel: "intel",
  email: "email_context",
  identity: "identity",
  process: "process_tree",
  persistence: "events.persistence",
  network: "events.network",
  dns: "events.dns",
  auth: "events.auth",
  related: "related_alerts",
} as const;
const TELEMETRY_SOURCES = new Set<string>([SOURCES.process, SOURCES.persistence, SOURCES.network, SOURCES.dns, SOURCES.auth, SOURCES.related]);

const DOCUMENT_PARENTS = new Set([
  "winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe", "onenote.exe", "msaccess.exe", "mspub.exe", "visio.exe",
  "acrord32.exe", "acrobat.exe", "chrome.exe", "msedge.exe", "firefox.exe", "iexplore.exe", "thunderbird.exe",
]);
const INTERPRETERS = new Set([
  "powershell.exe", "pwsh.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe", "rundll32.exe", "regsvr32.exe",
  "certutil.exe", "bitsadmin.exe", "msbuild.exe", "installutil.exe", "bash", "sh", "python.exe", "python", "curl", "wget",
]);
const BROWSERS = new Set(["chrome.exe", "msedge.exe", "firefox.exe", "iexplore.exe", "safari", "brave.exe", "opera.exe"]);
const EXECUTABLE_FILE = /\.(exe|dll|scr|ps1|vbs|js|hta|bat|cmd|lnk|so|elf|sh)$/i;

interface Item extends Omit<VeraEvidence, "id"> {
  direction: "malicious" | "benign";
  time: string | null;
  phase: string;
  host: string | null;
}

/** One investigation: the evidence gathered step by step, then the decision over it. */
class Investigation {
  readonly items: Item[] = [];
  readonly ruledOut: string[] = [];
  readonly confirmed = new Set<string>();
  readonly probable = new Set<string>();

  add(item: Item): string {
    const existing = this.items.findIndex((i) => i.description === item.description && i.source_query === item.source_query);
    if (existing >= 0) return idOf(existing);
    this.items.push(item);
    return idOf(this.items.length - 1);
  }

  sources(direction: Item["direction"], minWeight: EvidenceWeight = "moderate"): Set<string> {
    const rank = { strong: 2, moderate: 1, weak: 0 } as const;
    return new Set(this.items.filter((i) => i.direction === direction && rank[i.weight] >= rank[minWeight]).map((i) => evidenceSource(i)));
  }

  has(direction: Item["direction"], type: string): boolean {
    return this.items.some((i) => i.direction === direction && i.type === type);
  }
}

const idOf = (index: number) => `EVD-${String(index + 1).padStart(3, "0")}`;

const hostKey = (h: string | null | undefined) => (h ? h.toLowerCase().split(".")[0]! : "");
const image = (p: string | null | undefined) => (p ? p.split(/[\\/]/).pop()!.toLowerCase() : "");
const q = (source: string, what: string) => `${source}: ${what}`;

/**
 * VERA without a language model: the six steps of crew.md over structured fields only. Alert and event
 * text (titles, command lines, subjects, file names) is quoted as data and never read as a judgement.
 */
export function investigateDeterministic(input: VeraInput, now: string): VeraOutput {
  const tora = input.tora.output;
  const a = assessCase({ caseId: input.case_id, alerts: input.alerts, now });
  const entities = caseEntities(input.alerts, tora);
  const aug = input.augmentation;
  const inv = new Investigation();
  const trace: TraceStep[] = [];
  const caseHosts = uniqueCaseless([...a.hosts, ...entities.hosts]);
  for (const h of a.hosts) inv.confirmed.add(h);

  // ——— 1. Intake and scope ———
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
  trace.push({ step: 1, name: VERA_STEPS[0], findings: intake, outcome: `${a.facts.length} alert(s), ${caseHosts.length} host(s) in scope` });

  // ——— 2. Endpoint ———
  const endpoint = endpointStep(inv, input, a, entities);
  trace.push({ step: 2, name: VERA_STEPS[1], findings: endpoint.findings, outcome: endpoint.outcome });

  // ——— 3. Network ———
  const network = networkStep(inv, input, a, entities, caseHosts);
  trace.push({ step: 3, name: VERA_STEPS[2], findings: network.findings, outcome: network.outcome });

  // ——— 4. Logs and identity ———
  const logs = logsStep(inv, input, a, caseHosts);
  trace.push({ step: 4, name: VERA_STEPS[3], findings: logs.findings, outcome: logs.outcome });

  // ——— 5. ATT&CK checklist ———
  const checklist = attackChecklist(inv, input);
  trace.push({ step: 5, name: VERA_STEPS[4], findings: checklist, outcome: `${checklist.filter((c) => c.includes("observed (")).length} tactic(s) observed` });

  // ——— 6. Root cause and disposition ———
  const signals = {
    credentials: a.credentialsSubmitted,
    bruteSuccess: inv.has("malicious", "bruteforce_success"),
    c2: inv.has("malicious", "c2_connection") || inv.has("malicious", "beaconing"),
    execution: inv.has("malicious", "malicious_execution") || inv.has("malicious", "persistence") || inv.has("malicious", "malicious_hash"),
    exfiltration: inv.has("malicious", "exfiltration"),
    // Probable on the alerts alone (intel ties the indicator to C2; a large transfer out; DNS tunnelling): contained at once.
    c2Probable: probableC2(a).length > 0,
    exfilProbable: probableExfiltration(a).length > 0,
  };
  const needsContainment = Object.values(signals).some(Boolean);
  const refutation = refutationOf(inv, a, network.refutes, endpoint.refutes, logs.refutes);
  const maliciousSources = inv.sources("malicious");
  const maliciousTelemetry = [...maliciousSources].filter((s) => TELEMETRY_SOURCES.has(s));
  const benignSources = inv.sources("benign");

  let resolution: HypothesisResolution;
  let explanation: string;
  if (maliciousSources.size >= 2 && maliciousTelemetry.length >= 1) {
    resolution = "CONFIRMED";
    explanation = `Supported by ${maliciousSources.size} independent sources (${[...maliciousSources].join(", ")}), ${maliciousTelemetry.length} of them telemetry the alert did not already carry.`;
  } else if (refutation && !needsContainment && maliciousTelemetry.length === 0) {
    resolution = "REFUTED";
    explanation = refutation;
  } else {
    resolution = "REFINED";
    explanation = maliciousSources.size
      ? `Partly supported (${[...maliciousSources].join(", ")}) but not by two independent sources with telemetry corroboration${aug.missing_telemetry.length ? `; missing: ${listOf(aug.missing_telemetry, 3)}` : ""}.`
      : `Neither supported nor refuted by the telemetry available${aug.missing_telemetry.length ? ` (missing: ${listOf(aug.missing_telemetry, 3)})` : ""}.`;
  }

  const direction: Item["direction"] = resolution === "REFUTED" ? "benign" : "malicious";
  const rootSources = direction === "benign" ? benignSources : maliciousSources;
  const rootCauseConfidence: RootCauseConfidence =
    rootSources.size >= 2 && (direction === "benign" || maliciousTelemetry.length >= 1)
      ? "CONFIRMED"
      : rootSources.size >= 1 || (direction === "malicious" && needsContainment)
        ? "PROBABLE"
        : "UNDETERMINED";

  let verdict: VeraVerdict;
  if (needsContainment && rootCauseConfidence !== "UNDETERMINED") verdict = "ESCALATE_TO_ARIA";
  else if (resolution === "CONFIRMED") verdict = "ESCALATE_TO_ARIA";
  else if (resolution === "REFUTED" && rootCauseConfidence === "CONFIRMED") verdict = "CLOSED";
  else verdict = "HOLD";
  // Escalating to ARIA means something concrete to contain; with no target in the case's scope, a human verifies.
  const plannedContainment = containmentPlan(a, (type) => inv.has("malicious", type), entities, signals, caseHosts, ownInfrastructureOf(input));
  const nothingToContain = verdict === "ESCALATE_TO_ARIA" && plannedContainment.recommendations.length === 0;
  if (nothingToContain) verdict = "HOLD";

  const disposition: Verdict =
    verdict === "ESCALATE_TO_ARIA" || (resolution === "CONFIRMED" && direction === "malicious")
      ? "true_positive"
      : resolution === "REFUTED"
        ? refutedDisposition(inv, a)
        : "undetermined";

  let severity: Severity = tora.severity;
  if (verdict === "ESCALATE_TO_ARIA") {
    severity = maxSeverity(severity, "high");
    const critical = a.facts.some((f) => f.criticality === "critical") || inv.probable.size > 0 || (signals.credentials && signals.bruteSuccess) || signals.exfiltration || signals.exfilProbable;
    if (critical) severity = shiftSeverity(severity, 1);
  } else if (verdict === "CLOSED" && disposition !== "true_positive" && !tora.forced_escalation.triggered) {
    severity = shiftSeverity(severity, -1);
  }
  const delta = severityRank(severity) > severityRank(tora.severity) ? "raised" : severityRank(severity) < severityRank(tora.severity) ? "lowered" : "unchanged";

  const root = rootCause(a, inv, signals, resolution, refutation);
  const containment = verdict === "ESCALATE_TO_ARIA" ? plannedContainment : { urgency: "next_available" as ContainmentUrgency, recommendations: [] };
  const evidence: VeraEvidence[] = inv.items.map(({ type, description, weight, source_query }, i) => ({ id: idOf(i), type, description, weight, source_query }));
  const timeline = buildTimeline(inv, input);
  const dwell = dwellTime(inv, input, direction === "malicious" && disposition === "true_positive", direction);
  const entry = entryVector(a, signals);

  const decisionFindings = [
    `Hypothesis ${resolution}: ${explanation}`,
    `Root cause (${rootCauseConfidence}): ${root.description}`,
    `Verdict ${verdict}, disposition ${disposition}, severity ${tora.severity} → ${severity}.`,
    ...(nothingToContain ? ["Containment is called for, but no host, account or indicator of the case names a target: held for a human to verify and contain."] : []),
    ...(containment.recommendations.length ? [`Containment (${containment.urgency}): ${containment.recommendations.map((r) => `${r.action_hint} ${r.target}`).join("; ")}.`] : []),
  ];
  trace.push({ step: 6, name: VERA_STEPS[5], findings: decisionFindings, outcome: `${verdict} (${disposition})` });

  const scopeConfirmed = uniqueCaseless([...inv.confirmed]);
  const scopeProbable = uniqueCaseless([...inv.probable]).filter((h) => !scopeConfirmed.some((c) => hostKey(c) === hostKey(h)));
  const narrative = narrativeOf({ a, resolution, rootCauseConfidence, verdict, disposition, severity, tora: tora.severity, evidence, containment, root, scopeProbable, missing: aug.missing_telemetry });

  const output: VeraOutput = {
    schema_version: CREW_SCHEMA_VERSION,
    agent: "VERA",
    case_id: input.case_id,
    vera_id: caseIdForTier(input.case_id, "VERA"),
    verdict,
    root_cause_confidence: rootCauseConfidence,
    tora_hypothesis_resolution: { status: resolution, explanation },
    severity,
    severity_delta: { direction: delta, from: tora.severity, to: severity },
    disposition,
    root_cause: root,
    findings: { endpoint: endpoint.findings, network: network.findings, logs_identity: logs.findings, attack_checklist: checklist },
    scope: { confirmed_assets: scopeConfirmed, probable_assets: scopeProbable },
    ruled_out: uniqueCaseless(inv.ruledOut),
    evidence,
    timeline,
    dwell_time: dwell,
    entry_vector: entry,
    containment: {
      urgency: containment.urgency,
      recommendations: containment.recommendations,
      if_not_contained: ifNotContained(signals, verdict),
      recovery_notes: recoveryNotes(signals, verdict, caseHosts, entities),
    },
    reasoning_trace: trace,
    narrative,
    nova_feed: {
      hypothesis_resolution: resolution,
      root_cause_confidence: rootCauseConfidence,
      verdict,
      severity_delta: delta,
      evidence_count: evidence.length,
      duration_ms: 0,
      missing_telemetry: aug.missing_telemetry,
    },
  };
  return VeraOutput.parse(output);
}

// ——— evidence from the alerts themselves ———

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

// ——— step 2 ———

function endpointStep(inv: Investigation, input: VeraInput, a: CaseAssessment, entities: CaseEntities): { findings: string[]; outcome: string; refutes: string | null } {
  const aug = input.augmentation;
  const findings: string[] = [];
  let refutes: string | null = null;
  let suspicious = 0;
  for (const tree of aug.process_trees.trees) {
    const treeQuery = q(SOURCES.process, aug.process_trees.queries.find((x) => x.source === "process_tree" && x.args.host === tree.host) ? `process_tree host=${tree.host}` : tree.host);
    const targetIndex = tree.nodes.findIndex((n) => n.is_target);
    const target = tree.nodes[targetIndex] ?? tree.nodes[tree.nodes.length - 1]!;
    const ancestors = ancestorsOf(tree.nodes, targetIndex < 0 ? tree.nodes.length - 1 : targetIndex);
    const children = descendantsOf(tree.nodes, targetIndex < 0 ? tree.nodes.length - 1 : targetIndex);
    const chain = [...ancestors, target].map((n) => image(n.process) || "?").join(" → ");
    findings.push(`Process tree on ${tree.host}: ${chain}${children.length ? `; children: ${listOf(children.map((c) => image(c.process)), 5)}` : "; no children"}.`);
    const documentParent = ancestors.find((n) => DOCUMENT_PARENTS.has(image(n.process)));
    const interpreters = [target, ...children].filter((n) => INTERPRETERS.has(image(n.process)));
    if (documentParent && interpreters.length) {
      suspicious++;
      inv.add({
        type: "malicious_execution",
        description: `${image(documentParent.process)} is an ancestor of ${listOf(uniqueCaseless(interpreters.map((n) => image(n.process))), 3)} on ${tree.host} (${quote(interpreters[0]!.command_line, 160)}).`,
        weight: "strong",
        source_query: treeQuery,
        direction: "malicious",
        time: interpreters[0]!.time,
        phase: "exploitation",
        host: tree.host,
      });
    } else if (children.some((c) => INTERPRETERS.has(image(c.process)) && !BROWSERS.has(image(target.process)))) {
      suspicious++;
      const child = children.find((c) => INTERPRETERS.has(image(c.process)))!;
      inv.add({ type: "child_interpreter", description: `${image(target.process)} started ${image(child.process)} on ${tree.host} (${quote(child.command_line, 160)}).`, weight: "moderate", source_query: treeQuery, direction: "malicious", time: child.time, phase: "execution", host: tree.host });
    }
    const f = a.facts.find((x) => x.alertId === tree.alert_id);
    const vendor = f?.process?.knownVendor ?? null;
    const signedByVendor = (target.signed === true && target.signer && vendorLike(target.signer)) || (f?.process?.signed === true && vendor);
    if (signedByVendor && !documentParent && children.every((c) => !INTERPRETERS.has(image(c.process)))) {
      const parent = ancestors[ancestors.length - 1];
      inv.add({
        type: "expected_lineage",
        description: `${image(target.process)} on ${tree.host} is signed by ${target.signer ?? vendor} and started by ${parent ? image(parent.process) : "no recorded parent"}, with no interpreter or script child.`,
        weight: "moderate",
        source_query: treeQuery,
        direction: "benign",
        time: target.time,
        phase: "execution",
        host: tree.host,
      });
      refutes = `${image(target.process)} is a ${target.signer ?? vendor}-signed binary started by its expected parent (${parent ? image(parent.process) : "none"}), with no follow-on child process.`;
      inv.ruledOut.push(`a malicious process chain behind ${image(target.process)} on ${tree.host}`);
    }
  }
  // Absence is evidence only where the telemetry demonstrably exists: a process tree was read for the host.
  const treeHosts = aug.process_trees.trees.map((t) => t.host);
  if (refutes && treeHosts.length) {
    const processes = new Set(aug.process_trees.trees.flatMap((t) => t.nodes.map((n) => n.process?.toLowerCase() ?? "")));
    const talking = aug.network.connections.filter((c) => c.process && processes.has(c.process.toLowerCase()));
    if (aug.network.connections.length && talking.length === 0) {
      inv.add({ type: "no_follow_up", description: `No network connection by the process tree on ${listOf(treeHosts, 2)} among ${aug.network.connections.length} recorded.`, weight: "moderate", source_query: q(SOURCES.network, `search_events connections of ${listOf(treeHosts, 2)}`), direction: "benign", time: null, phase: "command-and-control", host: treeHosts[0]! });
      inv.ruledOut.push("outbound connections from the process tree");
    }
    if (aug.persistence.events.length === 0)
      inv.add({ type: "no_persistence", description: `No service, task, run key, account or dropped executable on ${listOf(treeHosts, 2)} in the window.`, weight: "moderate", source_query: q(SOURCES.persistence, `search_events host=${treeHosts[0]} event_id=7045,4697,4698,4720,4732,13,11`), direction: "benign", time: null, phase: "persistence", host: treeHosts[0]! });
  }
  for (const e of aug.persistence.events) {
    const id = e.event_id ?? "";
    const d = e.data;
    const what =
      id === "7045" || id === "4697"
        ? `service ${quote(String(d.ServiceName ?? d.ServiceFileName ?? "?"), 80)} installed`
        : id === "4698"
          ? `scheduled task ${quote(String(d.TaskName ?? "?"), 80)} created`
          : id === "13"
            ? `run key ${quote(String(d.TargetObject ?? "?"), 120)} set`
            : id === "4720"
              ? `account ${quote(String(d.TargetUserName ?? "?"), 60)} created`
              : id === "4732"
                ? `member added to group ${quote(String(d.TargetUserName ?? "?"), 60)}`
                : id === "11"
                  ? `file ${quote(String(d.TargetFilename ?? "?"), 120)} written`
                  : `event ${id}`;
    if (id === "11" && !EXECUTABLE_FILE.test(String(d.TargetFilename ?? ""))) continue;
    suspicious++;
    inv.add({
      type: id === "11" ? "dropped_file" : "persistence",
      description: `${e.host ?? "host"}: ${what}${e.process ? ` by ${image(e.process)}` : ""} at ${shortTime(e.time)}.`,
      weight: id === "11" ? "moderate" : "strong",
      source_query: q(SOURCES.persistence, `search_events host=${e.host ?? "?"} event_id=${id}`),
      direction: "malicious",
      time: e.time,
      phase: id === "11" ? "installation" : "persistence",
      host: e.host,
    });
  }
  const hashes = entities.hashes;
  if (aug.process_trees.trees.length === 0) findings.push(aug.process_trees.missing_telemetry.length ? `No process tree: ${listOf(aug.process_trees.missing_telemetry, 2)}.` : "No process alert in the case: no process tree to read.");
  if (aug.persistence.events.length === 0) {
    const missing = aug.persistence.missing_telemetry;
    if (missing.length) findings.push(`Persistence not checkable: ${listOf(missing, 2)}.`);
    else {
      findings.push("No service, scheduled task, run key, new account or dropped executable on the case's hosts in the window.");
      inv.ruledOut.push("persistence (services, scheduled tasks, run keys, new accounts) in the investigation window");
    }
  } else findings.push(`${aug.persistence.events.length} persistence/file event(s) in the window.`);
  if (hashes.length) findings.push(`Hashes in the case: ${listOf(hashes.map((h) => `${h.slice(0, 16)}…`), 3)}.`);
  return { findings, outcome: suspicious ? `${suspicious} suspicious endpoint finding(s)` : refutes ? "expected, signed process lineage" : "nothing suspicious on the endpoint", refutes };
}

function vendorLike(signer: string): boolean {
  return /microsoft|google|apple|adobe|mozilla|oracle|vmware|cisco|intel|nvidia|citrix|zoom|dell|lenovo/i.test(signer);
}

function ancestorsOf(nodes: ProcessNodeDigest[], index: number): ProcessNodeDigest[] {
  const out: ProcessNodeDigest[] = [];
  let depth = nodes[index]?.depth ?? 0;
  for (let i = index - 1; i >= 0 && depth > 0; i--) {
    if (nodes[i]!.depth === depth - 1) {
      out.unshift(nodes[i]!);
      depth--;
    }
  }
  return out;
}

function descendantsOf(nodes: ProcessNodeDigest[], index: number): ProcessNodeDigest[] {
  const out: ProcessNodeDigest[] = [];
  const depth = nodes[index]?.depth ?? 0;
  for (let i = index + 1; i < nodes.length && nodes[i]!.depth > depth; i++) out.push(nodes[i]!);
  return out;
}

// ——— step 3 ———

function networkStep(
  inv: Investigation,
  input: VeraInput,
  a: CaseAssessment,
  entities: CaseEntities,
  caseHosts: string[],
): { findings: string[]; outcome: string; refutes: string | null } {
  const aug = input.augmentation;
  const findings: string[] = [];
  const trigger = a.facts.map((f) => f.time).sort()[0]!;
  const netQuery = (d: DestinationSummary) => q(SOURCES.network, `search_events connections to ${d.destination} after ${shortTime(trigger)}`);
  const toIndicator = aug.network.destinations.filter((d) => d.case_indicator && d.last >= trigger);
  const answers = new Set(a.facts.flatMap((f) => f.dns?.answers ?? []).map((x) => x.toLowerCase()));
  const toAnswers = aug.network.destinations.filter((d) => !d.case_indicator && d.dst_ip && answers.has(d.dst_ip.toLowerCase()) && d.last >= trigger);
  for (const d of [...toIndicator, ...toAnswers]) {
    const browserOnly = d.processes.length > 0 && d.processes.every((p) => BROWSERS.has(image(p)));
    inv.add({
      type: "c2_connection",
      description: `${d.count} connection(s) to ${d.dst_host ?? d.dst_ip}${d.dst_port !== null ? `:${d.dst_port}` : ""} between ${shortTime(d.first)} and ${shortTime(d.last)}${d.processes.length ? ` by ${listOf(d.processes.map(image), 3)}` : ""}.`,
      weight: browserOnly ? "moderate" : "strong",
      source_query: netQuery(d),
      direction: "malicious",
      time: d.first,
      phase: "command-and-control",
      host: null,
    });
    if (d.beaconing)
      inv.add({
        type: "beaconing",
        description: `Beaconing to ${d.dst_host ?? d.dst_ip}: ${d.count} connections every ~${d.interval_seconds}s (jitter ${Math.round((d.jitter ?? 0) * 100)}%).`,
        weight: "strong",
        source_query: netQuery(d),
        direction: "malicious",
        time: d.first,
        phase: "command-and-control",
        host: null,
      });
    const bytes = aug.network.connections.filter((c) => (c.dst_ip ?? c.dst_host) && `${(c.dst_ip ?? c.dst_host)!.toLowerCase()}:${c.dst_port ?? ""}`.replace(/:$/, "") === d.destination).reduce((s, c) => s + (c.bytes_out ?? 0), 0);
    if (bytes >= EXFIL_BYTES)
      inv.add({ type: "exfiltration", description: `${Math.round(bytes / 1024 / 1024)} MB sent to ${d.dst_host ?? d.dst_ip}.`, weight: "strong", source_query: netQuery(d), direction: "malicious", time: d.last, phase: "actions-on-objectives", host: null });
  }
  const otherBeacons = aug.network.destinations.filter((d) => d.beaconing && !d.case_indicator && !toAnswers.includes(d) && !d.processes.every((p) => BROWSERS.has(image(p))));
  for (const d of otherBeacons.slice(0, 3)) findings.push(`Regular traffic to ${d.destination} (${d.count} × ~${d.interval_seconds}s, jitter ${Math.round((d.jitter ?? 0) * 100)}%) by ${listOf(d.processes.map(image), 2)}: not a case indicator, worth a look.`);
  if (toIndicator.length || toAnswers.length) findings.push(`Connections to the case's indicators after the trigger: ${[...toIndicator, ...toAnswers].map((d) => `${d.destination} ×${d.count}${d.beaconing ? " (beaconing)" : ""}`).join(", ")}.`);

  const networkSeen = aug.network.connections.length > 0;
  const dnsLookups = aug.dns_history.lookups;
  // Other hosts resolving the case's domains widen the scope.
  for (const summary of aug.dns_history.domains) {
    const others = summary.hosts.filter((h) => !caseHosts.some((c) => hostKey(c) === hostKey(h)));
    if (others.length) {
      for (const h of others) inv.probable.add(h);
      inv.add({ type: "spread", description: `${others.length} other host(s) resolved ${summary.domain}: ${listOf(others, 5)}.`, weight: "moderate", source_query: q(SOURCES.dns, `search_events QueryName=*${summary.domain}`), direction: "malicious", time: summary.first, phase: "scope", host: others[0]! });
    }
  }
  let refutes: string | null = null;
  const dnsFacts = a.facts.filter((f) => f.dns && f.domain);
  if (dnsFacts.length && toIndicator.length === 0 && toAnswers.length === 0) {
    const domains = uniqueCaseless(dnsFacts.map((f) => f.domain));
    const lookups = dnsLookups.filter((l) => domains.some((d) => l.query.toLowerCase() === d.toLowerCase() || l.query.toLowerCase().endsWith(`.${d.toLowerCase()}`)));
    const nx = dnsFacts.every((f) => f.dns!.resolved === false) && lookups.every((l) => !l.response_code || /NXDOMAIN/i.test(l.response_code));
    const repeatHosts = new Map<string, number>();
    for (const l of lookups) repeatHosts.set(hostKey(l.host), (repeatHosts.get(hostKey(l.host)) ?? 0) + 1);
    const repeated = [...repeatHosts.values()].some((n) => n > 2);
    if (lookups.length)
      inv.add({
        type: nx ? "dead_lookup" : "lookup_history",
        description: `${lookups.length} lookup(s) of ${listOf(domains, 3)} in the DNS logs${nx ? ", all NXDOMAIN" : ""}${repeated ? ", repeated" : ", not repeated"}.`,
        weight: nx && !repeated ? "moderate" : "weak",
        source_query: q(SOURCES.dns, `search_events QueryName=*${domains[0]}`),
        direction: nx && !repeated ? "benign" : "malicious",
        time: lookups[0]!.time,
        phase: "command-and-control",
        host: lookups[0]!.host,
      });
    if (networkSeen) {
      inv.add({
        type: "no_follow_up",
        description: `${aug.network.connections.length} connection(s) recorded for ${listOf(caseHosts, 3)} after the lookup, none to ${listOf(domains, 3)}${answers.size ? ` or its answers ${listOf([...answers], 3)}` : ""}.`,
        weight: "moderate",
        source_query: q(SOURCES.network, `search_events connections of ${listOf(caseHosts, 2)} after ${shortTime(trigger)}`),
        direction: "benign",
        time: trigger,
        phase: "command-and-control",
        host: caseHosts[0] ?? null,
      });
      inv.ruledOut.push(`a connection to ${listOf(domains, 3)} after the lookup`);
      if (nx && !repeated) refutes = `${listOf(domains, 3)} never resolved (NXDOMAIN), the lookup was not repeated, and no connection followed it.`;
      else if (!repeated) refutes = `${listOf(domains, 3)} resolved but no connection to it or its answers followed within ${input.augmentation.window.after_minutes} minutes.`;
    }
  }
  if (!networkSeen) findings.push(aug.network.missing_telemetry.length ? `Network not checkable: ${listOf(aug.network.missing_telemetry, 2)}.` : "No connections recorded.");
  else findings.push(`${aug.network.connections.length} connection(s) to ${aug.network.destinations.length} destination(s) read for ${listOf(caseHosts, 3)}${aug.network.truncated ? " (capped)" : ""}.`);
  const issuers = uniqueCaseless(dnsLookups.filter((l) => caseHosts.some((h) => hostKey(h) === hostKey(l.host))).map((l) => l.process).filter((p) => p && !BROWSERS.has(image(p))));
  if (issuers.length) findings.push(`Lookups of the case's domains on its hosts issued by ${listOf(issuers.map(image), 3)} (not a browser).`);
  if (dnsLookups.length) findings.push(`DNS history: ${aug.dns_history.domains.map((d) => `${d.domain} ×${d.lookups} from ${d.hosts.length} host(s)`).join("; ")}.`);
  else if (entities.domains.length) findings.push(aug.dns_history.missing_telemetry.length ? `DNS history not available: ${listOf(aug.dns_history.missing_telemetry, 2)}.` : "No DNS lookups stored for the case's domains.");
  const outcome = toIndicator.length || toAnswers.length ? "active communication with case indicators" : refutes ? "no follow-up traffic" : networkSeen ? "no traffic to case indicators" : "network not observable";
  return { findings, outcome, refutes };
}

// ——— step 4 ———

function logsStep(inv: Investigation, input: VeraInput, a: CaseAssessment, caseHosts: string[]): { findings: string[]; outcome: string; refutes: string | null } {
  const auth = input.augmentation.authentication;
  const findings: string[] = [];
  let refutes: string | null = null;
  const authQuery = (what: string) => q(SOURCES.auth, what);
  if (a.bruteForceChain) {
    inv.add({ type: "bruteforce_success", description: `Alerts show brute force then success: ${a.bruteForceChain.detail}.`, weight: "strong", source_query: q(SOURCES.alert, `brute-force chain ending ${a.bruteForceChain.successAlertId}`), direction: "malicious", time: a.bruteForceChain.successTime, phase: "credential-access", host: a.bruteForceChain.host });
  }
  for (const chain of auth.summary.failure_then_success) {
    inv.add({
      type: "bruteforce_success",
      description: `${chain.failures} failed logon(s) from ${chain.src_ip} then a successful logon${chain.user ? ` as ${chain.user}` : ""} at ${shortTime(chain.success_time)}.`,
      weight: "strong",
      source_query: authQuery(`search_events 4625/4624/sshd from ${chain.src_ip}`),
      direction: "malicious",
      time: chain.success_time,
      phase: "credential-access",
      host: auth.events.find((e) => e.time === chain.success_time)?.host ?? null,
    });
  }
  const bruteAlerts = a.facts.filter((f) => f.family === "auth" && f.remoteSrcIp);
  if (bruteAlerts.length && !a.bruteForceChain && auth.summary.failure_then_success.length === 0 && auth.events.length) {
    const sources = uniqueCaseless(bruteAlerts.map((f) => f.remoteSrcIp));
    const success = auth.events.filter((e) => e.kind === "success" && e.src_ip && sources.some((s) => s.toLowerCase() === e.src_ip!.toLowerCase()));
    if (success.length === 0) {
      const failures = auth.events.filter((e) => e.kind === "failure" && e.src_ip && sources.some((s) => s.toLowerCase() === e.src_ip!.toLowerCase()));
      inv.add({ type: "attempt_failed", description: `${failures.length} failed and no successful logon from ${listOf(sources, 3)} in the auth logs.`, weight: "moderate", source_query: authQuery(`search_events 4624/4625/sshd host=${listOf(caseHosts, 2)}`), direction: "benign", time: failures[0]?.time ?? null, phase: "credential-access", host: caseHosts[0] ?? null });
      inv.ruledOut.push(`a successful logon from ${listOf(sources, 3)}`);
      refutes = `no successful logon from ${listOf(sources, 3)} follows the failures in the auth logs.`;
    }
  }
  const trigger = a.facts.map((f) => f.time).sort()[0]!;
  const users = uniqueCaseless(a.facts.map((f) => f.user));
  const elsewhere = auth.events.filter(
    (e) => e.kind === "success" && e.time >= trigger && e.user && users.some((u) => u.toLowerCase() === e.user!.toLowerCase()) && e.host && !caseHosts.some((h) => hostKey(h) === hostKey(e.host)) && e.logon_type !== "2",
  );
  if (elsewhere.length) {
    const hosts = uniqueCaseless(elsewhere.map((e) => e.host));
    for (const h of hosts) inv.probable.add(h);
    inv.add({ type: "lateral_movement", description: `${listOf(uniqueCaseless(elsewhere.map((e) => e.user)), 2)} logged on to ${listOf(hosts, 4)} after the trigger (logon type ${listOf(uniqueCaseless(elsewhere.map((e) => e.logon_type)), 3)}).`, weight: "moderate", source_query: authQuery(`search_events 4624 user=${users[0] ?? "?"}`), direction: "malicious", time: elsewhere[0]!.time, phase: "lateral-movement", host: hosts[0]! });
  }
  const privileged = auth.events.filter((e) => e.kind === "special_privileges" && e.time >= trigger && e.user && users.some((u) => u.toLowerCase() === e.user!.toLowerCase()));
  if (privileged.length) inv.add({ type: "privileged_logon", description: `${privileged[0]!.user} received special privileges at ${shortTime(privileged[0]!.time)} (4672).`, weight: "weak", source_query: authQuery(`search_events 4672 host=${privileged[0]!.host ?? "?"}`), direction: "malicious", time: privileged[0]!.time, phase: "privilege-escalation", host: privileged[0]!.host });
  findings.push(auth.events.length ? `Auth logs: ${auth.summary.failures} failure(s), ${auth.summary.successes} success(es)${auth.summary.failure_then_success.length ? `, failures then success from ${auth.summary.failure_then_success.map((c) => c.src_ip).join(", ")}` : ""}.` : auth.missing_telemetry.length ? `Auth logs not available: ${listOf(auth.missing_telemetry, 2)}.` : "No authentication events in the window.");
  if (elsewhere.length) findings.push(`Logons of the case's user(s) on other hosts after the trigger: ${elsewhere.length}.`);
  for (const f of a.facts) {
    const id = f.enrichment.identity;
    if (id) findings.push(`${id.username}: ${id.user_type}, ${id.privilege_level}, MFA ${id.mfa_enabled === undefined ? "unknown" : id.mfa_enabled ? "on" : "off"}${id.recent_anomalies?.length ? `, anomalies ${id.recent_anomalies.map((x) => x.kind).join(", ")}` : ""}.`);
  }
  if (a.credentialsSubmitted) findings.push("Credentials were submitted to the phishing page: the account must be treated as compromised.");
  const outcome = inv.has("malicious", "bruteforce_success") ? "brute force succeeded" : elsewhere.length ? "account active on other hosts" : refutes ? "attempt failed" : a.credentialsSubmitted ? "credentials exposed" : "nothing anomalous in the logs";
  return { findings: uniqueCaseless(findings), outcome, refutes };
}

// ——— step 5 ———

const CHECKLIST: { tactic: string; types: string[]; needs: ("edr" | "network" | "auth")[] }[] = [
  { tactic: "Initial access", types: ["credentials_submitted", "phishing_page_loaded", "bruteforce_success"], needs: [] },
  { tactic: "Execution", types: ["malicious_execution", "child_interpreter"], needs: ["edr"] },
  { tactic: "Persistence", types: ["persistence"], needs: ["edr"] },
  { tactic: "Privilege escalation", types: ["privileged_logon"], needs: ["auth"] },
  { tactic: "Credential access", types: ["credentials_submitted", "bruteforce_success", "identity_anomaly"], needs: ["auth"] },
  { tactic: "Lateral movement", types: ["lateral_movement"], needs: ["auth"] },
  { tactic: "Command and control", types: ["c2_connection", "beaconing"], needs: ["network"] },
  { tactic: "Exfiltration", types: ["exfiltration"], needs: ["network"] },
];

function attackChecklist(inv: Investigation, input: VeraInput): string[] {
  const aug = input.augmentation;
  const observable = {
    edr: aug.process_trees.trees.length > 0 || aug.persistence.missing_telemetry.length === 0,
    network: aug.network.connections.length > 0,
    auth: aug.authentication.events.length > 0,
  };
  return CHECKLIST.map(({ tactic, types, needs }) => {
    const ids = inv.items.map((item, i) => ({ item, id: idOf(i) })).filter(({ item }) => item.direction === "malicious" && types.includes(item.type)).map(({ id }) => id);
    if (ids.length) return `${tactic}: observed (${ids.join(", ")}).`;
    const blind = needs.filter((n) => !observable[n]);
    return blind.length ? `${tactic}: not checkable (no ${blind.join("/")} telemetry).` : `${tactic}: not observed.`;
  });
}

// ——— step 6 ———

function refutationOf(inv: Investigation, a: CaseAssessment, network: string | null, endpoint: string | null, logs: string | null): string | null {
  const parts = [network, endpoint, logs].filter((p): p is string => !!p);
  const benignIntel = a.facts.every((f) => f.intel.verdict === "benign" || f.intel.verdict === "unknown") && inv.has("benign", "benign_intel");
  if (benignIntel) parts.push("threat intel rates the indicator benign");
  if (inv.has("benign", "delivery_blocked")) parts.push("the gateway blocked the message before delivery and nothing was loaded or submitted");
  return parts.length ? parts.join(" ") : null;
}

function refutedDisposition(inv: Investigation, a: CaseAssessment): Verdict {
  if (inv.has("benign", "attempt_failed") || inv.has("benign", "delivery_blocked")) return "true_positive";
  if (inv.has("benign", "expected_lineage") || a.facts.some((f) => f.suppression?.valid)) return "benign_true_positive";
  return "false_positive";
}

function rootCause(a: CaseAssessment, inv: Investigation, s: Signals, resolution: HypothesisResolution, refutation: string | null): VeraOutput["root_cause"] {
  const f = a.primary;
  const host = f.host ?? f.hostIp ?? "the host";
  if (s.credentials)
    return { description: `${f.user ?? "The recipient"} submitted credentials to a phishing page${f.email?.links[0] ? ` (${f.email.links[0]})` : ""}; the account is exposed.`, attack_vector: "phishing e-mail (credential harvesting)", kill_chain_stage: s.bruteSuccess || inv.has("malicious", "lateral_movement") ? "actions-on-objectives" : "credential-access" };
  if (s.bruteSuccess)
    return { description: `Password guessing against ${host}${a.bruteForceChain?.src ? ` from ${a.bruteForceChain.src}` : ""} succeeded${a.bruteForceChain?.user ? ` for ${a.bruteForceChain.user}` : ""}.`, attack_vector: "brute force of a remote login service", kill_chain_stage: s.execution ? "installation" : "exploitation" };
  if (s.execution && s.c2)
    return { description: `Malicious code executed on ${host} and is communicating with ${f.domain ?? f.dstIp ?? "its C2"}.`, attack_vector: f.process?.parent ? `execution via ${f.process.parent}` : "unknown first stage", kill_chain_stage: "command-and-control" };
  const probable = probableThreatDescription(a, s);
  if (!s.c2 && probable && (s.exfilProbable || s.c2Probable))
    return { description: probable, attack_vector: s.exfilProbable ? "unknown first stage (data leaving the network)" : "unknown first stage (implant calling out)", kill_chain_stage: s.exfilProbable ? "actions-on-objectives" : "command-and-control" };
  if (s.c2)
    return { description: `${host} is in active communication with ${f.domain ?? f.dstIp ?? "the case's indicator"}${inv.has("malicious", "beaconing") ? " on a regular beacon" : ""}: an implant is likely present.`, attack_vector: "unknown first stage (implant communicating out)", kill_chain_stage: "command-and-control" };
  if (s.execution)
    return { description: `Suspicious execution on ${host}${f.process?.name ? ` (${f.process.name})` : ""} with ${inv.has("malicious", "persistence") ? "persistence" : "follow-on activity"}.`, attack_vector: f.process?.parent ? `execution via ${f.process.parent}` : "unknown", kill_chain_stage: inv.has("malicious", "persistence") ? "installation" : "exploitation" };
  if (resolution === "REFUTED")
    return { description: refutation ?? "The hypothesis was refuted by the telemetry.", attack_vector: "none (no hostile activity)", kill_chain_stage: "none" };
  return { description: `Not established: ${f.subtype} activity on ${host} could be neither confirmed nor refuted with the telemetry available.`, attack_vector: "undetermined", kill_chain_stage: "undetermined" };
}

function buildTimeline(inv: Investigation, input: VeraInput): VeraOutput["timeline"] {
  const events: TimelineEvent[] = [];
  for (const { alert } of input.alerts)
    events.push({ time: alert.time, description: `Alert ${quote(alert.title, 120)} (${alert.source}, ${alert.severity})${alert.host?.name ? ` on ${alert.host.name}` : ""}.`, kill_chain_phase: alert.attack.tactics[0] ?? "detection", confidence: "high", evidence_ids: [] });
  inv.items.forEach((item, i) => {
    if (!item.time) return;
    events.push({ time: item.time, description: item.description, kill_chain_phase: item.phase, confidence: item.weight === "strong" ? "high" : item.weight === "moderate" ? "medium" : "low", evidence_ids: [idOf(i)] });
  });
  events.sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
  const gaps = [...input.augmentation.missing_telemetry];
  const times = events.map((e) => Date.parse(e.time)).filter(Number.isFinite);
  for (let i = 1; i < times.length; i++)
    if (times[i]! - times[i - 1]! > 6 * 3_600_000) gaps.push(`Nothing recorded between ${shortTime(events[i - 1]!.time)} and ${shortTime(events[i]!.time)}.`);
  if (inv.items.every((x) => x.direction !== "malicious" || x.type !== "credentials_submitted") && !inv.has("malicious", "bruteforce_success"))
    gaps.push("The first stage before the earliest alert was not observed.");
  return { events: events.slice(0, 60), gaps: uniqueCaseless(gaps) };
}

function entryVector(a: CaseAssessment, s: Signals): VeraOutput["entry_vector"] {
  const f = a.primary;
  if (f.email) return { value: `phishing e-mail from ${f.email.sender ?? "an unknown sender"}${f.email.subject ? ` (${quote(f.email.subject, 80)})` : ""}`, unknown_reason: null };
  if (s.bruteSuccess || a.bruteForceChain) {
    const src = a.bruteForceChain?.src ?? f.remoteSrcIp;
    return { value: `password guessing against ${loginService(f)} on ${f.host ?? f.hostIp ?? "the host"}${src ? ` from ${src}` : ""}`, unknown_reason: null };
  }
  if (f.process?.suspiciousLineage) return { value: `document or browser execution via ${f.process.parent}`, unknown_reason: null };
  return { value: null, unknown_reason: `the earliest evidence is the ${f.subtype} alert itself; what preceded it on ${f.host ?? "the host"} was not observed` };
}

function ifNotContained(s: Signals, verdict: VeraVerdict): string {
  if (verdict !== "ESCALATE_TO_ARIA") return "Nothing requires containment on this evidence.";
  const risks: string[] = [];
  if (s.credentials) risks.push("the harvested credentials will be used to sign in, read mail and phish internally");
  if (s.bruteSuccess) risks.push("the intruder keeps interactive access and can install persistence or move laterally");
  if (s.c2 || s.c2Probable) risks.push("the implant keeps receiving commands: data theft, lateral movement or ransomware staging");
  if (s.execution) risks.push("the malware keeps running and may persist across reboots");
  if (s.exfiltration || s.exfilProbable) risks.push("more data leaves the network");
  return `${risks.join("; ")}.`.replace(/^./, (c) => c.toUpperCase());
}

function recoveryNotes(s: Signals, verdict: VeraVerdict, hosts: string[], entities: CaseEntities): string {
  if (verdict !== "ESCALATE_TO_ARIA") return verdict === "CLOSED" ? "No recovery needed." : "A human verifies before anything is recovered.";
  const notes: string[] = [];
  if (s.c2 || s.c2Probable || s.exfilProbable || s.execution) notes.push(`Reimage or clean ${listOf(hosts, 3)} after forensic capture; verify no persistence remains before rejoining the network.`);
  if (s.credentials || s.bruteSuccess) notes.push(`Re-enable ${listOf(entities.users, 3)} only after a password reset and MFA re-enrolment; review mailbox rules and sign-ins since the exposure.`);
  if (entities.domains.length || entities.ips.length) notes.push("Keep the blocks until the infrastructure is confirmed dead.");
  return notes.join(" ") || "Verify the containment held.";
}

function narrativeOf(n: {
  a: CaseAssessment;
  resolution: HypothesisResolution;
  rootCauseConfidence: RootCauseConfidence;
  verdict: VeraVerdict;
  disposition: Verdict;
  severity: Severity;
  tora: Severity;
  evidence: VeraEvidence[];
  containment: { urgency: ContainmentUrgency; recommendations: ContainmentRecommendation[] };
  root: VeraOutput["root_cause"];
  scopeProbable: string[];
  missing: string[];
}): string {
  const f = n.a.primary;
  const strong = n.evidence.filter((e) => e.weight === "strong").length;
  const sentences = [
    `I investigated TORA's ${f.subtype} case on ${f.host ?? f.hostIp ?? "an unidentified host"} across endpoint, network, authentication and related-alert telemetry.`,
    `I gathered ${n.evidence.length} evidence item(s), ${strong} of them strong, and TORA's hypothesis is ${n.resolution.toLowerCase()}.`,
    `Root cause (${n.rootCauseConfidence.toLowerCase()}): ${n.root.description.replace(/\.$/, "")}.`,
    n.scopeProbable.length ? `The scope may extend to ${listOf(n.scopeProbable, 4)}.` : "The scope stays within the case's own assets.",
    n.missing.length ? `Blind spots: ${listOf(n.missing, 2)}.` : "No telemetry the investigation needed was missing.",
    n.verdict === "ESCALATE_TO_ARIA"
      ? `I hand it to ARIA with ${n.containment.recommendations.length} containment step(s), ${n.containment.urgency.replace("_", " ")}, at severity ${n.severity}.`
      : n.verdict === "CLOSED"
        ? `I close it as ${n.disposition.replace(/_/g, " ")}${n.severity !== n.tora ? `, severity ${n.tora} → ${n.severity}` : ""}.`
        : "I put it on hold for a human to verify: the evidence does not settle it either way.",
  ];
  return sentences.join(" ");
}

/**
 * Dwell time: from the first hostile activity to the last activity observed (the latest hostile evidence or
 * alert of the case), never to the clock of the investigation — a replay or a backfill of the same data
 * gives the same answer.
 */
function dwellTime(inv: Investigation, input: VeraInput, hostile: boolean, direction: Item["direction"]): VeraOutput["dwell_time"] {
  const times = inv.items.filter((i) => i.direction === "malicious" && i.time && i.weight !== "weak").map((i) => i.time!);
  const first = [...times].sort()[0] ?? null;
  if (!hostile || !first) return { value: null, unknown_reason: direction === "benign" ? "no hostile activity: the hypothesis was refuted" : "no hostile activity could be dated from the evidence" };
  // The last traffic to the case's indicators counts as activity too (a beacon keeps calling after the alert).
  const traffic = input.augmentation.network.destinations.filter((d) => d.case_indicator).map((d) => d.last);
  const last = [...times, ...traffic, ...input.alerts.map((x) => x.alert.time)].map((t) => new Date(t).toISOString()).sort().pop()!;
  return { value: `${duration(Date.parse(last) - Date.parse(first))} (first hostile activity ${shortTime(first)}, last observed ${shortTime(last)})`, unknown_reason: null };
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
