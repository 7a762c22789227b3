import type { Selectable } from "kysely";
import {
  AttackTags,
  caseIdForTier,
  type Decision,
  type EscalationPackage,
  type Indicators,
  type InsufficientContextPackage,
  ToraOutput,
  VeraOutput,
} from "../core/index.js";
import type { CasesTable } from "../store/index.js";
import { formatPost, type PostFrontmatter } from "./frontmatter.js";
import { DEFAULT_REDACTION_POLICY, redact, type RedactionPolicy } from "./redact.js";
import { genericSummary, relativeLink, toraSummary, veraSummary } from "./summary.js";

/** The case columns a write-up needs; `tags` and `attack` are the JSON text of the row. */
export type CaseRow = Pick<
  Selectable<CasesTable>,
  "id" | "title" | "status" | "verdict" | "priority" | "severity" | "confidence" | "tags" | "attack"
>;

export interface RenderOptions {
  /** Shift id; defaults to the UTC date of the decision. */
  shift?: string;
  policy?: RedactionPolicy;
}

export interface RenderedPost {
  /** Relative to `$NIGHTSHIFT_HOME/journal`. */
  path: string;
  /** The short write-up read on shift (summary.ts), linking to the trace. */
  markdown: string;
  /** The full reasoning trace of the decision, one link from the post (`traces/<case>/<tier>-<agent>-<id8>.md`). */
  trace: { path: string; markdown: string };
}

/** The per-tier write-up of one decision, in the deciding agent's voice. */
export function renderDecisionPost(decision: Decision, caseRow: CaseRow, options: RenderOptions = {}): RenderedPost {
  const policy = options.policy ?? DEFAULT_REDACTION_POLICY;
  const r = (text: string) => redact(text, policy);
  const tora = decision.agent === "TORA" ? ToraOutput.safeParse(decision.output) : null;
  const vera = decision.agent === "VERA" ? VeraOutput.safeParse(decision.output) : null;
  const output = decision.output;

  let severity = tora?.success ? tora.data.severity : (stringField(output, "severity") ?? caseRow.severity);
  let priority = tora?.success ? tora.data.priority : (stringField(output, "priority") ?? caseRow.priority);
  let confidence = tora?.success ? tora.data.confidence : (numberField(output, "confidence") ?? caseRow.confidence);
  let rationale = tora?.success ? tora.data.rationale : (stringField(output, "rationale") ?? stringField(output, "narrative") ?? "");
  const subtype = tora?.success ? tora.data.nova_feed.alert_type : stringField(recordField(output, "nova_feed"), "alert_type");
  const extraTags: string[] = [];
  if (vera?.success) {
    const v = vera.data;
    severity = v.severity;
    // VERA gives no numeric confidence of its own: its root-cause confidence is a label (in the tags).
    confidence = null;
    priority = v.verdict === "ESCALATE_TO_ARIA" ? (URGENCY_PRIORITY[v.containment.urgency] ?? caseRow.priority) : caseRow.priority;
    rationale = `${v.root_cause.description} Hypothesis ${v.tora_hypothesis_resolution.status.toLowerCase()}, root cause ${v.root_cause_confidence.toLowerCase()}.`;
    extraTags.push(v.disposition, `root-cause-${v.root_cause_confidence.toLowerCase()}`, `hypothesis-${v.tora_hypothesis_resolution.status.toLowerCase()}`);
  }

  const frontmatter: PostFrontmatter = {
    author: decision.agent,
    tier: decision.tier,
    case_ids: [caseRow.id],
    shift: options.shift ?? utcDate(decision.created_at),
    pubDatetime: new Date(decision.created_at).toISOString(),
    title: r(`${caseIdForTier(caseRow.id, decision.agent)} — ${oneLine(caseRow.title)}`),
    description: r(describe(decision, { severity, priority, confidence, rationale })),
    tags: unique([...techniquesOf(caseRow), ...(subtype ? [r(oneLine(subtype))] : []), decision.verdict.toLowerCase(), ...extraTags]),
    disposition: decision.verdict,
    schema_version: decision.schema_version,
    priority: priority ?? null,
    severity: severity ?? null,
    confidence: confidence ?? null,
  };
  const links = { post: decisionPostPath(decision), trace: decisionTracePath(decision) };
  const trace = tora?.success
    ? toraBody(tora.data, decision)
    : vera?.success
      ? veraBody(vera.data, decision)
      : genericBody(decision, { severity, priority, confidence });
  const summary = tora?.success
    ? toraSummary(tora.data, links)
    : vera?.success
      ? veraSummary(vera.data, links)
      : genericSummary(decision, genericHead(decision, { severity, priority, confidence }), links);
  const back = `[← The write-up](${relativeLink(links.trace, links.post)})`;
  return {
    path: links.post,
    markdown: formatPost(frontmatter, r([summary, ...signature(decision)].join("\n"))),
    trace: {
      path: links.trace,
      markdown: formatPost({ ...frontmatter, title: r(`${frontmatter.title} — reasoning trace`) }, r([back, "", trace].join("\n"))),
    },
  };
}

