import { errorResult, fitResult } from "../tools/budget.js";
import { ToolError, type ToolContext, type ToolDefinition, type ToolResult } from "../tools/tool.js";

/**
 * How the runtime executes one offered tool: the spec's own definition (replay offers recorded tools
 * under the real names), arguments through its zod schema, and every result through the tools' one
 * budget function `fitResult`, so no result enters the context above `ctx.budget.maxTokens`.
 */
export type ToolExecutor = (def: ToolDefinition, rawArgs: unknown, ctx: ToolContext) => Promise<ToolResult>;

export const defaultToolExecutor: ToolExecutor = async (def, rawArgs, ctx) => {
  const parsed = def.input.safeParse(rawArgs);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
    return errorResult("invalid_arguments", issues, ctx.budget);
  }
  if (def.writes && ctx.caller.role === "viewer") return errorResult("forbidden", `${def.name} changes state: the ${ctx.caller.role} role may not call it`, ctx.budget);
  try {
    return fitResult(def.name, await def.run(parsed.data, ctx), ctx);
  } catch (error) {
    if (error instanceof ToolError) return errorResult(error.code, error.message, ctx.budget);
    return errorResult("failed", error instanceof Error ? error.message : String(error), ctx.budget);
  }
};
