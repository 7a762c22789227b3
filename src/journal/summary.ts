import type { Decision, ToraOutput, VeraOutput } from "../core/index.js";

/**
 * The post a reader sees on shift: a triage summary as a good analyst writes it — the finding, the evidence,
 * the hypothesis, the verdict and the next step, in a few short paragraphs (a TORA closure stays under 200
 * words, an escalation or an investigation under 350). Everything else (every step's findings, the evidence
 * table, the timeline, the context carried forward) is in the decision's trace page, one link away.
 */

const PRIORITY_MEANING: Record<string, string> = { P1: "immediate", P2: "within the shift", P3: "next available", P4: "when time allows" };
const VERA_VERDICT_MEANING: Record<string, string> = {
  ESCALATE_TO_ARIA: "handed to ARIA for containment",
  HOLD: "on hold: a human must verify",
  CLOSED: "closed",
};

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** At most `max` words, ending on an ellipsis when cut (the trace has the whole text). */
export function words(text: string, max: number): string {
  const parts = oneLine(text).split(" ").filter(Boolean);
  return parts.length <= max ? parts.join(" ") : `${parts.slice(0, max).join(" ").replace(/[,;:.]$/, "")}…`;
}

/** The first `n` sentences. */
function sentences(text: string, n: number): string {
  const all = oneLine(text).match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g) ?? [];
  return all.slice(0, n).join(" ").trim();
}

const code = (value: string) => `\`${oneLine(value).replace(/`/g, "ʼ")}\``;

function traceLink(tracePath: string, postPath: string): string {
  return `[Full reasoning trace](${relativeLink(postPath, tracePath)})`;
}

/** A link from one journal file to another, both relative to the journal folder. */
export function relativeLink(from: string, to: string): string {
  const up = from.split("/").length - 1;
  return `${"../".repeat(up)}${to}`;
}

export function toraSummary(out: ToraOutput, links: { post: string; trace: string }): string {
  const lines: string[] = [
    `**Verdict: ${out.verdict}** — severity **${out.severity}**, priority **${out.priority}** (${PRIORITY_MEANING[out.priority]}), confidence **${out.confidence}** (${out.confidence_label}).`,
    "",
  ];
  const pkg = out.escalation_package;
  const finding = pkg ? pkg.case_summary.trigger : sentences(out.narrative, 1);
  lines.push(`**Finding.** ${words(finding, 45)}`, "");
  lines.push("**Evidence.**", "");
  for (const step of out.reasoning_trace) lines.push(`- ${oneLine(step.name)}: ${words(step.outcome, 16)}`);
  if (out.forced_escalation.triggered) lines.push(`- Forced rule(s): ${out.forced_escalation.rules.map((r) => code(r.id)).join(", ") || "fired (no detail recorded)"}`);
  lines.push("");
  if (pkg) lines.push(`**Hypothesis.** ${words(pkg.hypothesis, 95)}`, "");
  lines.push(`**Why.** ${words(out.rationale, pkg ? 45 : 30)}`, "");
  lines.push(`**Next step.** ${nextStepOfTora(out)}`, "");
  lines.push(traceLink(links.trace, links.post), "");
  return lines.join("\n");
}

function nextStepOfTora(out: ToraOutput): string {
  if (out.escalation_package) {
    const focus = out.escalation_package.suggested_focus.slice(0, 2).map((f) => words(f, 28));
    return `VERA investigates at ${out.escalation_package.priority}, starting with: ${focus.map((f, i) => `(${i + 1}) ${f}`).join(" ")}`;
  }
  if (out.insufficient_context_package) {
    const pkg = out.insufficient_context_package;
    return `On hold for the SOC queue: ${words(pkg.blocking_reason, 30)}${pkg.enrichment_needed.length ? ` Needed: ${words(pkg.enrichment_needed.slice(0, 3).join("; "), 30)}.` : ""}`;
  }
  const fp = out.false_positive_assessment;
  return fp.suppression_rule_id ? `None: closed under suppression ${code(fp.suppression_rule_id)}.` : `None: closed as ${fp.disposition.replace(/_/g, " ")}.`;
}

export function veraSummary(out: VeraOutput, links: { post: string; trace: string }): string {
  const res = out.tora_hypothesis_resolution;
  const lines: string[] = [
    `**Verdict: ${out.verdict}** (${VERA_VERDICT_MEANING[out.verdict]}) — disposition ${code(out.disposition)}, root cause **${out.root_cause_confidence}**, severity **${out.severity_delta.from} → ${out.severity}**.`,
    "",
    `**Finding.** ${words(out.root_cause.description, 45)}${out.entry_vector.value ? ` Entry: ${words(out.entry_vector.value, 15)}.` : ""}${out.dwell_time.value ? ` Dwell time: ${words(out.dwell_time.value, 15)}.` : ""}`,
    "",
    "**Evidence.**",
    "",
  ];
  const rank = { strong: 0, moderate: 1, weak: 2 } as const;
  const top = [...out.evidence].sort((a, b) => rank[a.weight] - rank[b.weight]).slice(0, 4);
  if (top.length) lines.push(...top.map((e) => `- ${e.id} (${e.weight}): ${words(e.description, 24)}`));
  else lines.push("- No evidence was gathered.");
  if (out.evidence.length > top.length) lines.push(`- …and ${out.evidence.length - top.length} more in the trace.`);
  lines.push("", `**Hypothesis.** TORA's hypothesis is **${res.status}**: ${words(res.explanation, 40)}`, "");
  const scope = [
    out.scope.confirmed_assets.length ? `confirmed on ${out.scope.confirmed_assets.slice(0, 4).join(", ")}` : null,
    out.scope.probable_assets.length ? `probably also ${out.scope.probable_assets.slice(0, 4).join(", ")}` : null,
  ].filter(Boolean);
  lines.push(`**Scope.** ${scope.length ? `${scope.join("; ")}.` : "No asset confirmed."}${out.nova_feed.missing_telemetry.length ? ` Blind spots: ${out.nova_feed.missing_telemetry.length} (listed in the trace).` : ""}`, "");
  lines.push(`**Next step.** ${nextStepOfVera(out)}`, "");
  lines.push(traceLink(links.trace, links.post), "");
  return lines.join("\n");
}

function nextStepOfVera(out: VeraOutput): string {
  const recs = out.containment.recommendations;
  if (out.verdict === "ESCALATE_TO_ARIA" && recs.length) {
    const shown = recs.slice(0, 5).map((r) => `${r.action_hint} ${code(r.target)}`);
    return `Contain (${out.containment.urgency.replace(/_/g, " ")}): ${shown.join("; ")}${recs.length > shown.length ? `; +${recs.length - shown.length} more` : ""}. ${words(out.containment.if_not_contained, 25)}`;
  }
  if (out.verdict === "CLOSED") return `None: closed as ${out.disposition.replace(/_/g, " ")}.`;
  return `A human verifies${out.nova_feed.missing_telemetry.length ? `, ideally with the missing telemetry (${words(out.nova_feed.missing_telemetry.slice(0, 2).join("; "), 25)})` : ""}.`;
}

/** Any other shape: its narrative (or rationale), shortened; the output whole is in the trace. */
export function genericSummary(decision: Decision, head: string, links: { post: string; trace: string }): string {
  const output = decision.output as Record<string, unknown> | null;
  const text = [output?.narrative, output?.rationale].find((v): v is string => typeof v === "string" && v.trim().length > 0);
  return [head, "", ...(text ? [words(text, 150), ""] : []), traceLink(links.trace, links.post), ""].join("\n");
}
