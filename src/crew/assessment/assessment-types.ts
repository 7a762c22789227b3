import type { Enrichment, Verdict } from "../../core/index.js";
import type { ClosingBasis } from "./closing.js";
import type { AlertFacts } from "./facts.js";
import type { SeverityAssessment } from "./severity.js";
import type { BehaviourFinding } from "./behaviour.js";

/**
 * The facts behind TORA's steps 1–3 for a whole case. Both the deterministic analyst and the guardrails
 * compute it from the same input, so a proposal from any analyst is judged against the same evidence.
 */
export interface Evidence {
  id: string;
  weight: number;
  detail: string;
  /**
   * The closing basis that accounts for this evidence on every alert it was found on (assessment/closing.ts):
   * it still counts towards escalation, but not against closing.
   */
  answeredBy?: "contained_by_control" | "dead_indicator";
}

export interface BruteForceChain {
  src: string | null;
  host: string | null;
  user: string | null;
  successAlertId: string;
  successTime: string;
  detail: string;
}

export type Axis = "network" | "asset" | "identity";
export const AXES: readonly Axis[] = ["network", "asset", "identity"];

export interface AxisSignal {
  signal: boolean;
  detail: string;
}

export interface FalsePositiveAssessment {
  /** A closing basis holds on every alert and nothing it cannot answer stands against it. */
  closable: boolean;
  /** Closable as a false positive or benign true positive (the output's `likely_false_positive`). */
  likely: boolean;
  /** Closable as a true positive that a control contained: every alert has the contained_by_control basis. */
  contained: boolean;
  /** The bases found on each alert, in case order. */
  bases: ClosingBasis[][];
  disposition: Verdict;
  reasoning: string;
  suppressionId: string | null;
  findings: string[];
  ruledOut: string[];
}

export interface ContextAssessment {
  axes: Record<Axis, AxisSignal>;
  axesWithSignal: number;
  sufficient: boolean;
  completeness: Enrichment["meta"]["context_completeness"];
  missingFields: string[];
  blockingFields: string[];
  /**
   * Every alert is covered by a valid suppression, there is no malicious evidence at all and at least one
   * axis carries signal: the SOC's own approved context stands in for the missing axes when closing.
   */
  suppressionBacked: boolean;
  /**
   * Every alert is covered by an analyst precedent (or a suppression), at least one by a precedent, with no
   * malicious evidence at all: the analysts' consistent dispositions stand in for the silent axes when closing.
   */
  precedentBacked: boolean;
  /** Analyst dispositions exist for the case's shapes: signal on the history axis (crew.md step 3). */
  historySignal: boolean;
  /** Enough context to close: two axes with signal, or a suppression- or precedent-backed closure. */
  closeSufficient: boolean;
  /** The hypothesis has axis data to stand on: a pivot (host, address, user, sender) from an axis with signal. */
  grounded: boolean;
  findings: string[];
}

export interface ConfidenceAssessment {
  base: number;
  detector: number;
  axes: number;
  completeness: number;
  support: number;
  malicious: number;
  /** The malicious evidence that counts against closing: what no closing basis accounts for. */
  maliciousAgainstClose: number;
  benign: number;
  /** Confidence that the case deserves investigation (the escalation direction). */
  escalate: number;
  /** Confidence that the case is benign noise (the closing direction). */
  close: number;
  capped: boolean;
  formula: string;
}

export interface CaseAssessment {
  caseId: string;
  now: string;
  facts: AlertFacts[];
  primary: AlertFacts;
  severity: SeverityAssessment;
  spreadAssets: string[];
  hosts: string[];
  singleAsset: boolean;
  bruteForceChain: BruteForceChain | null;
  credentialsSubmitted: boolean;
  activeC2OnCritical: AlertFacts | null;
  maliciousEvidence: Evidence[];
  benignEvidence: Evidence[];
  fp: FalsePositiveAssessment;
  context: ContextAssessment;
  confidence: ConfidenceAssessment;
  /** Attacker behaviour the alerts' own content carries (assessment/behaviour.ts), one entry per kind. */
  behaviour: (BehaviourFinding & { alertId: string })[];
  /** The strongest confirmed-attack precedent among the alerts (analysts judged the shape malicious). */
  confirmedPrecedent: { alertId: string; detail: string } | null;
  /**
   * crew.md step 4: every alert carries a benign analyst precedent, the case carries no attacker behaviour,
   * no intel match, no other malicious evidence, and the source called it low or informational (or sent no
   * severity): the asset-based forced rules give way, judged on the severity without asset factors.
   */
  precedentWaiver: boolean;
}

/** What the closing bases of assessment/closing.ts find on each alert of the case. */
export interface ClosingFacts {
  /** Ids of the alerts that are contained deliveries. */
  contained: ReadonlySet<string>;
  /** Ids of the alerts that are dead-indicator lookups. */
  dead: ReadonlySet<string>;
  /** Per alert id, the basis whose accounted-for evidence does not count against closing. */
  answering: ReadonlyMap<string, "contained_by_control" | "dead_indicator">;
  /** The bases on each alert, in case order. */
  bases: ClosingBasis[][];
  /** Per alert, in case order: each basis found, or why a near candidate does not hold. */
  notes: string[][];
}