export function decisionPostPath(decision: Pick<Decision, "id" | "case_id" | "tier" | "agent">): string {
  return `posts/${decisionFileName(decision)}`;
}

/** The decision's full reasoning trace, beside (not among) the posts. */
export function decisionTracePath(decision: Pick<Decision, "id" | "case_id" | "tier" | "agent">): string {
  return `traces/${decisionFileName(decision)}`;
}

function decisionFileName(decision: Pick<Decision, "id" | "case_id" | "tier" | "agent">): string {
  const short = safeSegment(decision.id.replace(/-/g, "").slice(0, 8));
  return `${safeSegment(decision.case_id)}/${decision.tier}-${safeSegment(decision.agent.toLowerCase())}-${short}.md`;
}

function toraBody(out: ToraOutput, decision: Decision): string {
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

const URGENCY_PRIORITY: Record<string, string> = { immediate: "P1", within_shift: "P2", next_available: "P3" };

const VERA_VERDICT_MEANING: Record<string, string> = {
  ESCALATE_TO_ARIA: "handed to ARIA for containment",
  HOLD: "on hold: a human must verify",
  CLOSED: "closed",
};

/** VERA's investigation write-up: the verdict, the root cause, then the evidence, timeline and containment. */
function veraBody(out: VeraOutput, decision: Decision): string {
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

/** A table cell from attacker-controlled text: one line, pipes escaped. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
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

type Facts = { severity: string | null | undefined; priority: string | null | undefined; confidence: number | null | undefined };

function genericHead(decision: Decision, summary: Facts): string {
  const facts = [
    summary.severity ? `severity **${summary.severity}**` : null,
    summary.priority ? `priority **${summary.priority}**` : null,
    summary.confidence != null ? `confidence **${summary.confidence}**` : null,
  ].filter(Boolean);
  return `**Verdict: ${decision.verdict}**${facts.length ? ` — ${facts.join(", ")}` : ""}.`;
}

/** Later tiers and unknown shapes: what can be read as prose, then the output itself. */
function genericBody(decision: Decision, summary: Facts): string {
  const output = decision.output;
  const lines = [genericHead(decision, summary), ""];
  const narrative = stringField(output, "narrative");
  if (narrative) lines.push(narrative.trim(), "");
  const rationale = stringField(output, "rationale");
  if (rationale && rationale !== narrative) lines.push("## Why", "", rationale.trim(), "");
  lines.push("## Output", "", fence(JSON.stringify(output, null, 2), "json"), "");
  lines.push(...signature(decision));
  return lines.join("\n");
}

function signature(decision: Decision): string[] {
  return [
    "---",
    "",
    `*${decision.agent}, tier ${decision.tier} · decision ${code(decision.id)} · analyst ${code(decision.analyst)} · ` +
      `schema v${decision.schema_version} · ${Math.round(decision.duration_ms)} ms*`,
  ];
}

const PRIORITY_MEANING: Record<string, string> = {
  P1: "immediate",
  P2: "within the shift",
  P3: "next available",
  P4: "when time allows",
};

function describe(
  decision: Decision,
  facts: { severity: string | null | undefined; priority: string | null | undefined; confidence: number | null | undefined; rationale: string },
): string {
  const parts = [
    facts.severity ? `${facts.severity} severity` : null,
    facts.priority ?? null,
    facts.confidence != null ? `confidence ${facts.confidence}` : null,
  ].filter(Boolean);
  const head = `${decision.agent}: ${decision.verdict}${parts.length ? ` (${parts.join(", ")})` : ""}`;
  const reason = firstSentence(facts.rationale);
  return truncate(reason ? `${head}. ${reason}` : `${head}.`, 280);
}

function techniquesOf(caseRow: CaseRow): string[] {
  const parsed = AttackTags.safeParse(safeJson(caseRow.attack));
  return parsed.success ? parsed.data.techniques : [];
}

function safeJson(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function recordField(value: unknown, key: string): Record<string, unknown> | undefined {
  const field = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return field && typeof field === "object" && !Array.isArray(field) ? (field as Record<string, unknown>) : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const field = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return typeof field === "string" && field.trim() ? field : undefined;
}

function numberField(value: unknown, key: string): number | undefined {
  const field = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return typeof field === "number" && Number.isFinite(field) ? field : undefined;
}

export function utcDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function firstSentence(text: string): string {
  const line = oneLine(text);
  const match = /^(.+?[.!?])(?:\s|$)/.exec(line);
  return match ? match[1]! : line;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

/** An inline code span that survives backticks in the value (alert content is attacker-controlled). */
export function code(value: string): string {
  const text = oneLine(value);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

export function fence(text: string, lang = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/^ {0,3}(`{3,})/gm)].map((m) => m[1]!.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

/** A path segment that cannot climb out of its folder. */
export function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return cleaned || "_";
}
