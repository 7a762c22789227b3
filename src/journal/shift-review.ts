import path from "node:path";
import { z } from "zod";
import { type Clock, CREW_SCHEMA_VERSION, issuesOf, PRIORITIES, SEVERITIES, ToraOutput, ValidationError } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { formatPost, type PostFrontmatter } from "./frontmatter.js";
import { code, oneLine, safeSegment, type CaseRow } from "./post.js";
import { DEFAULT_REDACTION_POLICY, redact, type RedactionPolicy } from "./redact.js";
import { journalDir, writeFileAtomic } from "./writer.js";
import { groupBy } from "./group-by.js";

const IsoInstant = z
  .string()
  .min(1)
  .refine((value) => !Number.isNaN(new Date(value).getTime()), "an ISO-8601 date-time")
  .transform((value) => new Date(value).toISOString());

export const ShiftWindow = z
  .object({
    shift: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a shift id of letters, digits, '.', '_' or '-'"),
    from: IsoInstant,
    to: IsoInstant,
  })
  .refine((window) => window.from < window.to, { path: ["to"], message: "the shift must end after it starts" });

export interface ShiftReviewOptions {
  shift: string;
  from: string;
  to: string;
  clock: Clock;
  policy?: RedactionPolicy;
}

interface Triaged {
  caseId: string;
  title: string;
  status: string;
  verdict: string;
  durationMs: number;
  output: ToraOutput | null;
}

/** TORA's end-of-shift post, computed from its decisions in [from, to); returns its absolute path. */
export async function writeShiftReview(ex: Executor, home: string, options: ShiftReviewOptions): Promise<string> {
  const window = ShiftWindow.safeParse({ shift: options.shift, from: options.from, to: options.to });
  if (!window.success) throw new ValidationError("invalid shift window", issuesOf(window.error));
  const { shift, from, to } = window.data;

  const decisions = await ex
    .selectFrom("decisions")
    .selectAll()
    .where("agent", "=", "TORA")
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  // A case triaged twice in a shift (a retry after enrichment) counts once, by its last decision.
  const latest = new Map<string, (typeof decisions)[number]>();
  for (const decision of decisions) latest.set(decision.case_id, decision);

  const cases = new Map<string, Pick<CaseRow, "id" | "title" | "status">>();
  const caseIds = [...latest.keys()];
  for (let i = 0; i < caseIds.length; i += 500) {
    const rows = await ex
      .selectFrom("cases")
      .select(["id", "title", "status"])
      .where("id", "in", caseIds.slice(i, i + 500))
      .execute();
    for (const row of rows) cases.set(row.id, row);
  }

  const triaged: Triaged[] = [...latest.values()].map((decision) => {
    const parsed = ToraOutput.safeParse(fromJson(decision.output, {}));
    const caseRow = cases.get(decision.case_id);
    return {
      caseId: decision.case_id,
      title: caseRow?.title ?? "(case not found)",
      status: caseRow?.status ?? "unknown",
      verdict: decision.verdict,
      durationMs: decision.duration_ms,
      output: parsed.success ? parsed.data : null,
    };
  });

  const policy = options.policy ?? DEFAULT_REDACTION_POLICY;
  const counts = countBy(triaged, (t) => t.verdict);
  const frontmatter: PostFrontmatter = {
    author: "TORA",
    tier: 1,
    case_ids: caseIds.sort(),
    shift,
    pubDatetime: options.clock.now().toISOString(),
    title: `TORA shift review — ${shift}`,
    description:
      `${triaged.length} case${triaged.length === 1 ? "" : "s"} triaged: ${counts.get("CLOSED") ?? 0} closed, ` +
      `${counts.get("ESCALATED") ?? 0} escalated, ${counts.get("INSUFFICIENT_CONTEXT") ?? 0} insufficient context.`,
    tags: ["shift-review"],
    disposition: "SHIFT_REVIEW",
    schema_version: CREW_SCHEMA_VERSION,
    priority: null,
    severity: null,
    confidence: null,
  };
  const body = shiftReviewBody(triaged, { shift, from, to });
  const file = path.join(journalDir(home), "posts", "shifts", safeSegment(shift), "1-tora-shift-review.md");
  await writeFileAtomic(file, formatPost(frontmatter, redact(body, policy)));
  return file;
}

