import type { ToraOutput } from "../../core/index.js";

/**
 * Inline Markdown from text that may hold attacker-controlled values: one line, with the characters
 * that would open links, images, HTML or emphasis escaped so it renders as the literal text.
 */
export function inlineMarkdown(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .replace(/[\\`*_[\]<>|!#~@]/g, (ch) => `\\${ch}`)
      .replace(/&/g, "&amp;")
      // GFM turns bare URLs and www. names into links; an escaped slash or dot renders the same, unlinked.
      .replace(/:\/\//g, ":\\/\\/")
      .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\\.`)
  );
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

/** Lists in a comment name the first few items: a case of thousands of alerts must still give a readable comment. */
const MAX_LISTED = 25;
/** Stays under the comment schema's limit, whatever the alerts hold. */
const MAX_COMMENT_CHARS = 90_000;

function listed(values: readonly string[], render: (value: string) => string = code): string {
  const shown = values.slice(0, MAX_LISTED).map(render).join(", ");
  return values.length > MAX_LISTED ? `${shown} … and ${values.length - MAX_LISTED} more` : shown;
}

/** TORA's case comment: the decision first, then how it was reached, then what happens next. */
export function renderToraComment(output: ToraOutput, caseTitle: string): string {
  const lines: string[] = [];
  lines.push(
    `## TORA triage — ${output.verdict} · ${output.priority} · severity ${output.severity} · confidence ${output.confidence} (${output.confidence_label})`,
    "",
    `**Case** ${code(output.case_id)} — ${inlineMarkdown(caseTitle)}`,
    "",
    `**Rationale.** ${inlineMarkdown(output.rationale)}`,
    "",
  );

  const fp = output.false_positive_assessment;
  lines.push(
    `**False-positive assessment:** ${fp.likely_false_positive ? "likely false positive" : "not a likely false positive"}, disposition ${code(fp.disposition)}` +
      (fp.suppression_rule_id ? `, suppression ${code(fp.suppression_rule_id)}` : "") +
      `. ${inlineMarkdown(fp.reasoning)}`,
    "",
  );

  lines.push("### Forced escalation rules", "");
  if (output.forced_escalation.rules.length === 0) lines.push("None fired.", "");
  else {
    for (const rule of output.forced_escalation.rules) lines.push(`- ${code(rule.id)} — ${inlineMarkdown(rule.description)}`);
    lines.push("");
  }

  lines.push("### Reasoning", "");
  for (const step of output.reasoning_trace) {
    lines.push(`${step.step}. **${inlineMarkdown(step.name)}** — ${inlineMarkdown(step.outcome)}`);
    for (const finding of step.findings.slice(0, MAX_LISTED)) lines.push(`   - ${inlineMarkdown(finding)}`);
    if (step.findings.length > MAX_LISTED) lines.push(`   - … and ${step.findings.length - MAX_LISTED} more findings`);
  }
  lines.push("");

  const escalation = output.escalation_package;
  if (escalation) {
    const s = escalation.case_summary;
    lines.push(
      "### Hand-off to VERA",
      "",
      `- **Trigger:** ${inlineMarkdown(s.trigger)}`,
      `- **Found:** ${inlineMarkdown(s.what_was_found)}`,
      `- **Ruled out:** ${inlineMarkdown(s.what_was_ruled_out)}`,
      `- **Why it matters:** ${inlineMarkdown(s.why_it_matters)}`,
      "",
      `**Hypothesis.** ${inlineMarkdown(escalation.hypothesis)}`,
      "",
      "**Suggested focus**",
      "",
      ...escalation.suggested_focus.map((focus, i) => `${i + 1}. ${inlineMarkdown(focus)}`),
      "",
    );
    const indicators = Object.entries(escalation.indicators).filter(([, values]) => values.length > 0);
    if (indicators.length) {
      lines.push("**Indicators**", "");
      for (const [kind, values] of indicators) lines.push(`- ${kind}: ${listed(values)}`);
      lines.push("");
    }
    if (escalation.preserved_context.missing_fields.length)
      lines.push(`**Missing context:** ${listed(escalation.preserved_context.missing_fields)}`, "");
  }

  const insufficient = output.insufficient_context_package;
  if (insufficient) {
    lines.push(
      "### Blocked on context",
      "",
      `**Blocking reason.** ${inlineMarkdown(insufficient.blocking_reason)}`,
      "",
      `**Blocking fields:** ${insufficient.blocking_fields.length ? listed(insufficient.blocking_fields) : "none recorded"}`,
      "",
      "**Enrichment needed**",
      "",
      ...insufficient.enrichment_needed.map((need) => `- ${inlineMarkdown(need)}`),
      "",
      `**Retry possible:** ${insufficient.retry_possible ? "yes" : "no"}`,
      "",
      `**Partial assessment.** ${inlineMarkdown(insufficient.partial_assessment)}`,
      "",
    );
  }

  lines.push("### Narrative", "", inlineMarkdown(output.narrative), "");
  const body = lines.join("\n");
  if (body.length <= MAX_COMMENT_CHARS) return body;
  return `${body.slice(0, MAX_COMMENT_CHARS)}\n\n*(comment cut at ${MAX_COMMENT_CHARS} characters; the full decision is in the decision record and the journal)*\n`;
}
