import { severityRank, type ForcedRule, type Severity } from "../../core/index.js";
import type { CaseAssessment } from "../assessment/assessment.js";
import { listOf } from "../assessment/text.js";

/**
 * Forced escalation rules (crew.md, TORA step 4). They are checked first, in code, on structured
 * fields only; when one fires the verdict is ESCALATED whatever any analyst proposed.
 */
export interface ForcedRuleDefinition {
  id: string;
  description: string;
  /** The concrete finding when the rule fires, null otherwise. */
  check(assessment: CaseAssessment, severity: RuleSeverity): string | null;
}

export interface RuleSeverity {
  /** Severity after step 1 (or higher, when an analyst raised it). */
  severity: Severity;
  /** The same without the environment factor, for the production rule (see assessment/severity.ts). */
  severityWithoutEnvironment: Severity;
}

export interface FiredRule {
  id: string;
  description: string;
  evidence: string;
}

const atLeast = (severity: Severity, floor: Severity) => severityRank(severity) >= severityRank(floor);

export const FORCED_RULES: readonly ForcedRuleDefinition[] = [
  {
    id: "severity_high_or_critical",
    description: "Severity is high or critical after step 1",
    check: (_a, s) => (atLeast(s.severity, "high") ? `severity ${s.severity}` : null),
  },
  {
    id: "asset_criticality_high",
    description: "Asset criticality is critical or high",
    check: (a) => {
      const hits = a.facts.filter((f) => f.criticality === "critical" || f.criticality === "high");
      return hits.length ? listOf([...new Set(hits.map((f) => `${f.host ?? f.hostIp} is ${f.criticality}`))]) : null;
    },
  },
  {
    id: "crown_jewel_adjacent",
    description: "Asset is adjacent to a crown jewel",
    check: (a) => {
      const hits = a.facts.filter((f) => f.enrichment.asset?.crown_jewel_adjacent);
      return hits.length ? `${listOf([...new Set(hits.map((f) => f.enrichment.asset!.hostname))])} crown-jewel adjacent` : null;
    },
  },
  {
    id: "indicator_on_multiple_assets",
    description: "The same indicator is seen on more than one asset",
    check: (a) => (a.spreadAssets.length >= 2 ? `seen on ${a.spreadAssets.length} assets: ${listOf(a.spreadAssets, 6)}` : null),
  },
  {
    id: "production_severity_medium",
    description: "Production asset with severity medium or higher",
    check: (a, s) => {
      const hit = a.facts.find((f) => f.production);
      return hit && atLeast(s.severityWithoutEnvironment, "medium")
        ? `${hit.host} is ${hit.enrichment.asset!.environment}, severity ${s.severityWithoutEnvironment} before the environment factor`
        : null;
    },
  },
  {
    id: "elevated_privilege_user",
    description: "The user holds elevated or admin privileges",
    check: (a) => {
      const hit = a.facts.find((f) => f.enrichment.identity && f.enrichment.identity.privilege_level !== "standard");
      return hit ? `${hit.enrichment.identity!.username} is ${hit.enrichment.identity!.privilege_level}` : null;
    },
  },
  {
    id: "service_account_external",
    description: "A service account queried or connected to an external destination",
    check: (a) => {
      const hit = a.facts.find((f) => f.enrichment.identity?.user_type === "service_account" && f.external);
      return hit ? `${hit.enrichment.identity!.username} → ${hit.domain ?? hit.dstIp}` : null;
    },
  },
  {
    id: "bruteforce_then_success",
    description: "Brute force followed by a successful login from the same source",
    check: (a) => a.bruteForceChain?.detail ?? null,
  },
  {
    id: "credentials_submitted",
    description: "Credentials were submitted to a phishing page (always P1)",
    check: (a) => {
      const hit = a.facts.find((f) => f.email?.credentialsSubmitted);
      if (!hit) return null;
      const who = hit.user ?? (hit.email!.recipients.length ? listOf(hit.email!.recipients) : "the recipient");
      return `${who} submitted credentials${hit.email!.links[0] ? ` after following ${hit.email!.links[0]}` : ""}`;
    },
  },
];

/** The rules that force the escalation of what looks hostile on an important asset (crew.md step 4). */
export const ASSET_RULES: ReadonlySet<string> = new Set(["asset_criticality_high", "crown_jewel_adjacent", "production_severity_medium"]);

export function evaluateForcedRules(assessment: CaseAssessment, severity?: RuleSeverity): FiredRule[] {
  return evaluate(assessment, severity).fired;
}

/**
 * The asset-based rules a benign analyst precedent waived (crew.md step 4: routine telemetry of an exact
 * shape analysts consistently judged benign, with no attacker behaviour and no intel match), with the
 * severity rule when only asset factors raised the severity. Empty without a waiver.
 */
export function waivedForcedRules(assessment: CaseAssessment, severity?: RuleSeverity): FiredRule[] {
  return evaluate(assessment, severity).waived;
}

function evaluate(assessment: CaseAssessment, severity?: RuleSeverity): { fired: FiredRule[]; waived: FiredRule[] } {
  const s = severity ?? { severity: assessment.severity.severity, severityWithoutEnvironment: assessment.severity.severityWithoutEnvironment };
  const fired: FiredRule[] = [];
  const waived: FiredRule[] = [];
  // A severity an analyst raised beyond step 1 is not the asset's doing: the waiver then covers nothing of it.
  const waiver = assessment.precedentWaiver && s.severity === assessment.severity.severity;
  for (const rule of FORCED_RULES) {
    const evidence = rule.check(assessment, s);
    if (!evidence) continue;
    const entry = { id: rule.id, description: rule.description, evidence };
    const assetOnly = rule.id === "severity_high_or_critical" && !atLeast(assessment.severity.severityWithoutAsset, "high");
    if (waiver && (ASSET_RULES.has(rule.id) || assetOnly)) waived.push(entry);
    else fired.push(entry);
  }
  return { fired, waived };
}

/** The output form: the rule's description carries its concrete finding. */
export function toForcedRule(rule: FiredRule): ForcedRule {
  return { id: rule.id, description: `${rule.description}: ${rule.evidence}` };
}
