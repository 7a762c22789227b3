import type { VeraOutput } from "../../core/index.js";
import { inlineMarkdown } from "../tora/comment.js";

const code = (text: string) => `\`${text.replace(/`/g, "'").replace(/\s+/g, " ")}\``;
const MAX_LISTED = 25;
const MAX_COMMENT_CHARS = 90_000;

/** VERA's case comment: the verdict first, then the root cause, evidence, containment and timeline. */
export function renderVeraComment(output: VeraOutput, caseTitle: string, adjustments: readonly string[] = []): string {
  const lines: string[] = [];
  const res = output.tora_hypothesis_resolution;
  lines.push(
    `## VERA investigation — ${output.verdict} · root cause ${output.root_cause_confidence} · severity ${output.severity_delta.from} → ${output.severity}`,
    "",
    `**Case** ${code(output.case_id)} (${code(output.vera_id)}) — ${inlineMarkdown(caseTitle)}`,
    "",
    inlineMarkdown(output.narrative),
    "",
    `**TORA's hypothesis:** ${res.status} — ${inlineMarkdown(res.explanation)}`,
    "",
    `**Root cause:** ${inlineMarkdown(output.root_cause.description)} (vector: ${inlineMarkdown(output.root_cause.attack_vector)}; stage: ${inlineMarkdown(output.root_cause.kill_chain_stage)})`,
    `**Disposition:** ${code(output.disposition)}`,
    "",
  );
  if (output.scope.confirmed_assets.length || output.scope.probable_assets.length)
    lines.push(
      `**Scope:** confirmed ${output.scope.confirmed_assets.slice(0, MAX_LISTED).map(code).join(", ") || "none"}; probable ${output.scope.probable_assets.slice(0, MAX_LISTED).map(code).join(", ") || "none"}`,
      "",
    );
  lines.push("### Evidence", "");
  if (output.evidence.length)
    for (const e of output.evidence.slice(0, MAX_LISTED)) lines.push(`- ${code(e.id)} **${e.weight}** ${code(e.type)} — ${inlineMarkdown(e.description)} _(${inlineMarkdown(e.source_query)})_`);
  else lines.push("- none gathered");
  lines.push("");
  if (output.containment.recommendations.length) {
    lines.push(`### Containment — ${output.containment.urgency.replace("_", " ")}`, "");
    for (const r of output.containment.recommendations) lines.push(`${r.order}. ${code(r.action_hint)} ${code(r.target)} — ${inlineMarkdown(r.rationale)}`);
    lines.push("", `If not contained: ${inlineMarkdown(output.containment.if_not_contained)}`, "");
  }
  if (output.ruled_out.length) lines.push("### Ruled out", "", ...output.ruled_out.slice(0, MAX_LISTED).map((r) => `- ${inlineMarkdown(r)}`), "");
  if (output.timeline.gaps.length) lines.push("### Gaps", "", ...output.timeline.gaps.slice(0, MAX_LISTED).map((g) => `- ${inlineMarkdown(g)}`), "");
  if (adjustments.length) lines.push("### Guardrails", "", ...adjustments.map((a) => `- ${inlineMarkdown(a)}`), "");
  lines.push(
    output.verdict === "ESCALATE_TO_ARIA"
      ? "**Next:** ARIA carries out the containment under the autonomy policy."
      : output.verdict === "HOLD"
        ? "**Next:** on hold — a human must verify before anything closes this case."
        : "**Next:** closed with the disposition above.",
  );
  const text = lines.join("\n");
  return text.length > MAX_COMMENT_CHARS ? `${text.slice(0, MAX_COMMENT_CHARS - 20)}\n\n… (truncated)` : text;
}
