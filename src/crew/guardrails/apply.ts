import {
  ToraOutput,
  confidenceLabel,
  parseOrThrow,
  severityRank,
  type Indicators,
  type ToraVerdict,
} from "../../core/index.js";
import { assessCase, CONFIDENCE_WEIGHTS, type CaseAssessment } from "../assessment/assessment.js";
import { buildHypothesis, type Hypothesis } from "../tora/hypothesis.js";
import { buildEscalationPackage, buildInsufficientContextPackage, collectIndicators, preservedContext } from "../tora/packages.js";
import { ToraInput } from "../tora/schema.js";
import { behaviourPriority, closeBlockers, closingSeverity, decideVerdict, escalateBlockers, mostUrgent, priorityFor } from "./decision.js";
import { evaluateForcedRules, toForcedRule, waivedForcedRules } from "./forced-rules.js";

export interface GuardedOutput {
  output: ToraOutput;
  /** What the guardrails changed in the proposal, in plain words; empty when it passed untouched. */
  adjustments: string[];
}

/**
 * The invariant every analyst's proposal passes through before anything acts on it. It reads only the
 * structured input (never the proposal's prose) and:
 *  - forces ESCALATED when a forced rule fires (rules recomputed here, never taken from the proposal);
 *  - never lets severity fall below step 1's, nor confidence exceed 59 on fewer than two axes (except a
 *    CLOSED that a valid suppression backs with no malicious evidence and no forced rule);
 *  - downgrades a CLOSED that misses a threshold or has no structured closing basis to INSUFFICIENT_CONTEXT
 *    (a true_positive closes only when a control contained every alert), and an ESCALATED without
 *    confidence ≥ 60 and a grounded hypothesis likewise;
 *  - never lets a proposal lower what the deterministic analyst computed on the same structured data
 *    (crew.md step 4): its escalation stays an escalation (at least its confidence), and an escalation's
 *    priority is never less urgent than its own. The only reasons code can check are the structured ones
 *    the deterministic analyst already weighed, so no prose can argue the floor down;
 *  - keeps the packages whole (preserved context recomputed, indicators completed) and label,
 *    priority and nova_feed consistent with the final verdict.
 */
export function applyGuardrails(proposed: ToraOutput, input: ToraInput): ToraOutput {
  return guard(proposed, input).output;
}

