import type { ContainmentRecommendation, ContainmentUrgency, HypothesisResolution, RootCauseConfidence, Severity, TimelineEvent, Verdict, VeraEvidence, VeraOutput, VeraVerdict } from "../../../core/index.js";
import type { CaseAssessment } from "../../assessment/assessment.js";
import { loginService } from "../../tora/hypothesis.js";
import { listOf, quote, shortTime, uniqueCaseless } from "../../assessment/text.js";
import type { CaseEntities } from "../augment.js";
import type { Signals } from "../containment.js";
import type { VeraInput } from "../schema.js";
import { idOf, type Investigation, type Item } from "./investigation.js";

// The report parts of step 6: timeline, entry vector, dwell time, what happens if not contained, recovery and
// the narrative.

export function buildTimeline(inv: Investigation, input: VeraInput): VeraOutput["timeline"] {
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

export function entryVector(a: CaseAssessment, s: Signals): VeraOutput["entry_vector"] {
  const f = a.primary;
  if (f.email) return { value: `phishing e-mail from ${f.email.sender ?? "an unknown sender"}${f.email.subject ? ` (${quote(f.email.subject, 80)})` : ""}`, unknown_reason: null };
  if (s.bruteSuccess || a.bruteForceChain) {
    const src = a.bruteForceChain?.src ?? f.remoteSrcIp;
    return { value: `password guessing against ${loginService(f)} on ${f.host ?? f.hostIp ?? "the host"}${src ? ` from ${src}` : ""}`, unknown_reason: null };
  }
  if (f.process?.suspiciousLineage) return { value: `document or browser execution via ${f.process.parent}`, unknown_reason: null };
  return { value: null, unknown_reason: `the earliest evidence is the ${f.subtype} alert itself; what preceded it on ${f.host ?? "the host"} was not observed` };
}

export function ifNotContained(s: Signals, verdict: VeraVerdict): string {
  if (verdict !== "ESCALATE_TO_ARIA") return "Nothing requires containment on this evidence.";
  const risks: string[] = [];
  if (s.credentials) risks.push("the harvested credentials will be used to sign in, read mail and phish internally");
  if (s.bruteSuccess) risks.push("the intruder keeps interactive access and can install persistence or move laterally");
  if (s.c2 || s.c2Probable) risks.push("the implant keeps receiving commands: data theft, lateral movement or ransomware staging");
  if (s.execution) risks.push("the malware keeps running and may persist across reboots");
  if (s.exfiltration || s.exfilProbable) risks.push("more data leaves the network");
  return `${risks.join("; ")}.`.replace(/^./, (c) => c.toUpperCase());
}

export function recoveryNotes(s: Signals, verdict: VeraVerdict, hosts: string[], entities: CaseEntities): string {
  if (verdict !== "ESCALATE_TO_ARIA") return verdict === "CLOSED" ? "No recovery needed." : "A human verifies before anything is recovered.";
  const notes: string[] = [];
  if (s.c2 || s.c2Probable || s.exfilProbable || s.execution) notes.push(`Reimage or clean ${listOf(hosts, 3)} after forensic capture; verify no persistence remains before rejoining the network.`);
  if (s.credentials || s.bruteSuccess) notes.push(`Re-enable ${listOf(entities.users, 3)} only after a password reset and MFA re-enrolment; review mailbox rules and sign-ins since the exposure.`);
  if (entities.domains.length || entities.ips.length) notes.push("Keep the blocks until the infrastructure is confirmed dead.");
  return notes.join(" ") || "Verify the containment held.";
}

export function narrativeOf(n: {
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
export function dwellTime(inv: Investigation, input: VeraInput, hostile: boolean, direction: Item["direction"]): VeraOutput["dwell_time"] {
  const times = inv.items.filter((i) => i.direction === "malicious" && i.time && i.weight !== "weak").map((i) => i.time!);
  const first = [...times].sort()[0] ?? null;
  if (!hostile || !first) return { value: null, unknown_reason: direction === "benign" ? "no hostile activity: the hypothesis was refuted" : "no hostile activity could be dated from the evidence" };
  // The last traffic to the case's indicators counts as activity too (a beacon keeps calling after the alert).
  const traffic = input.augmentation.network.destinations.filter((d) => d.case_indicator).map((d) => d.last);
  const last = [...times, ...traffic, ...input.alerts.map((x) => x.alert.time)].map((t) => new Date(t).toISOString()).sort().pop()!;
  return { value: `${duration(Date.parse(last) - Date.parse(first))} (first hostile activity ${shortTime(first)}, last observed ${shortTime(last)})`, unknown_reason: null };
}

export function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
