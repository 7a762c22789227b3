import { PRIORITIES, severityRank, type Priority, type Severity, type ToraVerdict, type Verdict } from "../../core/index.js";
import type { CaseAssessment } from "../assessment/assessment.js";
import type { Hypothesis } from "../tora/hypothesis.js";
import type { FiredRule } from "./forced-rules.js";

/** TORA step 4 thresholds (crew.md). */
export const CLOSE_MIN_CONFIDENCE = 80;
export const ESCALATE_MIN_CONFIDENCE = 60;
export const CLOSE_MAX_SEVERITY: Severity = "medium";
export const CLOSING_DISPOSITIONS: readonly Verdict[] = ["false_positive", "benign_true_positive"];

export interface CloseCheck {
  confidence: number;
  severity: Severity;
  singleAsset: boolean;
  forcedRules: number;
  disposition: Verdict;
  /** Two axes with signal, or a suppression-backed closure (assessment/assessment.ts). */
  contextSufficient: boolean;
  /** Every alert is a true positive a control contained (assessment/closing.ts): true_positive may close. */
  containedByControl: boolean;
}

/** Why a case may not be closed; empty when it may. */
export function closeBlockers(c: CloseCheck): string[] {
  const out: string[] = [];
  if (c.forcedRules > 0) out.push(`${c.forcedRules} forced escalation rule(s) fired`);
  if (c.confidence < CLOSE_MIN_CONFIDENCE) out.push(`close confidence ${c.confidence} < ${CLOSE_MIN_CONFIDENCE}`);
  if (severityRank(c.severity) > severityRank(CLOSE_MAX_SEVERITY)) out.push(`severity ${c.severity} > ${CLOSE_MAX_SEVERITY}`);
  if (!c.singleAsset) out.push("more than one asset involved");
  if (!CLOSING_DISPOSITIONS.includes(c.disposition) && !(c.disposition === "true_positive" && c.containedByControl))
    out.push(
      c.disposition === "true_positive"
        ? "disposition true_positive closes only when a control contained every alert"
        : `disposition ${c.disposition} is not false_positive, benign_true_positive or a contained true_positive`,
    );
  if (!c.contextSufficient) out.push("fewer than 2 context axes carry signal");
  return out;
}

export interface EscalateCheck {
  confidence: number;
  hypothesis: string | null | undefined;
  articulable: boolean;
  contextSufficient: boolean;
}

/** Why a case may not be escalated without a forced rule; empty when it may. */
export function escalateBlockers(c: EscalateCheck): string[] {
  const out: string[] = [];
  if (c.confidence < ESCALATE_MIN_CONFIDENCE) out.push(`escalate confidence ${c.confidence} < ${ESCALATE_MIN_CONFIDENCE}`);
  if (!c.hypothesis?.trim() || !c.articulable) out.push("no falsifiable hypothesis standing on axis data");
  if (!c.contextSufficient) out.push("fewer than 2 context axes carry signal (intel cannot rescue)");
  return out;
}

export interface VerdictDecision {
  verdict: ToraVerdict;
  confidence: number;
  /** Why the verdict was not CLOSED / ESCALATED, in order. */
  blockers: string[];
  findings: string[];
}

/** The severity the closing bar is judged on: without asset factors when a precedent waived the asset rules. */
export function closingSeverity(a: CaseAssessment, severity: Severity): Severity {
  return a.precedentWaiver && severity === a.severity.severity ? a.severity.severityWithoutAsset : severity;
}

/**
 * Forced rules first; then CLOSED; then the event axis alone (attacker behaviour) or a confirmed-attack
 * precedent, which escalate on any host whatever the context (crew.md step 3: missing context lowers
 * confidence, it never blocks); then ESCALATED on the thresholds, else INSUFFICIENT_CONTEXT.
 */
