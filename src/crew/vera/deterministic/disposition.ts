import { CREW_SCHEMA_VERSION, VeraOutput, caseIdForTier, maxSeverity, severityRank, shiftSeverity, type ContainmentUrgency, type HypothesisResolution, type RootCauseConfidence, type Severity, type TraceStep, type Verdict, type VeraEvidence, type VeraVerdict } from "../../../core/index.js";
import type { CaseAssessment } from "../../assessment/assessment.js";
import { listOf, uniqueCaseless } from "../../assessment/text.js";
import type { CaseEntities } from "../augment.js";
import { containmentPlan, probableC2, probableExfiltration, probableThreatDescription, type Signals } from "../containment.js";
import { ownInfrastructureOf } from "../own-infrastructure.js";
import type { VeraInput } from "../schema.js";
import { TELEMETRY_SOURCES, VERA_STEPS, hostKey, idOf, type Investigation, type Item, type StepResult } from "./investigation.js";
import { buildTimeline, dwellTime, entryVector, ifNotContained, narrativeOf, recoveryNotes } from "./report.js";

// Step 6, root cause and disposition: the hypothesis confirmed, refined or refuted over independent sources,
// the verdict, severity and containment, and VERA's output.

export interface Steps {
  endpoint: StepResult;
  network: StepResult;
  logs: StepResult;
  checklist: string[];
}

/** Decides over the evidence of steps 1-5 and assembles the output (step 6 appended to `trace`). */
export function dispositionStep(inv: Investigation, input: VeraInput, a: CaseAssessment, entities: CaseEntities, caseHosts: string[], trace: TraceStep[], steps: Steps): VeraOutput {
  const tora = input.tora.output;
  const aug = input.augmentation;
  const { endpoint, network, logs, checklist } = steps;
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


export function refutationOf(inv: Investigation, a: CaseAssessment, network: string | null, endpoint: string | null, logs: string | null): string | null {
  const parts = [network, endpoint, logs].filter((p): p is string => !!p);
  const benignIntel = a.facts.every((f) => f.intel.verdict === "benign" || f.intel.verdict === "unknown") && inv.has("benign", "benign_intel");
  if (benignIntel) parts.push("threat intel rates the indicator benign");
  if (inv.has("benign", "delivery_blocked")) parts.push("the gateway blocked the message before delivery and nothing was loaded or submitted");
  return parts.length ? parts.join(" ") : null;
}

export function refutedDisposition(inv: Investigation, a: CaseAssessment): Verdict {
  if (inv.has("benign", "attempt_failed") || inv.has("benign", "delivery_blocked")) return "true_positive";
  if (inv.has("benign", "expected_lineage") || a.facts.some((f) => f.suppression?.valid)) return "benign_true_positive";
  return "false_positive";
}

export function rootCause(a: CaseAssessment, inv: Investigation, s: Signals, resolution: HypothesisResolution, refutation: string | null): VeraOutput["root_cause"] {
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
