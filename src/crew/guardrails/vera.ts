import {
  VeraOutput,
  caseIdForTier,
  evidenceSource,
  severityRank,
  type ContainmentRecommendation,
  type VeraVerdict,
} from "../../core/index.js";
import { assessCase } from "../assessment/assessment.js";
import { caseEntities } from "../vera/augment.js";
import { investigateDeterministic } from "../vera/deterministic.js";
import { ownInfrastructureOf } from "../vera/own-infrastructure.js";
import { VeraInput } from "../vera/schema.js";
import { parseOrThrow } from "./apply.js";
import { evaluateForcedRules } from "./forced-rules.js";

/** Forced rules under which VERA never closes a case, whatever the evidence says. */
export const VERA_BLOCKING_RULES: ReadonlySet<string> = new Set(["credentials_submitted", "bruteforce_then_success"]);

export interface GuardedVeraOutput {
  output: VeraOutput;
  /** What the guardrails changed, in plain words; empty when the proposal passed untouched. */
  adjustments: string[];
}

/**
 * The invariant every VERA analyst's proposal passes through (deterministic or model). It reads the
 * structured input, never the proposal's prose:
 *  - the case id is the input's (and the VERA id follows it);
 *  - CLOSED needs TORA's hypothesis REFUTED and the root cause CONFIRMED — in the proposal and in the
 *    case's structured data as the deterministic reading finds it (a proposal's evidence is prose) — and
 *    never happens while credentials were submitted or a brute force succeeded; otherwise HOLD;
 *  - ESCALATE_TO_ARIA keeps only recommendations whose target is one of the case's entities, never a
 *    block_ioc on the organisation's own infrastructure (vera/own-infrastructure.ts), and becomes HOLD
 *    when none is left;
 *  - severity never drops below TORA's while a forced rule fires;
 *  - evidence ids, timeline references, the CONFIRMED-needs-two-sources rule and nova_feed stay consistent.
 */
export function guardVera(proposed: unknown, rawInput: VeraInput): GuardedVeraOutput {
  const input = parseOrThrow(VeraInput, rawInput, "VERA input", "input");
  const adjustments: string[] = [];
  const tora = input.tora.output;
  const normalised = normalise(proposed, input.case_id, tora.severity, adjustments);
  const out: VeraOutput = structuredClone(parseOrThrow(VeraOutput, normalised, "VERA proposal", "output"));
  const proposedVerdict = out.verdict;

  const a = assessCase({ caseId: input.case_id, alerts: input.alerts, now: input.now });
  const fired = new Set([...evaluateForcedRules(a, { severity: tora.severity, severityWithoutEnvironment: tora.severity }).map((r) => r.id), ...tora.forced_escalation.rules.map((r) => r.id)]);
  if (tora.forced_escalation.triggered && fired.size === 0) fired.add("tora_forced_escalation");
  const blocking = [...fired].filter((id) => VERA_BLOCKING_RULES.has(id));

  let verdict: VeraVerdict = out.verdict;
  if (verdict === "CLOSED") {
    const why: string[] = [];
    if (blocking.length) why.push(`forced rule(s) ${blocking.join(", ")} never let VERA close`);
    if (out.tora_hypothesis_resolution.status !== "REFUTED") why.push(`TORA's hypothesis is ${out.tora_hypothesis_resolution.status}, not REFUTED`);
    if (out.root_cause_confidence !== "CONFIRMED") why.push(`root cause is ${out.root_cause_confidence}, not CONFIRMED`);
    if (out.disposition === "undetermined") why.push("a closure needs a disposition other than undetermined");
    // The proposal's own resolution and evidence are words an analyst (or an injected model) wrote: the
    // refutation must stand in the case's structured data, as the deterministic reading finds it.
    if (!why.length) {
      const reading = investigateDeterministic(input, input.now);
      if (reading.tora_hypothesis_resolution.status !== "REFUTED" || reading.root_cause_confidence !== "CONFIRMED")
        why.push(
          `the case data does not refute TORA's hypothesis (read in code: hypothesis ${reading.tora_hypothesis_resolution.status}, root cause ${reading.root_cause_confidence})`,
        );
    }
    if (why.length) {
      verdict = "HOLD";
      adjustments.push(`CLOSED changed to HOLD: ${why.join("; ")}`);
    }
  }

  if (verdict === "ESCALATE_TO_ARIA" || out.containment.recommendations.length) {
    const scope = scopeOf(input);
    const own = ownInfrastructureOf(input);
    const kept: ContainmentRecommendation[] = [];
    for (const rec of [...out.containment.recommendations].sort((x, y) => x.order - y.order)) {
      const ownTarget = rec.action_hint === "block_ioc" ? own(rec.target) : null;
      if (ownTarget) adjustments.push(`recommendation block_ioc ${JSON.stringify(rec.target)} dropped: ${ownTarget}, never blocked as an indicator`);
      else if (scope(rec.target)) kept.push({ ...rec, order: kept.length + 1 });
      else adjustments.push(`recommendation ${rec.action_hint} ${JSON.stringify(rec.target)} dropped: the target is not one of the case's entities`);
    }
    out.containment.recommendations = kept;
    if (verdict === "ESCALATE_TO_ARIA" && kept.length === 0) {
      verdict = "HOLD";
      adjustments.push("ESCALATE_TO_ARIA changed to HOLD: no recommendation within the case's scope is left");
    }
  }

  if (fired.size > 0 && severityRank(out.severity) < severityRank(tora.severity)) {
    adjustments.push(`severity ${out.severity} raised back to TORA's ${tora.severity}: forced rule(s) ${[...fired].join(", ")} fired`);
    out.severity = tora.severity;
  }

  out.verdict = verdict;
  if (verdict === "HOLD" && proposedVerdict === "CLOSED" && out.disposition !== "undetermined" && out.tora_hypothesis_resolution.status !== "REFUTED") {
    out.disposition = "undetermined";
  }
  const direction = severityRank(out.severity) > severityRank(tora.severity) ? "raised" : severityRank(out.severity) < severityRank(tora.severity) ? "lowered" : "unchanged";
  out.severity_delta = { direction, from: tora.severity, to: out.severity };
  out.nova_feed = { ...out.nova_feed, verdict, severity_delta: direction, evidence_count: out.evidence.length, root_cause_confidence: out.root_cause_confidence, hypothesis_resolution: out.tora_hypothesis_resolution.status };
  const missing = new Set([...out.nova_feed.missing_telemetry, ...input.augmentation.missing_telemetry]);
  out.nova_feed.missing_telemetry = [...missing];

  if (adjustments.length) {
    const step6 = out.reasoning_trace[5]!;
    step6.findings = [...step6.findings, ...adjustments.map((adj) => `Guardrail: ${adj}.`)];
    if (verdict !== proposedVerdict) {
      step6.outcome = `${verdict} (proposed ${proposedVerdict})`;
      out.narrative = `${out.narrative} Guardrails changed the proposed ${proposedVerdict} to ${verdict}.`;
    }
  }
  return { output: parseOrThrow(VeraOutput, out, "VERA output", "output"), adjustments };
}