export function decideVerdict(a: CaseAssessment, rules: FiredRule[], hypothesis: Hypothesis): VerdictDecision {
  const findings: string[] = [];
  findings.push(rules.length ? `Forced rules fired: ${rules.map((r) => `${r.id} (${r.evidence})`).join("; ")}.` : "No forced escalation rule fired.");
  findings.push(`Confidence: ${a.confidence.formula}.`);
  if (rules.length > 0) {
    findings.push(
      a.context.sufficient
        ? "A forced rule always escalates."
        : `A forced rule always escalates, even on thin context; the package lists the missing fields (${a.context.missingFields.length ? a.context.missingFields.join(", ") : "none recorded"}).`,
    );
    return { verdict: "ESCALATED", confidence: a.confidence.escalate, blockers: [], findings };
  }
  const close = closeBlockers({
    confidence: a.confidence.close,
    severity: closingSeverity(a, a.severity.severity),
    singleAsset: a.singleAsset,
    forcedRules: 0,
    disposition: a.fp.disposition,
    contextSufficient: a.context.closeSufficient,
    containedByControl: a.fp.contained,
  });
  if (a.fp.closable && close.length === 0) {
    const how = a.fp.contained
      ? "true_positive contained by a control (nothing further is needed)"
      : a.context.suppressionBacked && !a.context.sufficient
        ? `${a.fp.disposition}, suppression-backed (the approved suppression stands in for the silent axes)`
        : a.context.precedentBacked && !a.context.sufficient
          ? `${a.fp.disposition}, precedent-backed (the analysts' consistent dispositions stand in for the silent axes)`
          : a.fp.disposition;
    findings.push(`CLOSED: close confidence ${a.confidence.close} ≥ ${CLOSE_MIN_CONFIDENCE}, severity ${a.severity.severity} ≤ ${CLOSE_MAX_SEVERITY}, single asset, ${how}.`);
    return { verdict: "CLOSED", confidence: a.confidence.close, blockers: [], findings };
  }
  if (a.fp.closable) findings.push(`Not closed: ${close.join("; ")}.`);
  if (!a.fp.closable && (a.behaviour.length || a.confirmedPrecedent)) {
    const why = [
      ...a.behaviour.map((b) => `attacker behaviour ${b.kind} (${b.via})`),
      ...(a.confirmedPrecedent ? [`it resembles confirmed attacks: ${a.confirmedPrecedent.detail}`] : []),
    ];
    findings.push(
      `ESCALATED on the event and history axes: ${why.join("; ")}. ${a.context.sufficient ? "" : "Context is thin: confidence stays low and priority is raised instead of holding the case."}`.trim(),
    );
    return { verdict: "ESCALATED", confidence: a.confidence.escalate, blockers: [], findings };
  }
  const escalate = escalateBlockers({
    confidence: a.confidence.escalate,
    hypothesis: hypothesis.text,
    articulable: hypothesis.articulable,
    contextSufficient: a.context.sufficient,
  });
  if (!a.fp.closable && escalate.length === 0) {
    findings.push(`ESCALATED: escalate confidence ${a.confidence.escalate} ≥ ${ESCALATE_MIN_CONFIDENCE} with a falsifiable hypothesis on axis data.`);
    return { verdict: "ESCALATED", confidence: a.confidence.escalate, blockers: [], findings };
  }
  const blockers = a.fp.closable ? close : escalate.length ? escalate : ["the benign evidence does not reach the closing bar"];
  findings.push(`INSUFFICIENT_CONTEXT: ${blockers.join("; ")}.`);
  return { verdict: "INSUFFICIENT_CONTEXT", confidence: a.fp.closable ? a.confidence.close : a.confidence.escalate, blockers, findings };
}

/** Priority P1 always wins for these rules. */
export const P1_RULES: ReadonlySet<string> = new Set(["credentials_submitted", "bruteforce_then_success"]);

export interface PriorityInputs {
  severity: Severity;
  ruleIds: readonly string[];
  activeC2OnCritical: boolean;
  /** An escalation floor from the case itself (attacker behaviour, confirmed-attack precedent: see behaviourPriority). */
  floor?: Priority | null;
}

/**
 * Attacker behaviour escalates at P1 when the asset is unknown (missing context raises priority, it never
 * blocks) or important (critical/high, production, crown-jewel adjacent), else at P2; a confirmed-attack
 * precedent alone at P2. Null when neither applies.
 */
export function behaviourPriority(a: CaseAssessment): Priority | null {
  if (a.behaviour.length) {
    const important = a.facts.some(
      (f) => !f.enrichment.asset || !f.criticality || f.criticality === "critical" || f.criticality === "high" || f.production || f.enrichment.asset.crown_jewel_adjacent,
    );
    return important ? "P1" : "P2";
  }
  return a.confirmedPrecedent ? "P2" : null;
}

/**
 * P1 immediate: critical severity, credentials submitted, brute force that succeeded, active C2 on a
 * critical asset. P2 within shift: other forced escalations and escalations at medium or above.
 * P3 next available: low escalations and insufficient context. P4: closed noise.
 */
export function priorityFor(verdict: ToraVerdict, p: PriorityInputs): Priority {
  if (verdict === "CLOSED") return "P4";
  if (verdict === "INSUFFICIENT_CONTEXT") return "P3";
  let priority: Priority = "P3";
  if (p.severity === "critical" || p.ruleIds.some((id) => P1_RULES.has(id)) || p.activeC2OnCritical) priority = "P1";
  else if (p.ruleIds.length > 0 || severityRank(p.severity) >= severityRank("medium")) priority = "P2";
  return p.floor ? mostUrgent(priority, p.floor) : priority;
}

export function mostUrgent(a: Priority, b: Priority): Priority {
  return PRIORITIES.indexOf(a) <= PRIORITIES.indexOf(b) ? a : b;
}

// The crew's case workflow (verdict → status, who may hold a case) is the case domain's: src/cases/crew-workflow.ts.
export { ARIA_ACTOR, CREW_TRANSITIONS, SOC_QUEUE, TORA_ACTOR, VERA_ACTOR, transitionFor, type CaseTransitionPlan } from "../../cases/index.js";
