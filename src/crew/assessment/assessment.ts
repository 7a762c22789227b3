import type { ToraInput } from "../tora/schema.js";
import { alertFacts } from "./facts.js";
import { assessSeverity } from "./severity.js";
import { describeConfirmed } from "./precedent.js";
import { uniqueCaseless } from "./text.js";
import type { CaseAssessment } from "./assessment-types.js";
import { computeConfidence, sumCapped } from "./confidence.js";
import { collectBenign, collectMalicious } from "./evidence.js";
import { assessFalsePositive, closingFacts } from "./false-positive.js";
import { assessContext } from "./context.js";
import { choosePrimary, findBruteForceChain, indicatorSpread } from "./case-shape.js";

// TORA steps 2–3 and the confidence formula, cut along its seams:
// assessment-types.ts (the shapes), confidence.ts (weights and formula), evidence.ts (malicious and benign
// evidence), false-positive.ts (step 2), context.ts (step 3, the axes), case-shape.ts (spread, brute-force chain, primary).
export type {
  Axis,
  AxisSignal,
  BruteForceChain,
  CaseAssessment,
  ConfidenceAssessment,
  ContextAssessment,
  Evidence,
  FalsePositiveAssessment,
} from "./assessment-types.js";
export { AXES } from "./assessment-types.js";
export { BENIGN_WEIGHTS, CONFIDENCE_WEIGHTS, EVIDENCE_CAP, MALICIOUS_WEIGHTS, againstClose } from "./confidence.js";
export { findBruteForceChain } from "./case-shape.js";

export function assessCase(input: ToraInput): CaseAssessment {
  const facts = input.alerts.map((a) => alertFacts(a.alert, a.enrichment, input.now, input.suppressions));
  const spreadAssets = indicatorSpread(facts);
  const hosts = uniqueCaseless(facts.map((f) => f.host ?? f.hostIp));
  const multiRecipient = facts.some((f) => (f.email?.recipientCount ?? 0) > 1);
  const bruteForceChain = findBruteForceChain(facts);
  const credentialsSubmitted = facts.some((f) => f.email?.credentialsSubmitted === true);
  const closing = closingFacts(facts, spreadAssets);
  const severity = assessSeverity(facts, spreadAssets, closing.contained);
  const maliciousEvidence = collectMalicious(facts, spreadAssets, bruteForceChain, closing.answering);
  const benignEvidence = collectBenign(facts, closing);
  const primary = choosePrimary(facts, bruteForceChain);
  const activeC2OnCritical =
    facts.find(
      (f) =>
        f.criticality === "critical" &&
        (f.intel.verdict === "malicious" || f.intel.verdict === "suspicious") &&
        (f.intel.strength === "strong" || f.intel.strength === "moderate") &&
        (f.dns ? f.dns.resolved === true : f.dstIp !== null || f.domain !== null),
    ) ?? null;
  const suppressionCovered = closing.bases.every((b) => b.includes("suppression")) && sumCapped(maliciousEvidence) === 0;
  const precedentCovered =
    closing.bases.some((b) => b.includes("analyst_precedent")) &&
    closing.bases.every((b) => b.includes("analyst_precedent") || b.includes("suppression")) &&
    sumCapped(maliciousEvidence) === 0;
  const context = assessContext(facts, primary, suppressionCovered, precedentCovered);
  const confidence = computeConfidence(facts, context, maliciousEvidence, benignEvidence);
  const fp = assessFalsePositive(facts, closing, maliciousEvidence, benignEvidence, bruteForceChain, credentialsSubmitted);
  const behaviour: CaseAssessment["behaviour"] = [];
  for (const f of facts) for (const b of f.behaviour) if (!behaviour.some((x) => x.kind === b.kind)) behaviour.push({ ...b, alertId: f.alertId });
  const confirmedOn = facts.filter((f) => f.precedent.confirmed).sort((x, y) => y.precedent.confirmed!.malicious - x.precedent.confirmed!.malicious)[0];
  const confirmedPrecedent = confirmedOn ? { alertId: confirmedOn.alertId, detail: describeConfirmed(confirmedOn.precedent.confirmed!) } : null;
  const lowSource = facts.every((f) => f.sourceSeverity === "low" || f.sourceSeverity === "informational" || f.severityUnsent);
  const precedentWaiver =
    closing.bases.every((b) => b.includes("analyst_precedent")) &&
    behaviour.length === 0 &&
    facts.every((f) => f.enrichment.threat_intel.matches.every((m) => m.verdict === "benign")) &&
    sumCapped(maliciousEvidence) === 0 &&
    lowSource &&
    !bruteForceChain &&
    !credentialsSubmitted;
  return {
    caseId: input.caseId,
    now: input.now,
    facts,
    primary,
    severity,
    spreadAssets,
    hosts,
    singleAsset: hosts.length <= 1 && spreadAssets.length < 2 && !multiRecipient,
    bruteForceChain,
    credentialsSubmitted,
    activeC2OnCritical,
    maliciousEvidence,
    benignEvidence,
    fp,
    context,
    confidence,
    behaviour,
    confirmedPrecedent,
    precedentWaiver,
  };
}