/** Slips a proposal may carry are repaired (and listed) before validation; anything else malformed is rejected. */
function normalise(proposed: unknown, caseId: string, toraSeverity: VeraOutput["severity"], adjustments: string[]): unknown {
  if (!proposed || typeof proposed !== "object") return proposed;
  const p = structuredClone(proposed) as Record<string, unknown>;
  if (p.case_id !== caseId) {
    adjustments.push(`case id ${JSON.stringify(p.case_id)} replaced by ${caseId}`);
    p.case_id = caseId;
  }
  const veraId = caseIdForTier(caseId, "VERA");
  if (p.vera_id !== veraId) {
    if (p.vera_id !== undefined) adjustments.push(`VERA id ${JSON.stringify(p.vera_id)} replaced by ${veraId}`);
    p.vera_id = veraId;
  }
  const evidence = Array.isArray(p.evidence) ? (p.evidence as Record<string, unknown>[]) : [];
  const ids = new Set(evidence.map((e) => e?.id));
  const timeline = p.timeline as { events?: { evidence_ids?: unknown }[] } | undefined;
  for (const event of Array.isArray(timeline?.events) ? timeline.events : []) {
    if (!Array.isArray(event.evidence_ids)) continue;
    const unknown = event.evidence_ids.filter((id) => !ids.has(id));
    if (unknown.length) {
      adjustments.push(`timeline reference(s) to unknown evidence ${unknown.map(String).join(", ")} removed`);
      event.evidence_ids = event.evidence_ids.filter((id) => ids.has(id));
    }
  }
  if (p.root_cause_confidence === "CONFIRMED") {
    const sources = new Set(
      evidence.filter((e) => e && e.weight !== "weak" && typeof e.source_query === "string").map((e) => evidenceSource({ source_query: e.source_query as string })),
    );
    if (sources.size < 2) {
      adjustments.push(`root cause CONFIRMED lowered to PROBABLE: ${sources.size} independent strong/moderate source(s), 2 needed`);
      p.root_cause_confidence = "PROBABLE";
    }
  }
  const containment = p.containment as { recommendations?: unknown } | undefined;
  if (p.verdict === "ESCALATE_TO_ARIA" && Array.isArray(containment?.recommendations) && containment.recommendations.length === 0) {
    adjustments.push("ESCALATE_TO_ARIA changed to HOLD: no containment recommendation");
    p.verdict = "HOLD";
  }
  if (typeof p.severity === "string") {
    const delta = p.severity_delta && typeof p.severity_delta === "object" ? (p.severity_delta as Record<string, unknown>) : {};
    p.severity_delta = { ...delta, from: toraSeverity, to: p.severity, direction: delta.direction ?? "unchanged" };
  }
  if (p.nova_feed && typeof p.nova_feed === "object") {
    p.nova_feed = { ...(p.nova_feed as Record<string, unknown>), verdict: p.verdict, evidence_count: evidence.length };
  }
  return p;
}

/** Whether a target is one of the case's entities (a short host name also names its fully qualified host). */
export function scopeOf(input: VeraInput): (target: string) => boolean {
  const e = caseEntities(input.alerts, input.tora.output);
  const values = new Set([...e.domains, ...e.ips, ...e.hashes, ...e.users, ...e.urls, ...e.emails, ...e.hostIps, ...e.hosts].map((v) => v.toLowerCase()));
  const shortHosts = new Set(e.hosts.map((h) => h.toLowerCase().split(".")[0]!));
  const users = new Set(e.users.map((u) => u.toLowerCase()));
  return (target) => {
    const t = target.trim().toLowerCase();
    if (!t) return false;
    if (values.has(t)) return true;
    if (!t.includes(".") && shortHosts.has(t)) return true;
    // An account written DOMAIN\\user or user@domain is the same account.
    const bare = t.replace(/^[^\\]*\\/, "").replace(/@.*$/, "");
    return bare !== t && users.has(bare);
  };
}
