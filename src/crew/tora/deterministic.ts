import { CREW_SCHEMA_VERSION, confidenceLabel, type ToraOutput, type TraceStep } from "../../core/index.js";
import { guard, parseOrThrow } from "../guardrails/apply.js";
import { behaviourPriority, CLOSE_MIN_CONFIDENCE, decideVerdict, priorityFor } from "../guardrails/decision.js";
import { evaluateForcedRules, toForcedRule, waivedForcedRules, type FiredRule } from "../guardrails/forced-rules.js";
import { assessCase, type CaseAssessment } from "../assessment/assessment.js";
import { describeContainment } from "../assessment/closing.js";
import { buildHypothesis } from "./hypothesis.js";
import { buildEscalationPackage, buildInsufficientContextPackage } from "./packages.js";
import { ToraInput } from "./schema.js";

export const DETERMINISTIC_ANALYST = "deterministic";

/**
 * TORA without a language model: the four steps of crew.md computed from the structured fields of the
 * alerts and their enrichment. The result passes the same guardrails as any other analyst's proposal
 * and is validated against ToraOutput before it is returned. `nova_feed.duration_ms` is 0: the caller
 * that measures time fills it in.
 */
export function triageDeterministic(rawInput: ToraInput): ToraOutput {
  const input = parseOrThrow(ToraInput, rawInput, "TORA input", "input");
  const a = assessCase(input);
  const rules = evaluateForcedRules(a);
  const hypothesis = buildHypothesis(a);
  const decision = decideVerdict(a, rules, hypothesis);
  const { verdict, confidence } = decision;
  const priority = priorityFor(verdict, { severity: a.severity.severity, ruleIds: rules.map((r) => r.id), activeC2OnCritical: !!a.activeC2OnCritical, floor: behaviourPriority(a) });
  const waived = waivedForcedRules(a);

  const escalation = verdict === "ESCALATED" ? buildEscalationPackage(a, hypothesis, rules, priority) : null;
  const insufficient = verdict === "INSUFFICIENT_CONTEXT" ? buildInsufficientContextPackage(a, hypothesis, decision.blockers) : null;

  const trace: TraceStep[] = [
    {
      step: 1,
      name: "Severity",
      findings: a.severity.findings,
      outcome: `${a.severity.severity} (source ${a.severity.base}, net ${a.severity.netSteps >= 0 ? "+" : ""}${a.severity.netSteps})`,
    },
    {
      step: 2,
      name: "False-positive check",
      findings: [...a.fp.findings, a.fp.reasoning],
      outcome: a.fp.contained
        ? `true positive contained by a control: closable, likely false positive: no; disposition ${a.fp.disposition}`
        : `likely false positive: ${a.fp.likely ? "yes" : "no"}; disposition ${a.fp.disposition}${a.fp.suppressionId ? ` via suppression ${a.fp.suppressionId}` : ""}`,
    },
    {
      step: 3,
      name: "Context sufficiency",
      findings: a.context.findings,
      outcome: `${a.context.sufficient ? "sufficient" : a.context.suppressionBacked ? "sufficient for a suppression-backed closure only" : "insufficient"} (${a.context.axesWithSignal}/${a.context.historySignal ? 4 : 3} axes with signal, completeness ${a.context.completeness})`,
    },
    {
      step: 4,
      name: "Decision",
      findings: [
        ...(waived.length
          ? [
              `Forced rule(s) ${waived.map((r) => `${r.id} (${r.evidence})`).join("; ")} give way to analyst precedent (crew.md step 4): routine telemetry of a shape analysts consistently judged benign, no attacker behaviour, no intel match; judged on severity ${a.severity.severityWithoutAsset} without asset factors. Counted for NOVA and sampled for human review.`,
            ]
          : []),
        ...decision.findings,
        `Hypothesis: ${hypothesis.text}`,
      ],
      outcome: `${verdict} ${priority}, confidence ${confidence}`,
    },
  ];

  const output: ToraOutput = {
    schema_version: CREW_SCHEMA_VERSION,
    agent: "TORA",
    case_id: input.caseId,
    verdict,
    severity: a.severity.severity,
    confidence,
    confidence_label: confidenceLabel(confidence),
    priority,
    rationale: rationale(a, rules, verdict, confidence, priority, insufficient?.blocking_reason ?? null),
    false_positive_assessment: {
      likely_false_positive: a.fp.likely,
      disposition: a.fp.disposition,
      reasoning: a.fp.reasoning,
      suppression_rule_id: a.fp.suppressionId,
    },
    forced_escalation: { triggered: rules.length > 0, rules: rules.map(toForcedRule) },
    reasoning_trace: trace,
    narrative: narrative(a, rules, verdict, confidence, priority, escalation?.suggested_focus[0] ?? null, insufficient?.enrichment_needed[0] ?? null),
    escalation_package: escalation,
    insufficient_context_package: insufficient,
    nova_feed: {
      disposition_class: a.fp.disposition,
      alert_type: a.primary.subtype,
      suppression_candidate: suppressionCandidate(a, rules),
      confidence,
      forced_escalation: rules.length > 0,
      context_completeness: a.context.completeness,
      missing_fields: a.context.missingFields,
      duration_ms: 0,
    },
  };
  return guard(output, input, { assessment: a, hypothesis }).output;
}

