import { z } from "zod";
import { Alert, type Decision } from "../../core/index.js";
import { getCase, listCaseAlertRows, listComments } from "../../cases/index.js";
import { fromJson } from "../../store/index.js";
import { CaseIdArg, READERS, defineTool } from "./define.js";
import { canonicalCaseId } from "./scope.js";
import { ToolError } from "./tool.js";

/** What a decision says in a few fields; the whole output stays in the decisions table. */
function decisionSummary(row: { id: string; agent: string; tier: number; verdict: string; analyst: string; created_at: string; output: string }) {
  const output = fromJson<Record<string, unknown>>(row.output, {});
  const pick = (key: string) => (key in output ? output[key] : undefined);
  const escalation = pick("escalation_package") as Record<string, unknown> | null | undefined;
  return {
    decision_id: row.id,
    agent: row.agent as Decision["agent"],
    tier: Number(row.tier),
    verdict: row.verdict,
    analyst: row.analyst,
    created_at: row.created_at,
    severity: pick("severity"),
    confidence: pick("confidence"),
    priority: pick("priority"),
    rationale: pick("rationale"),
    narrative: pick("narrative"),
    forced_escalation: pick("forced_escalation"),
    hypothesis: escalation?.hypothesis ?? undefined,
    suggested_focus: escalation?.suggested_focus ?? undefined,
    root_cause_confidence: pick("root_cause_confidence"),
    tora_hypothesis_resolution: pick("tora_hypothesis_resolution"),
  };
}

export const getCaseTool = defineTool({
  name: "get_case",
  description:
    "One case: status, verdict, severity, priority, tags, observables; a summary of each of its alerts (use get_alert for one in full); " +
    "its comments; a summary of each TORA/VERA decision; and the response actions proposed on it.",
  input: z.object({ case_id: CaseIdArg }),
  writes: false,
  agents: READERS,
  async run({ case_id }, ctx) {
    const id = canonicalCaseId(case_id);
    const found = await getCase(ctx.db, id);
    if (!found) throw new ToolError("not_found", `no case ${case_id}`);
    const alertRows = await listCaseAlertRows(ctx.db, id);
    const alerts = alertRows.map((row) => {
      const parsed = Alert.safeParse(fromJson(row.doc, null));
      if (!parsed.success) return { alert_id: row.id };
      const a = parsed.data;
      return {
        alert_id: a.id,
        time: a.time,
        title: a.title,
        severity: a.severity,
        source: a.source,
        rule: a.rule ? { id: a.rule.id, title: a.rule.title } : null,
        subtype: a.subtype ?? null,
        host: a.host?.name ?? a.host?.ip[0] ?? null,
        user: a.user?.name ?? null,
        src_ip: a.src?.ip ?? null,
        dst: a.dst?.domain ?? a.dst?.hostname ?? a.dst?.ip ?? null,
        techniques: a.attack.techniques,
      };
    });
    const comments = (await listComments(ctx.db, id)).map((c) => ({ author: c.author, body: c.body, created_at: c.created_at }));
    const decisionRows = await ctx.db
      .selectFrom("decisions")
      .select(["id", "agent", "tier", "verdict", "analyst", "created_at", "output"])
      .where("case_id", "=", id)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    const actions = await ctx.db
      .selectFrom("proposed_actions")
      .select(["id", "action", "target", "status", "proposed_by", "created_at"])
      .where("case_id", "=", id)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    const { alert_ids: _ids, ...rest } = found;
    return { case: rest, alerts, comments, decisions: decisionRows.map(decisionSummary), proposed_actions: actions };
  },
});
