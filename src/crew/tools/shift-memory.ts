import { z } from "zod";
import { AgentName } from "../../core/index.js";
import { fromJson } from "../../store/index.js";
import { MEMORY_VALUE_MAX_BYTES } from "./effects.js";
import { READERS, defineTool, stageOrApply } from "./define.js";
import { canonicalCaseId, requireOwnCase } from "./scope.js";
import { ToolError, type ToolContext } from "./tool.js";

/** A crew agent reads and writes its own memory; an outside caller (MCP) names the agent. */
function agentOf(ctx: ToolContext, asked: AgentName | undefined): AgentName {
  if (ctx.caller.agent) {
    if (asked !== undefined && asked !== ctx.caller.agent) throw new ToolError("forbidden", `${ctx.caller.agent} reads and writes only its own shift memory`);
    return ctx.caller.agent;
  }
  if (asked === undefined) throw new ToolError("invalid_arguments", "agent: name the agent whose shift memory this is");
  return asked;
}

export const readShiftMemoryTool = defineTool({
  name: "read_shift_memory",
  description:
    "This shift's memory of the agent: notes it kept earlier today (patterns seen, indicator repeats, shift posture), key → value, " +
    "with the case each came from and when. Give key for one entry.",
  input: z.object({
    key: z.string().trim().min(1).max(128).optional().describe("One key; all entries when left out"),
    agent: AgentName.optional().describe("Whose memory (outside callers only; a crew agent reads its own)"),
  }),
  writes: false,
  agents: READERS,
  async run({ key, agent }, ctx) {
    const who = agentOf(ctx, agent);
    let query = ctx.db.selectFrom("shift_memory").selectAll().where("agent", "=", who).where("shift", "=", ctx.shift);
    if (key !== undefined) query = query.where("key", "=", key);
    const rows = await query.orderBy("key").execute();
    return {
      agent: who,
      shift: ctx.shift,
      entries: rows.map((r) => ({ key: r.key, value: fromJson<unknown>(r.value, null), case_id: r.case_id, updated_at: r.updated_at })),
    };
  },
});

export const writeShiftMemoryTool = defineTool({
  name: "write_shift_memory",
  description:
    `Keeps a note in this shift's memory under a key (replacing what the key held): a JSON value of at most ${MEMORY_VALUE_MAX_BYTES} bytes. ` +
    "For what later cases of the shift should know; it is reset each shift.",
  input: z.object({
    key: z.string().trim().min(1).max(128).describe("A short key, e.g. repeat:c2.example"),
    value: z.unknown().refine((v) => v !== undefined, "a value is required").describe("Any JSON value"),
    case_id: z.string().trim().min(1).max(64).optional().describe("The case the note comes from (default: the run's case)"),
    agent: AgentName.optional().describe("Whose memory (outside callers only)"),
  }),
  writes: true,
  agents: READERS,
  async run({ key, value, case_id, agent }, ctx) {
    const who = agentOf(ctx, agent);
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
    if (bytes > MEMORY_VALUE_MAX_BYTES) throw new ToolError("invalid_arguments", `value: ${bytes} bytes of JSON; at most ${MEMORY_VALUE_MAX_BYTES}`);
    const caseId = case_id !== undefined ? requireOwnCase(ctx, case_id) : ctx.caseId !== null ? canonicalCaseId(ctx.caseId) : null;
    if (caseId !== null) {
      const found = await ctx.db.selectFrom("cases").select("id").where("id", "=", caseId).executeTakeFirst();
      if (!found) throw new ToolError("not_found", `no case ${caseId}`);
    }
    const { staged } = await stageOrApply(ctx, { kind: "memory_write", agent: who, shift: ctx.shift, key, value, case_id: caseId });
    return { staged, applied: !staged, agent: who, shift: ctx.shift, key, bytes };
  },
});
