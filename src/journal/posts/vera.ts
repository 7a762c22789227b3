import type { Decision, VeraOutput } from "../../core/index.js";
import { cell, code, oneLine, signature } from "../markdown.js";

/** VERA's post: the investigation, its root cause, containment and the verdict's meaning. */
export const URGENCY_PRIORITY: Record<string, string> = { immediate: "P1", within_shift: "P2", next_available: "P3" };

const VERA_VERDICT_MEANING: Record<string, string> = {
  ESCALATE_TO_ARIA: "handed to ARIA for containment",
  HOLD: "on hold: a human must verify",
  CLOSED: "closed",
};

/** VERA's investigation write-up: the verdict, the root cause, then the evidence, timeline and containment. */
export function veraBody(out: VeraOutput, decision: Decision): string {
  const res = out.tora_hypothesis_resolution;
  const lines: string[] = [
    `**Verdict: ${out.verdict}** (${VERA_VERDICT_MEANING[out.verdict]}) — disposition ${code(out.disposition)}, root cause **${out.root_cause_confidence}**, ` +
      `severity **${out.severity_delta.from} → ${out.severity}** (${out.severity_delta.direction}).`,
    "",
    out.narrative.trim(),
    "",
    "## TORA's hypothesis",
    "",
    `**${res.status}** — ${oneLine(res.explanation)}`,
    "",
    "## Root cause",
    "",
    `- **What happened:** ${oneLine(out.root_cause.description)}`,
    `- **Attack vector:** ${oneLine(out.root_cause.attack_vector)}`,
    `- **Kill-chain stage:** ${oneLine(out.root_cause.kill_chain_stage)}`,
    `- **Entry vector:** ${out.entry_vector.value ? oneLine(out.entry_vector.value) : `unknown — ${oneLine(out.entry_vector.unknown_reason ?? "")}`}`,
    `- **Dwell time:** ${out.dwell_time.value ? oneLine(out.dwell_time.value) : `unknown — ${oneLine(out.dwell_time.unknown_reason ?? "")}`}`,
    "",
    "## Scope",
    "",
    `- Confirmed: ${out.scope.confirmed_assets.length ? out.scope.confirmed_assets.map(code).join(", ") : "none"}`,
    `- Probable: ${out.scope.probable_assets.length ? out.scope.probable_assets.map(code).join(", ") : "none"}`,
    "",
    "## How I got there",
    "",
  ];
  for (const step of out.reasoning_trace) {
    lines.push(`### ${step.step}. ${oneLine(step.name)}`, "");
    lines.push(...(step.findings.length ? step.findings.map((finding) => `- ${oneLine(finding)}`) : ["- No findings recorded."]), "");
    lines.push(`**Outcome:** ${oneLine(step.outcome)}`, "");
  }
  lines.push("## Evidence", "");
  if (out.evidence.length) {
    lines.push("| Id | Weight | Type | What | Source |", "| --- | --- | --- | --- | --- |");
    for (const e of out.evidence) lines.push(`| ${code(e.id)} | ${e.weight} | ${code(e.type)} | ${cell(e.description)} | ${cell(e.source_query)} |`);
  } else lines.push("No evidence was gathered.");
  lines.push("", "## Timeline", "");
  if (out.timeline.events.length)
    for (const event of out.timeline.events)
      lines.push(`- **${event.time.slice(0, 19).replace("T", " ")}Z** · ${oneLine(event.kill_chain_phase)} · ${event.confidence} — ${oneLine(event.description)}${event.evidence_ids.length ? ` (${event.evidence_ids.join(", ")})` : ""}`);
  else lines.push("- No dated events.");
  if (out.timeline.gaps.length) lines.push("", "**Gaps:**", "", ...out.timeline.gaps.map((gap) => `- ${oneLine(gap)}`));
  if (out.ruled_out.length) lines.push("", "## Ruled out", "", ...out.ruled_out.map((item) => `- ${oneLine(item)}`));
  lines.push("", `## Containment — ${out.containment.urgency.replace(/_/g, " ")}`, "");
  if (out.containment.recommendations.length)
    lines.push(...out.containment.recommendations.map((rec) => `${rec.order}. ${code(rec.action_hint)} on ${code(rec.target)} — ${oneLine(rec.rationale)}`), "");
  else lines.push("No containment recommended.", "");
  lines.push(`**If not contained:** ${oneLine(out.containment.if_not_contained)}`, "", `**Recovery:** ${oneLine(out.containment.recovery_notes)}`, "");
  const feed = out.nova_feed;
  lines.push(
    "## For NOVA",
    "",
    `- Hypothesis resolution: ${code(feed.hypothesis_resolution)}`,
    `- Root-cause confidence: ${code(feed.root_cause_confidence)}`,
    `- Severity delta: ${feed.severity_delta}`,
    `- Evidence items: ${feed.evidence_count}`,
    `- Missing telemetry: ${feed.missing_telemetry.length ? feed.missing_telemetry.map(code).join(", ") : "none"}`,
    "",
  );
  lines.push(...signature(decision));
  return lines.join("\n");
}
