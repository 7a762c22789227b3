import { z } from "zod";
import { getCase, outcomeOf, sameRuleCaseIds, similarCases } from "../../cases/index.js";
import type { CaseStatus } from "../../core/index.js";
import { CaseIdArg, READERS, defineTool } from "./define.js";
import { canonicalCaseId } from "./scope.js";
import { ToolError } from "./tool.js";

const DAY_MS = 86_400_000;

export const similarCasesTool = defineTool({
  name: "similar_cases",
  description:
    "Other cases like this one within a window of its creation: sharing indicators, hosts or users (weighted: a shared hash counts " +
    "more than a shared host) or raised by the same rule, best first, with how each was disposed (status, verdict, crew verdict).",
  input: z.object({
    case_id: CaseIdArg,
    window_days: z.number().int().min(1).max(365).default(30).describe("Days before and after this case's creation (default 30)"),
    limit: z.number().int().min(1).max(50).default(10).describe("At most this many cases (default 10)"),
  }),
  writes: false,
  agents: READERS,
  async run({ case_id, window_days, limit }, ctx) {
    const id = canonicalCaseId(case_id);
    const current = await getCase(ctx.db, id);
    if (!current) throw new ToolError("not_found", `no case ${case_id}`);
    const anchor = Date.parse(current.created_at);
    const from = new Date(anchor - window_days * DAY_MS).toISOString();
    const to = new Date(anchor + window_days * DAY_MS).toISOString();

    const shared = new Map((await similarCases(ctx.db, id, 100)).map((s) => [s.case_id, s]));
    const sameRule = current.rule_id
      ? await sameRuleCaseIds(ctx.db, current.rule_id, id, from, to).execute()
      : [];
    const ids = [...new Set([...shared.keys(), ...sameRule.map((r) => r.id)])];
    if (ids.length === 0) return { case_id: id, window_days, cases: [] };
    const rows = await ctx.db
      .selectFrom("cases")
      .select(["id", "title", "status", "verdict", "crew_verdict", "rule_id", "severity", "priority", "suppression_id", "created_at"])
      .where("id", "in", ids)
      .where("created_at", ">=", from)
      .where("created_at", "<=", to)
      .execute();
    const rule = new Set(sameRule.map((r) => r.id));
    const cases = rows
      .map((row) => {
        const s = shared.get(row.id);
        return {
          case_id: row.id,
          title: row.title,
          created_at: row.created_at,
          status: row.status,
          outcome: outcomeOf(row.status as CaseStatus, row.suppression_id),
          verdict: row.verdict,
          crew_verdict: row.crew_verdict,
          severity: row.severity,
          priority: row.priority,
          rule_id: row.rule_id,
          same_rule: rule.has(row.id),
          shared: s?.shared ?? [],
          score: (s?.score ?? 0) + (rule.has(row.id) ? 2 : 0),
        };
      })
      .sort((a, b) => b.score - a.score || b.created_at.localeCompare(a.created_at) || a.case_id.localeCompare(b.case_id))
      .slice(0, limit);
    return { case_id: id, window_days, cases };
  },
});