export function guard(proposed: ToraOutput, rawInput: ToraInput, known?: { assessment: CaseAssessment; hypothesis: Hypothesis }): GuardedOutput {
  const input = parseOrThrow(ToraInput, rawInput, "TORA input", "input");
  const a = known?.assessment ?? assessCase(input);
  const hypothesis = known?.hypothesis ?? buildHypothesis(a);
  const adjustments: string[] = [];
  const filled = new Set<string>();
  const normalised = normaliseProposal(proposed, a, hypothesis, adjustments, filled);
  const out: ToraOutput = structuredClone(parseOrThrow(ToraOutput, normalised, "TORA proposal", "output"));
  const proposedVerdict = out.verdict;

  if (out.case_id !== input.caseId) {
    adjustments.push(`case id ${out.case_id} replaced by ${input.caseId}`);
    out.case_id = input.caseId;
  }
  if (severityRank(out.severity) < severityRank(a.severity.severity)) {
    adjustments.push(`severity ${out.severity} raised to step 1's ${a.severity.severity}`);
    out.severity = a.severity.severity;
  }
  const raised = severityRank(out.severity) > severityRank(a.severity.severity);
  const rules = evaluateForcedRules(a, {
    severity: out.severity,
    severityWithoutEnvironment: raised ? out.severity : a.severity.severityWithoutEnvironment,
  });
  out.forced_escalation = { triggered: rules.length > 0, rules: rules.map(toForcedRule) };

  // A suppression-backed closure stands on the SOC's approved context, not on the axes (assessment/assessment.ts).
  const suppressionBackedClose = out.verdict === "CLOSED" && rules.length === 0 && (a.context.suppressionBacked || a.context.precedentBacked);
  if (!a.context.sufficient && !suppressionBackedClose && out.confidence > CONFIDENCE_WEIGHTS.insufficientContextCap) {
    adjustments.push(`confidence ${out.confidence} capped at ${CONFIDENCE_WEIGHTS.insufficientContextCap}: fewer than 2 axes carry signal and intel cannot rescue`);
    out.confidence = CONFIDENCE_WEIGHTS.insufficientContextCap;
  }

  const suppressionId = out.false_positive_assessment.suppression_rule_id;
  if (suppressionId !== null && !a.facts.some((f) => f.suppression?.valid && f.suppression.id === suppressionId)) {
    const known = a.facts.find((f) => f.suppression?.id === suppressionId)?.suppression;
    adjustments.push(`suppression ${suppressionId} does not count (${known?.rejection ?? "it matches no alert of the case"})`);
    out.false_positive_assessment.suppression_rule_id = null;
  }

  let blockers: string[] = [];
  let verdict: ToraVerdict = out.verdict;
  if (rules.length > 0) {
    verdict = "ESCALATED";
    if (proposedVerdict !== "ESCALATED") adjustments.push(`${proposedVerdict} overridden by forced rule(s) ${rules.map((r) => r.id).join(", ")}`);
  } else if (verdict === "CLOSED") {
    blockers = closeBlockers({
      confidence: out.confidence,
      severity: closingSeverity(a, out.severity),
      singleAsset: a.singleAsset,
      forcedRules: 0,
      disposition: out.false_positive_assessment.disposition,
      contextSufficient: a.context.closeSufficient,
      containedByControl: a.fp.contained,
    });
    if (!a.fp.closable) blockers.push(`no structured closing basis outweighs the evidence (${a.fp.reasoning})`);
    if (suppressionId !== null && out.false_positive_assessment.suppression_rule_id === null) blockers.push(`cited suppression ${suppressionId} does not count`);
    if (blockers.length) {
      verdict = "INSUFFICIENT_CONTEXT";
      adjustments.push(`CLOSED downgraded to INSUFFICIENT_CONTEXT: ${blockers.join("; ")}`);
    }
  } else if (verdict === "ESCALATED") {
    blockers = escalateBlockers({
      confidence: out.confidence,
      hypothesis: out.escalation_package?.hypothesis,
      articulable: a.context.grounded,
      contextSufficient: a.context.sufficient,
    });
    if (blockers.length) {
      verdict = "INSUFFICIENT_CONTEXT";
      adjustments.push(`ESCALATED downgraded to INSUFFICIENT_CONTEXT: ${blockers.join("; ")}`);
    }
  }
  // The deterministic floor: the same structured data, read in code, decides what a proposal may not undo.
  const floor = deterministicFloor(a, hypothesis);
  if (floor.verdict === "ESCALATED" && verdict !== "ESCALATED") {
    adjustments.push(
      `${verdict === proposedVerdict ? proposedVerdict : `${proposedVerdict} (then ${verdict})`} raised to ESCALATED: the deterministic analyst escalates on the structured data (${floor.reason}) and a proposal may not turn an escalation into anything else`,
    );
    verdict = "ESCALATED";
    blockers = [];
    if (out.confidence < floor.confidence) out.confidence = floor.confidence;
  }
  out.verdict = verdict;
  if (suppressionBackedClose && verdict !== "CLOSED" && !a.context.sufficient && out.confidence > CONFIDENCE_WEIGHTS.insufficientContextCap) {
    adjustments.push(`confidence ${out.confidence} capped at ${CONFIDENCE_WEIGHTS.insufficientContextCap}: the suppression-backed close did not hold and fewer than 2 axes carry signal`);
    out.confidence = CONFIDENCE_WEIGHTS.insufficientContextCap;
  }
  // A closed case is a likely false positive, unless it closed as a true positive a control contained.
  const closedAsFalsePositive = out.false_positive_assessment.disposition !== "true_positive";
  if (verdict === "CLOSED" && out.false_positive_assessment.likely_false_positive !== closedAsFalsePositive) {
    adjustments.push(closedAsFalsePositive ? "a closed case is a likely false positive" : "a contained true positive is not a false positive");
    out.false_positive_assessment.likely_false_positive = closedAsFalsePositive;
  }

  const deterministicPriority = priorityFor(verdict, {
    severity: out.severity,
    ruleIds: rules.map((r) => r.id),
    activeC2OnCritical: !!a.activeC2OnCritical,
    floor: behaviourPriority(a),
  });
  let priority = deterministicPriority;
  if (verdict === "ESCALATED" && out.priority !== "P4") priority = mostUrgent(out.priority, deterministicPriority);
  if (verdict === "ESCALATED" && floor.verdict === "ESCALATED") priority = mostUrgent(priority, floor.priority);
  if (priority !== out.priority) adjustments.push(`priority ${out.priority} → ${priority}`);
  out.priority = priority;
  out.confidence_label = confidenceLabel(out.confidence);

  if (verdict === "ESCALATED") {
    const built = buildEscalationPackage(a, hypothesis, rules, priority);
    const pkg = out.escalation_package && !filled.has("escalation_package") ? out.escalation_package : built;
    out.escalation_package = {
      ...pkg,
      priority,
      indicators: mergeIndicators(pkg.indicators, collectIndicators(a)),
      preserved_context: preservedContext(a),
      suggested_focus: pkg.suggested_focus.length ? pkg.suggested_focus : built.suggested_focus,
    };
    out.insufficient_context_package = null;
  } else if (verdict === "INSUFFICIENT_CONTEXT") {
    out.insufficient_context_package =
      proposedVerdict === "INSUFFICIENT_CONTEXT" && out.insufficient_context_package && !filled.has("insufficient_context_package")
        ? out.insufficient_context_package
        : buildInsufficientContextPackage(a, hypothesis, blockers.length ? blockers : ["the evidence does not reach a threshold"]);
    out.escalation_package = null;
  } else {
    out.escalation_package = null;
    out.insufficient_context_package = null;
  }

  out.nova_feed = {
    ...out.nova_feed,
    disposition_class: out.false_positive_assessment.disposition,
    confidence: out.confidence,
    forced_escalation: rules.length > 0,
    context_completeness: a.context.completeness,
    missing_fields: [...new Set([...a.context.missingFields, ...out.nova_feed.missing_fields])],
  };
  // crew.md step 4: every closure on analyst precedent is counted for NOVA; one where asset rules gave way is sampled.
  const precedentClosure = verdict === "CLOSED" && a.fp.bases.some((b) => b.includes("analyst_precedent"));
  if (precedentClosure) {
    out.nova_feed.precedent_closure = true;
    out.nova_feed.sample_for_review = waivedForcedRules(a, { severity: out.severity, severityWithoutEnvironment: a.severity.severityWithoutEnvironment }).length > 0;
  } else {
    delete out.nova_feed.precedent_closure;
    delete out.nova_feed.sample_for_review;
  }

  if (adjustments.length) {
    out.rationale = `${out.rationale} Guardrails: ${adjustments.join("; ")}.`;
    const step4 = out.reasoning_trace[3]!;
    step4.findings = [...step4.findings, ...adjustments.map((adj) => `Guardrail: ${adj}.`)];
    step4.outcome = `${verdict} ${priority}, confidence ${out.confidence}${verdict !== proposedVerdict ? ` (proposed ${proposedVerdict})` : ""}`;
    if (verdict !== proposedVerdict) out.narrative = `${out.narrative} Guardrails changed the proposed ${proposedVerdict} to ${verdict}.`;
  }
  return { output: parseOrThrow(ToraOutput, out, "TORA output", "output"), adjustments };
}