function rationale(a: CaseAssessment, rules: FiredRule[], verdict: string, confidence: number, priority: string, blocking: string | null): string {
  const severity = `severity ${a.severity.base} → ${a.severity.severity}`;
  if (verdict === "ESCALATED" && rules.length)
    return `ESCALATED at ${priority}: forced rule(s) ${rules.map((r) => `${r.id} (${r.evidence})`).join("; ")}. ${capital(severity)}; confidence ${confidence}. ${a.fp.reasoning}`;
  if (verdict === "ESCALATED") {
    const top = [...a.maliciousEvidence].sort((x, y) => y.weight - x.weight).slice(0, 3).map((e) => e.detail);
    return `ESCALATED at ${priority}: ${top.length ? top.join("; ") : "the detection stands unrefuted on complete context"}. ${capital(severity)}; confidence ${confidence} ≥ 60 with a falsifiable hypothesis on axis data.`;
  }
  if (verdict === "CLOSED" && a.fp.contained) {
    const confirming = a.maliciousEvidence.filter((e) => e.answeredBy === "contained_by_control").map((e) => e.id);
    return (
      `CLOSED at ${priority} as true_positive, contained by a control: ${a.facts.map(describeContainment).join("; ")}. ` +
      `${confirming.length ? `The malicious evidence (${confirming.join(", ")}) confirms it was real but only classifies an item the control already stopped. ` : ""}` +
      `${capital(severity)}; confidence ${confidence} ≥ ${CLOSE_MIN_CONFIDENCE} that nothing further is needed, single asset, no forced rule.`
    );
  }
  if (verdict === "CLOSED")
    return `CLOSED at ${priority} as ${a.fp.disposition}: ${a.benignEvidence.map((e) => e.detail).join("; ")}. ${capital(severity)}; confidence ${confidence} ≥ ${CLOSE_MIN_CONFIDENCE}, single asset, no forced rule${a.context.suppressionBacked && !a.context.sufficient ? `; suppression-backed: the approved suppression stands in for the ${3 - a.context.axesWithSignal} silent context axes` : ""}.`;
  return `INSUFFICIENT_CONTEXT at ${priority}: ${blocking ?? "the evidence does not reach a threshold"} ${capital(severity)}; confidence ${confidence}.`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** 3–6 sentences; no free text from the alert, so the sentence count is ours. */
function narrative(
  a: CaseAssessment,
  rules: FiredRule[],
  verdict: string,
  confidence: number,
  priority: string,
  firstFocus: string | null,
  firstNeed: string | null,
): string {
  const f = a.primary;
  const where = f.host ?? f.hostIp ?? f.srcIp ?? "an unidentified host";
  const sentences = [
    `TORA triaged ${a.caseId}: ${a.facts.length} ${f.subtype} alert${a.facts.length > 1 ? "s" : ""} from ${f.alert.source} on ${where}.`,
    `Severity went from ${a.severity.base} to ${a.severity.severity}${a.severity.factors.length ? ` on ${a.severity.factors.map((x) => x.id).join(", ")}` : " with no context factor"}.`,
    a.fp.contained
      ? `The false-positive check found a true positive that a control contained (${a.benignEvidence.map((e) => e.id).join(", ")}).`
      : a.fp.closable
        ? `The false-positive check found a structured benign basis (${a.benignEvidence.map((e) => e.id).join(", ")}).`
        : `The false-positive check found no benign basis that holds${a.maliciousEvidence.length ? `, against ${a.maliciousEvidence.map((e) => e.id).join(", ")}` : ""}.`,
    `${a.context.axesWithSignal} of ${a.context.historySignal ? 4 : 3} context axes carry signal${a.context.missingFields.length ? ` and ${a.context.missingFields.length} field(s) are missing` : ""}.`,
    `Verdict ${verdict} at ${priority} with confidence ${confidence}${rules.length ? `, forced by ${rules.map((r) => r.id).join(", ")}` : ""}.`,
  ];
  const strip = (text: string) => text.replace(/[.\s]+$/, "").replace(/\.\s+/g, ", ");
  if (verdict === "ESCALATED" && firstFocus) sentences.push(`VERA should start with: ${strip(firstFocus)}.`);
  else if (verdict === "INSUFFICIENT_CONTEXT" && firstNeed) sentences.push(`The case waits on hold for: ${strip(firstNeed)}.`);
  else if (verdict === "CLOSED")
    sentences.push(a.fp.contained ? "Closed with no further action: the control already contained it." : `Closed${a.fp.suppressionId ? ` under suppression ${a.fp.suppressionId}` : ""} with no further action.`);
  return sentences.join(" ");
}

/** Whether NOVA should consider a suppression for this kind of case (any analyst's output carries it). */
export function suppressionCandidate(a: CaseAssessment, rules: FiredRule[]): boolean {
  if (rules.length > 0 || a.confidence.malicious >= 10) return false;
  // A dead indicator is fixed by retiring the indicator in the intel feed, not by suppressing the rule.
  if (a.fp.likely && !a.fp.suppressionId && !a.fp.bases.some((b) => b.includes("dead_indicator"))) return true;
  const staleSuppression = a.facts.some((f) => f.suppression && !f.suppression.valid);
  const recurringBenign = a.facts.every(
    (f) => ["false_positive", "benign_true_positive"].includes(f.enrichment.history.last_disposition ?? "") && f.enrichment.history.same_rule_count >= 3,
  );
  return staleSuppression || recurringBenign;
}
