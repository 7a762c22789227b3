import type { Selectable } from "kysely";
import {
  AttackTags,
  caseIdForTier,
  type Decision,
  ToraOutput,
  VeraOutput,
} from "../core/index.js";
import type { CasesTable } from "../store/index.js";
import { formatPost, type PostFrontmatter } from "./frontmatter.js";
import { DEFAULT_REDACTION_POLICY, redact, type RedactionPolicy } from "./redact.js";
import { genericSummary, relativeLink, toraSummary, veraSummary } from "./summary.js";
import { fence, firstSentence, oneLine, safeSegment, signature, truncate, unique, utcDate } from "./markdown.js";
import { toraBody } from "./posts/tora.js";
import { URGENCY_PRIORITY, veraBody } from "./posts/vera.js";

export { code, fence, oneLine, safeSegment, utcDate } from "./markdown.js";

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
