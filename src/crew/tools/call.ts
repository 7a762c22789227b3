import { ConflictError, NotFoundError, ValidationError, issuesOf } from "../../core/index.js";
import { errorResult, fitResult } from "./budget.js";
import { toolByName } from "./registry.js";
import { requireOwnCase } from "./scope.js";
import { ToolError, type ToolContext, type ToolDefinition, type ToolResult } from "./tool.js";

function formatIssues(issues: { path: string; message: string }[]): string {
  return issues
    .slice(0, 8)
    .map((i) => `${i.path || "(arguments)"}: ${i.message}`)
    .join("; ");
}

/**
 * Calls one tool by name with the arguments a model (or an MCP client) sent. Never throws for what the
 * caller did: unknown tool, bad arguments, a role or scope refusal, a failing tool all come back as short
 * error results. Every successful result passes through the budget function.
 */
export async function callTool(name: string, rawArgs: unknown, ctx: ToolContext, tools?: readonly ToolDefinition[]): Promise<ToolResult> {
  const def = tools ? tools.find((t) => t.name === name) : toolByName(name);
  if (!def) return errorResult("unknown_tool", `no tool named ${JSON.stringify(String(name).slice(0, 80))}`, ctx.budget);
  if (ctx.caller.agent && !def.agents.includes(ctx.caller.agent)) {
    return errorResult("unknown_tool", `${def.name} is not one of ${ctx.caller.agent}'s tools`, ctx.budget);
  }
  if (def.writes && ctx.caller.role === "viewer") {
    return errorResult("forbidden", `${def.name} changes state and needs the analyst role`, ctx.budget);
  }
  const parsed = def.input.safeParse(rawArgs ?? {});
  if (!parsed.success) return errorResult("invalid_arguments", formatIssues(issuesOf(parsed.error)), ctx.budget);
  try {
    if (def.writes) {
      const caseId = (parsed.data as { case_id?: unknown }).case_id;
      if (typeof caseId === "string") requireOwnCase(ctx, caseId);
    }
    const value = await def.run(parsed.data, ctx);
    return fitResult(def.name, value, ctx);
  } catch (error) {
    if (error instanceof ToolError) return errorResult(error.code, error.message, ctx.budget);
    if (error instanceof ValidationError) return errorResult("invalid_arguments", `${error.message}: ${formatIssues(error.issues)}`, ctx.budget);
    if (error instanceof NotFoundError) return errorResult("not_found", error.message, ctx.budget);
    if (error instanceof ConflictError) return errorResult("forbidden", error.message, ctx.budget);
    return errorResult("failed", `${def.name} failed: ${error instanceof Error ? error.message : String(error)}`, ctx.budget);
  }
}
