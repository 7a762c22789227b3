import { AXES, type ConfidenceAssessment, type ContextAssessment, type Evidence } from "./assessment-types.js";
import type { AlertFacts } from "./facts.js";

/**
 * Confidence, 0–100, from evidence only:
 *   support  = 5 + detector (source confidence / 10, 5 when unknown)
 *                + 12 × axes with real signal (network, asset, identity)
 *                + completeness (complete 14, partial 7, insufficient 0)
 *   escalate = support + malicious evidence − ⌈benign evidence / 2⌉
 *   close    = support + benign evidence − malicious evidence no closing basis accounts for
 * Each evidence side is the sum of its weights below, capped at EVIDENCE_CAP. Closing confidence is
 * confidence that nothing further is needed, so evidence a closing basis accounts for (assessment/closing.ts:
 * the intel on a contained phishing e-mail, the stale intel on a dead indicator) does not count against
 * it. With fewer than two axes of signal both directions are capped at 59: intel may corroborate, it
 * never rescues thin context.
 *
 * Suppression-backed closure: when every alert is covered by a valid suppression (in force, ≤ 90 days,
 * no hostile intel), there is no malicious evidence at all and at least one axis carries signal, the
 * suppression is human-approved SOC context (crew.md memory layer 3) about exactly this activity. It
 * stands in for what the silent axes and missing fields would have told: close support is credited as
 * if all three axes had signal and the context were complete, and the 59 cap does not apply to closing.
 * Escalation is never credited this way.
 */
export const CONFIDENCE_WEIGHTS = {
  base: 5,
  perAxis: 12,
  completeness: { complete: 14, partial: 7, insufficient: 0 },
  insufficientContextCap: 59,
} as const;
export const EVIDENCE_CAP = 45;

/** Malicious evidence weights. */
export const MALICIOUS_WEIGHTS = {
  intel_strong: 20,
  intel_moderate: 12,
  intel_weak: 4,
  intel_stale: 2,
  dns_resolved_malicious: 5,
  tunnelling_shape: 8,
  evasive_transport: 4,
  fast_flux_answers: 6,
  repeated_indicator: 5,
  indicator_on_multiple_assets: 8,
  bruteforce_then_success: 20,
  credentials_submitted: 25,
  page_loaded: 10,
  gateway_flagged: 12,
  delivered_despite_verdict: 5,
  multiple_recipients: 5,
  email_auth_failure: 5,
  suspicious_lineage: 12,
  high_signal_technique: 6,
  unsigned_process: 5,
  identity_anomaly: 5,
  attacker_behaviour: 20,
  analyst_confirmed_attack: 20,
} as const;

/**
 * Benign evidence weights. A past disposition ("seen before") weighs nothing: it never closes alone.
 * contained_by_control weighs more than a suppression: a control acted on this very item, where a
 * suppression is a standing judgement about a class of activity.
 */
export const BENIGN_WEIGHTS = {
  suppression: 30,
  known_vendor_signature: 10,
  intel_benign: 20,
  nxdomain: 5,
  contained_by_control: 35,
  dead_indicator: 30,
  analyst_precedent: 30,
} as const;

export function sumCapped(evidence: Evidence[]): number {
  return Math.min(EVIDENCE_CAP, evidence.reduce((sum, e) => sum + e.weight, 0));
}

/** The malicious evidence that counts against closing. */
export function againstClose(malicious: Evidence[]): Evidence[] {
  return malicious.filter((e) => !e.answeredBy);
}

export function computeConfidence(
  facts: AlertFacts[],
  context: ContextAssessment,
  malicious: Evidence[],
  benign: Evidence[],
): ConfidenceAssessment {
  const known = facts.map((f) => f.detectorConfidence).filter((c): c is number => c !== null);
  const detector = Math.round((known.length ? Math.max(...known) : 50) / 10);
  const axes = CONFIDENCE_WEIGHTS.perAxis * context.axesWithSignal;
  const completeness = CONFIDENCE_WEIGHTS.completeness[context.completeness];
  const support = CONFIDENCE_WEIGHTS.base + detector + axes + completeness;
  const m = sumCapped(malicious);
  const mClose = sumCapped(againstClose(malicious));
  const answered = malicious.filter((e) => e.answeredBy);
  const b = sumCapped(benign);
  const clamp = (value: number) => Math.max(0, Math.min(100, value));
  let escalate = clamp(support + m - Math.ceil(b / 2));
  // Suppression-backed: the approved suppression stands in for the silent axes and missing fields.
  const closeSupport = context.suppressionBacked || context.precedentBacked
    ? CONFIDENCE_WEIGHTS.base + detector + CONFIDENCE_WEIGHTS.perAxis * AXES.length + CONFIDENCE_WEIGHTS.completeness.complete
    : support;
  let close = clamp(closeSupport + b - mClose);
  const capEscalate = !context.sufficient && escalate > CONFIDENCE_WEIGHTS.insufficientContextCap;
  const capClose = !context.closeSufficient && close > CONFIDENCE_WEIGHTS.insufficientContextCap;
  if (!context.sufficient) escalate = Math.min(escalate, CONFIDENCE_WEIGHTS.insufficientContextCap);
  if (!context.closeSufficient) close = Math.min(close, CONFIDENCE_WEIGHTS.insufficientContextCap);
  const answeredNote = answered.length
    ? ` (${sumCapped(answered)} of the malicious evidence — ${answered.map((e) => e.id).join(", ")} — is accounted for by ${[...new Set(answered.map((e) => e.answeredBy))].join(", ")} and does not count against closing)`
    : "";
  const closeTerm = context.suppressionBacked || context.precedentBacked
    ? `close ${close} = ${context.suppressionBacked ? "suppression" : "precedent"}-backed support ${closeSupport} (base ${CONFIDENCE_WEIGHTS.base} + detector ${detector} + axes ${CONFIDENCE_WEIGHTS.perAxis * AXES.length} and completeness ${CONFIDENCE_WEIGHTS.completeness.complete} credited by the suppression) + ${b} − ${mClose}`
    : `close ${close} = support + ${b} − ${mClose}${answeredNote}`;
  const formula =
    `support ${support} = base ${CONFIDENCE_WEIGHTS.base} + detector ${detector} + axes ${axes} (${context.axesWithSignal}×${CONFIDENCE_WEIGHTS.perAxis}) + completeness ${completeness} (${context.completeness}); ` +
    `malicious evidence ${m}, benign evidence ${b}; escalate ${escalate} = support + ${m} − ${Math.ceil(b / 2)}; ${closeTerm}` +
    (capEscalate || capClose ? `; ${capEscalate && capClose ? "both" : capEscalate ? "escalate" : "close"} capped at ${CONFIDENCE_WEIGHTS.insufficientContextCap} (fewer than 2 axes)` : "");
  return {
    base: CONFIDENCE_WEIGHTS.base,
    detector,
    axes,
    completeness,
    support,
    malicious: m,
    maliciousAgainstClose: mClose,
    benign: b,
    escalate,
    close,
    capped: capEscalate || capClose,
    formula,
  };
}
