import { z } from "zod";
import { Priority, Severity, severityRank } from "../../core/index.js";
import { getCase } from "../../cases/index.js";
import { COMMENT_MAX_CHARS, ProposedActionKind, Urgency } from "./effects.js";
import { CaseIdArg, INVESTIGATORS, READERS, defineTool, stageOrApply } from "./define.js";
import { caseEntities, isCaseEntity, requireOwnCase } from "./scope.js";
import { ToolError, type ToolContext } from "./tool.js";

async function existingCase(ctx: ToolContext, caseId: string) {
  const id = requireOwnCase(ctx, caseId);
  const found = await getCase(ctx.db, id);
  if (!found) throw new ToolError("not_found", `no case ${caseId}`);
  return found;
}

export const addCaseCommentTool = defineTool({
  name: "add_case_comment",
  description:
    "Adds a Markdown comment to the case (on a crew run: only the run's own case; recorded with the run's decision). " +
    "For findings a human should read; the decision itself carries the verdict.",
  input: z.object({
    case_id: CaseIdArg,
    body: z.string().max(COMMENT_MAX_CHARS).refine((v) => v.trim().length > 0, "must not be blank").describe(`Markdown, at most ${COMMENT_MAX_CHARS} characters`),
  }),
  writes: true,
  agents: READERS,
  async run({ case_id, body }, ctx) {
    const current = await existingCase(ctx, case_id);
    const { staged, applied } = await stageOrApply(ctx, { kind: "comment", case_id: current.id, body });
    return { staged, applied: !staged, case_id: current.id, comment_id: applied?.kind === "comment" ? applied.comment_id : null };
  },
});

const CLOSURE_REFUSED = "closure goes through the decision and its guardrails: give your verdict in the final output";

export const updateCaseTool = defineTool({
  name: "update_case",
  description:
    "Changes the case's triage fields through the case workflow: priority, severity (raise only, on a crew run), tags to add, " +
    "status in_progress or on_hold. It never closes or resolves a case: closure goes through the decision and its guardrails.",
  input: z.object({
    case_id: CaseIdArg,
    priority: Priority.optional().describe("P1 immediate, P2 within shift, P3 next available, P4"),
    severity: Severity.optional().describe("New severity; on a crew run only higher than the current one"),
    add_tags: z.array(z.string().trim().min(1).max(64)).max(20).optional().describe("Tags to add"),
    status: z.enum(["in_progress", "on_hold", "resolved", "closed"]).optional().describe("in_progress or on_hold; resolved and closed are refused"),
    reason: z.string().trim().min(1).max(2000).describe("Why: recorded in the case's audit trail"),
  }),
  writes: true,
  agents: READERS,
  async run({ case_id, priority, severity, add_tags, status, reason }, ctx) {
    if (status === "closed" || status === "resolved") throw new ToolError("forbidden", CLOSURE_REFUSED);
    const current = await existingCase(ctx, case_id);
    if (severity !== undefined && ctx.caseId !== null && severityRank(severity) < severityRank(current.severity)) {
      throw new ToolError("forbidden", `severity may only be raised on a crew run (it is ${current.severity})`);
    }
    if (priority === undefined && severity === undefined && !add_tags?.length && status === undefined) {
      throw new ToolError("invalid_arguments", "give at least one of priority, severity, add_tags, status");
    }
    const changes = {
      ...(status !== undefined ? { status } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(severity !== undefined ? { severity } : {}),
      ...(add_tags?.length ? { add_tags } : {}),
    };
    const { staged, applied } = await stageOrApply(ctx, { kind: "update_case", case_id: current.id, changes, reason });
    return { staged, applied: !staged, case_id: current.id, changes, ...(applied?.kind === "update_case" ? { case: applied } : {}) };
  },
});

export const proposeActionTool = defineTool({
  name: "propose_action",
  description:
    "Proposes a response action for ARIA (isolate a host, disable an account, block an indicator…) on one of the case's own entities " +
    "(a host, user, address, domain, hash, URL or file its alerts name). A proposal is not executed here: ARIA's autonomy policy and " +
    "human approval decide.",
  input: z.object({
    case_id: CaseIdArg,
    action: ProposedActionKind.describe("The kind of action"),
    target: z.string().trim().min(1).max(2048).describe("What it acts on: one of the case's entities"),
    rationale: z.string().trim().min(1).max(4000).describe("Why, on what evidence; and what happens if not done"),
    urgency: Urgency.default("within_shift").describe("immediate | within_shift | next_available"),
  }),
  writes: true,
  agents: INVESTIGATORS,
  async run({ case_id, action, target, rationale, urgency }, ctx) {
    const current = await existingCase(ctx, case_id);
    const entities = await caseEntities(ctx.db, current.id);
    if (!entities || !isCaseEntity(entities, target)) {
      throw new ToolError("out_of_scope", `${target.slice(0, 200)} is not an entity of case ${current.id}; an action may only target the case's own hosts, users and indicators`);
    }
    const { staged, applied } = await stageOrApply(ctx, { kind: "propose_action", case_id: current.id, action, target, rationale, urgency });
    return { staged, applied: !staged, case_id: current.id, action, target, urgency, action_id: applied?.kind === "propose_action" ? applied.action_id : null };
  },
});