interface Floor {
  verdict: ToraVerdict;
  confidence: number;
  priority: ReturnType<typeof priorityFor>;
  reason: string;
}

/** What the deterministic analyst decides on the assessment: the floor a proposal may not go below. */
function deterministicFloor(a: CaseAssessment, hypothesis: Hypothesis): Floor {
  const rules = evaluateForcedRules(a);
  const decision = decideVerdict(a, rules, hypothesis);
  const priority = priorityFor(decision.verdict, { severity: a.severity.severity, ruleIds: rules.map((r) => r.id), activeC2OnCritical: !!a.activeC2OnCritical, floor: behaviourPriority(a) });
  const top = [...a.maliciousEvidence].sort((x, y) => y.weight - x.weight).slice(0, 3).map((e) => e.id);
  const reason = rules.length
    ? `forced rule(s) ${rules.map((r) => r.id).join(", ")}`
    : `escalate confidence ${decision.confidence} on ${a.context.axesWithSignal} axes${top.length ? `, evidence ${top.join(", ")}` : ""}`;
  return { verdict: decision.verdict, confidence: decision.confidence, priority, reason };
}

/**
 * Consistency slips a proposal may carry (a label that disagrees with its confidence, a verdict without
 * its package) are repaired before validation; anything else malformed is rejected.
 */
function normaliseProposal(proposed: unknown, a: CaseAssessment, hypothesis: Hypothesis, adjustments: string[], filled: Set<string>): unknown {
  if (!proposed || typeof proposed !== "object") return proposed;
  const p = { ...(proposed as Record<string, unknown>) };
  if (typeof p.confidence === "number" && p.confidence_label !== confidenceLabel(p.confidence)) {
    adjustments.push(`confidence label ${String(p.confidence_label)} → ${confidenceLabel(p.confidence)}`);
    p.confidence_label = confidenceLabel(p.confidence);
  }
  if (p.verdict === "ESCALATED" && !p.escalation_package) {
    adjustments.push("missing escalation package built from the assessment");
    p.escalation_package = buildEscalationPackage(a, hypothesis, [], "P2");
    filled.add("escalation_package");
  }
  if (p.verdict === "INSUFFICIENT_CONTEXT" && !p.insufficient_context_package) {
    adjustments.push("missing insufficient-context package built from the assessment");
    p.insufficient_context_package = buildInsufficientContextPackage(a, hypothesis, ["the proposal gave no blocking reason"]);
    filled.add("insufficient_context_package");
  }
  return p;
}

function mergeIndicators(a: Indicators, b: Indicators): Indicators {
  const merge = (x: string[], y: string[]) => [...new Set([...x, ...y])];
  return {
    domains: merge(a.domains, b.domains),
    ips: merge(a.ips, b.ips),
    hashes: merge(a.hashes, b.hashes),
    urls: merge(a.urls, b.urls),
    usernames: merge(a.usernames, b.usernames),
    hostnames: merge(a.hostnames, b.hostnames),
    emails: merge(a.emails, b.emails),
  };
}

export { parseOrThrow } from "../../core/index.js";
