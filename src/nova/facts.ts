import type { ToraVerdict, Verdict } from "../core/index.js";

/** One alert of a case, reduced to what NOVA compares across cases. */
export interface AlertFacts {
  id: string;
  source: string;
  rule_id: string | null;
  time: string;
  host: string | null;
  host_ips: string[];
  user: string | null;
  process: string | null;
  parent: string | null;
  command_line: string | null;
  /** Whether enrichment found the host in the CMDB; null when the alert was never enriched or names no host. */
  asset_known: boolean | null;
  /** `type:value` of the external indicators it carries (domains, URLs, hashes, destination addresses). */
  indicators: string[];
}

/** A case as NOVA sees it: its outcome and the `nova_feed` of each tier, never the case-level detail. */
export interface CaseFacts {
  case_id: string;
  status: string;
  /** The analyst's (or the crew's) disposition on the case. */
  verdict: Verdict | null;
  suppression_id: string | null;
  tora: {
    verdict: ToraVerdict;
    alert_type: string;
    likely_false_positive: boolean;
    suppression_candidate: boolean;
    forced_escalation: boolean;
    completeness: string;
    missing_fields: string[];
    blocking_fields: string[];
    precedent_closure: boolean;
  } | null;
  vera: { resolution: "CONFIRMED" | "REFINED" | "REFUTED"; verdict: string; missing_telemetry: string[] } | null;
  alerts: AlertFacts[];
}

const BENIGN: ReadonlySet<string> = new Set(["false_positive", "benign_true_positive"]);

/** Judged benign: by an analyst's disposition, or closed by TORA as a likely false positive that no one overturned. */
export function isBenign(c: CaseFacts): boolean {
  if (c.verdict === "true_positive") return false;
  if (c.vera && c.vera.verdict !== "CLOSED") return false;
  if (c.verdict && BENIGN.has(c.verdict)) return true;
  return c.tora?.verdict === "CLOSED" && c.tora.likely_false_positive;
}

/** Judged hostile: an analyst's true positive, a TORA escalation VERA did not refute, or VERA escalating to ARIA. */
export function isHostile(c: CaseFacts): boolean {
  if (c.verdict === "true_positive") return true;
  if (c.verdict && BENIGN.has(c.verdict)) return false;
  if (c.vera) return c.vera.verdict === "ESCALATE_TO_ARIA";
  return c.tora?.verdict === "ESCALATED";
}