function shiftReviewBody(triaged: Triaged[], window: { shift: string; from: string; to: string }): string {
  const lines: string[] = [];
  const total = triaged.length;
  if (total === 0) {
    lines.push(`A quiet shift: no case reached me between ${window.from} and ${window.to}.`);
    return lines.join("\n");
  }
  const byVerdict = countBy(triaged, (t) => t.verdict);
  const detailed = triaged.filter((t): t is Triaged & { output: ToraOutput } => t.output !== null);
  const closed = byVerdict.get("CLOSED") ?? 0;
  const escalated = byVerdict.get("ESCALATED") ?? 0;
  const insufficient = byVerdict.get("INSUFFICIENT_CONTEXT") ?? 0;

  lines.push(
    `Shift ${code(window.shift)}, from ${window.from} to ${window.to}. I triaged ${total} case${total === 1 ? "" : "s"}: ` +
      `${closed} closed, ${escalated} escalated to VERA, ${insufficient} stuck on insufficient context.`,
    "",
    "## Queue overview",
    "",
    "| verdict | cases | share |",
    "| --- | ---: | ---: |",
    ...[...byVerdict.entries()].sort((a, b) => b[1] - a[1]).map(([verdict, n]) => `| ${cell(verdict)} | ${n} | ${percent(n, total)} |`),
    "",
  );
  if (detailed.length) {
    const priorities = countBy(detailed, (t) => t.output.priority);
    const severities = countBy(detailed, (t) => t.output.severity);
    const forced = detailed.filter((t) => t.output.forced_escalation.triggered).length;
    const meanConfidence = detailed.reduce((sum, t) => sum + t.output.confidence, 0) / detailed.length;
    lines.push(
      `- By priority: ${PRIORITIES.filter((p) => priorities.has(p)).map((p) => `${p} ${priorities.get(p)}`).join(", ") || "none"}`,
      `- By severity: ${[...SEVERITIES].reverse().filter((s) => severities.has(s)).map((s) => `${s} ${severities.get(s)}`).join(", ")}`,
      `- Forced escalation rules fired on ${forced} case${forced === 1 ? "" : "s"}${forcedRuleSummary(detailed)}`,
      `- Mean confidence ${Math.round(meanConfidence)}; mean decision time ${Math.round(mean(triaged.map((t) => t.durationMs)))} ms`,
      "",
    );
  }

  lines.push("## Cases worth noting", "");
  const notable = detailed
    .filter(
      (t) =>
        t.output.verdict === "ESCALATED" ||
        t.output.forced_escalation.triggered ||
        t.output.priority === "P1" ||
        t.output.severity === "high" ||
        t.output.severity === "critical",
    )
    .sort(byUrgency)
    .slice(0, 10);
  if (notable.length) {
    for (const t of notable) {
      const rules = t.output.forced_escalation.rules.map((rule) => code(rule.id)).join(", ");
      lines.push(
        `- ${code(t.caseId)} ${t.output.priority} · ${t.output.severity} · ${t.output.verdict} — ${oneLine(t.title)}. ` +
          `${truncate(oneLine(t.output.escalation_package?.hypothesis ?? t.output.rationale), 240)}` +
          (rules ? ` Forced: ${rules}.` : ""),
      );
    }
  } else {
    lines.push("Nothing stood out: no escalation, no forced rule, nothing above medium severity.");
  }
  lines.push("");

  lines.push("## Where I got stuck", "");
  const stuck = detailed.filter((t) => t.output.insufficient_context_package);
  if (stuck.length || insufficient) {
    lines.push(
      `${insufficient} case${insufficient === 1 ? "" : "s"} went back to enrichment and the human queue instead of VERA.`,
      "",
    );
    for (const t of stuck.sort(byUrgency).slice(0, 10)) {
      const pkg = t.output.insufficient_context_package!;
      lines.push(`- ${code(t.caseId)} — ${oneLine(pkg.blocking_reason)} (blocking: ${pkg.blocking_fields.map(code).join(", ") || "none named"})`);
    }
    lines.push("");
  } else {
    lines.push("I never had to stop for lack of context this shift.", "");
  }
  const blocking = countBy(
    stuck.flatMap((t) => t.output.insufficient_context_package!.blocking_fields),
    (field) => field,
  );
  const missing = countBy(
    detailed.flatMap((t) => t.output.nova_feed.missing_fields),
    (field) => field,
  );
  const fields = [...new Set([...blocking.keys(), ...missing.keys()])]
    .sort((a, b) => (blocking.get(b) ?? 0) - (blocking.get(a) ?? 0) || (missing.get(b) ?? 0) - (missing.get(a) ?? 0) || a.localeCompare(b))
    .slice(0, 10);
  if (fields.length) {
    lines.push(
      "Most common missing fields:",
      "",
      "| field | blocked a decision | missing from a case |",
      "| --- | ---: | ---: |",
      ...fields.map((field) => `| ${cell(code(field))} | ${blocking.get(field) ?? 0} | ${missing.get(field) ?? 0} |`),
      "",
    );
  }

  lines.push("## Signal vs noise", "");
  const noise = detailed.filter((t) => t.output.verdict === "CLOSED").length;
  const likelyFp = detailed.filter((t) => t.output.false_positive_assessment.likely_false_positive).length;
  lines.push(
    `${closed} of ${total} (${percent(closed, total)}) were closed as noise or benign activity, ${escalated} (${percent(escalated, total)}) ` +
      `carried signal worth VERA's time. I judged ${likelyFp} likely false positive${likelyFp === 1 ? "" : "s"}.`,
    "",
  );
  if (detailed.length) {
    const types = groupBy(detailed, (t) => t.output.nova_feed.alert_type);
    lines.push(
      "| alert type | cases | closed | escalated | insufficient | suppression candidates |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      ...[...types.entries()]
        .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
        .map(([type, group]) => {
          const n = (verdict: string) => group.filter((t) => t.output.verdict === verdict).length;
          const candidates = group.filter((t) => t.output.nova_feed.suppression_candidate).length;
          return `| ${cell(code(type))} | ${group.length} | ${n("CLOSED")} | ${n("ESCALATED")} | ${n("INSUFFICIENT_CONTEXT")} | ${candidates} |`;
        }),
      "",
    );
    const candidates = [...types.entries()].filter(([, group]) => group.some((t) => t.output.nova_feed.suppression_candidate));
    if (candidates.length)
      lines.push(
        `Suppression candidates for a human to review: ${candidates.map(([type]) => code(type)).join(", ")}.`,
        "",
      );
    if (noise === 0) lines.push("Nothing was closed outright: every case needed another look.", "");
  }

  lines.push("## For VERA and ARIA", "");
  const handoffs = detailed.filter((t) => t.output.escalation_package).sort(byUrgency);
  if (handoffs.length) {
    const p1 = handoffs.filter((t) => t.output.priority === "P1").length;
    lines.push(
      `${handoffs.length} escalation${handoffs.length === 1 ? "" : "s"} handed over${p1 ? `, ${p1} of them P1 (immediate)` : ""}, most urgent first:`,
      "",
    );
    for (const t of handoffs) {
      const pkg = t.output.escalation_package!;
      const focus = pkg.suggested_focus[0] ? ` First look at: ${oneLine(pkg.suggested_focus[0])}` : "";
      lines.push(`1. ${code(t.caseId)} ${pkg.priority} · ${t.output.severity} (status ${t.status}) — ${truncate(oneLine(pkg.hypothesis), 240)}${focus}`);
    }
    lines.push("");
  } else {
    lines.push("No escalations this shift: nothing is waiting for VERA or ARIA from me.", "");
  }
  if (detailed.length < total)
    lines.push(`${total - detailed.length} decision${total - detailed.length === 1 ? "" : "s"} did not match the current output schema and are counted by verdict only.`, "");
  return lines.join("\n");
}

function forcedRuleSummary(detailed: { output: ToraOutput }[]): string {
  const rules = countBy(
    detailed.flatMap((t) => t.output.forced_escalation.rules.map((rule) => rule.id)),
    (id) => id,
  );
  if (!rules.size) return ".";
  const top = [...rules.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
  return ` (${top.map(([id, n]) => `${code(id)} ×${n}`).join(", ")}).`;
}

function byUrgency(a: Triaged & { output: ToraOutput }, b: Triaged & { output: ToraOutput }): number {
  return (
    PRIORITIES.indexOf(a.output.priority) - PRIORITIES.indexOf(b.output.priority) ||
    SEVERITIES.indexOf(b.output.severity) - SEVERITIES.indexOf(a.output.severity) ||
    Number(b.output.forced_escalation.triggered) - Number(a.output.forced_escalation.triggered) ||
    b.output.confidence - a.output.confidence ||
    a.caseId.localeCompare(b.caseId)
  );
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function mean(values: number[]): number {
  return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : 0;
}

function percent(n: number, total: number): string {
  return total ? `${Math.round((100 * n) / total)}%` : "0%";
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}
