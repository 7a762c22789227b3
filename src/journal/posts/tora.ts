import type { Decision, EscalationPackage, Indicators, InsufficientContextPackage, ToraOutput } from "../../core/index.js";
import { code, fence, oneLine, PRIORITY_MEANING, signature } from "../markdown.js";

/** TORA's post: the triage decision, its escalation or insufficient-context package. */
export function toraBody(out: ToraOutput, decision: Decision): string {
  const lines: string[] = [];
  lines.push(
    `**Verdict: ${out.verdict}** — severity **${out.severity}**, priority **${out.priority}** (${PRIORITY_MEANING[out.priority]}), ` +
      `confidence **${out.confidence}** (${out.confidence_label}).`,
    "",
    out.narrative.trim(),
    "",
    "## Why",
    "",
    out.rationale.trim(),
    "",
    "## How I got there",
    "",
  );
  for (const step of out.reasoning_trace) {
    lines.push(`### ${step.step}. ${oneLine(step.name)}`, "");
    if (step.findings.length) lines.push(...step.findings.map((finding) => `- ${oneLine(finding)}`), "");
    else lines.push("- No findings recorded.", "");
    lines.push(`**Outcome:** ${oneLine(step.outcome)}`, "");
  }

  lines.push("## Forced escalation rules", "");
  if (out.forced_escalation.triggered && out.forced_escalation.rules.length) {
    lines.push("I check these before anything else, and no judgment of mine can override them. These fired:", "");
    lines.push(...out.forced_escalation.rules.map((rule) => `- ${code(rule.id)} — ${oneLine(rule.description)}`), "");
  } else if (out.forced_escalation.triggered) {
    lines.push("A forced escalation rule fired (no rule detail was recorded).", "");
  } else {
    lines.push("None of the forced escalation rules fired; the decision is mine.", "");
  }

  const fp = out.false_positive_assessment;
  lines.push(
    "## Could this be a false positive?",
    "",
    `- Likely false positive: **${fp.likely_false_positive ? "yes" : "no"}**`,
    `- Disposition class: ${code(fp.disposition)}`,
    `- Suppression rule: ${fp.suppression_rule_id ? code(fp.suppression_rule_id) : "none applied"}`,
    "",
    fp.reasoning.trim(),
    "",
  );

  if (out.escalation_package) lines.push(...escalationSection(out.escalation_package));
  if (out.insufficient_context_package) lines.push(...insufficientSection(out.insufficient_context_package));

  const feed = out.nova_feed;
  lines.push(
    "## For NOVA",
    "",
    `- Alert type: ${code(feed.alert_type)}`,
    `- Context completeness: ${feed.context_completeness}`,
    `- Suppression candidate: ${feed.suppression_candidate ? "yes" : "no"}`,
    `- Missing fields: ${feed.missing_fields.length ? feed.missing_fields.map(code).join(", ") : "none"}`,
    "",
  );
  lines.push(...signature(decision));
  return lines.join("\n");
}

function escalationSection(pkg: EscalationPackage): string[] {
  const summary = pkg.case_summary;
  const lines = [
    "## Handoff to VERA",
    "",
    `Priority **${pkg.priority}** (${PRIORITY_MEANING[pkg.priority]}).`,
    "",
    "### Case summary",
    "",
    `- **Trigger:** ${oneLine(summary.trigger)}`,
    `- **What I found:** ${oneLine(summary.what_was_found)}`,
    `- **What I ruled out:** ${oneLine(summary.what_was_ruled_out)}`,
    `- **Why it matters:** ${oneLine(summary.why_it_matters)}`,
    "",
    "### Hypothesis",
    "",
    pkg.hypothesis.trim(),
    "",
    "### Suggested focus",
    "",
    ...pkg.suggested_focus.map((focus, index) => `${index + 1}. ${oneLine(focus)}`),
    "",
    "### Indicators",
    "",
    ...indicatorLines(pkg.indicators),
    "",
  ];
  const missing = pkg.preserved_context.missing_fields;
  lines.push(
    "### Context carried forward",
    "",
    missing.length ? `Still missing: ${missing.map(code).join(", ")}.` : "Nothing was missing from the enrichment.",
    "",
    fence(JSON.stringify(pkg.preserved_context, null, 2), "json"),
    "",
  );
  return lines;
}

function insufficientSection(pkg: InsufficientContextPackage): string[] {
  return [
    "## Where I got stuck",
    "",
    `**Blocking reason:** ${oneLine(pkg.blocking_reason)}`,
    "",
    "### Blocking fields",
    "",
    ...(pkg.blocking_fields.length ? pkg.blocking_fields.map((field) => `- ${code(field)}`) : ["- none named"]),
    "",
    "### Enrichment needed",
    "",
    ...(pkg.enrichment_needed.length ? pkg.enrichment_needed.map((item) => `- ${oneLine(item)}`) : ["- none named"]),
    "",
    `**Retry possible:** ${pkg.retry_possible ? "yes, once the enrichment is there" : "no — this goes to the human queue"}`,
    "",
    "### Partial assessment",
    "",
    pkg.partial_assessment.trim(),
    "",
  ];
}

const INDICATOR_LABELS: [keyof Indicators, string][] = [
  ["domains", "Domains"],
  ["ips", "IPs"],
  ["hashes", "Hashes"],
  ["urls", "URLs"],
  ["usernames", "Usernames"],
  ["hostnames", "Hostnames"],
  ["emails", "Email addresses"],
];

function indicatorLines(indicators: Indicators): string[] {
  const lines = INDICATOR_LABELS.filter(([key]) => indicators[key].length).map(
    ([key, label]) => `- **${label}:** ${indicators[key].map(code).join(", ")}`,
  );
  return lines.length ? lines : ["- none"];
}
