import { z } from "zod";
import type { AgentName } from "../../core/index.js";
import { applyEffects, type AppliedEffect, type EffectActor } from "./effects.js";
import type { StagedEffect, ToolContext, ToolDefinition } from "./tool.js";

/** Keeps each tool's argument type from its own schema while the registry holds them all alike. */
export function defineTool<I extends z.ZodType>(definition: ToolDefinition<I>): ToolDefinition<I> {
  return definition;
}

export const READERS: readonly AgentName[] = ["TORA", "VERA"];
export const INVESTIGATORS: readonly AgentName[] = ["VERA"];

export const CaseIdArg = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .describe("Case id, e.g. TORA-20261124-0007 (the VERA-… form of the same case is accepted)");

export function actorOf(ctx: Pick<ToolContext, "caller">): EffectActor {
  return { name: ctx.caller.name, kind: ctx.caller.agent ? "agent" : "human" };
}

/**
 * A write: on a crew run it is staged (applied with the decision, through the guardrails, or not at all);
 * over MCP it is applied at once in its own transaction.
 */
export async function stageOrApply(ctx: ToolContext, effect: StagedEffect): Promise<{ staged: boolean; applied: AppliedEffect | null }> {
  if (ctx.effects === "stage") {
    ctx.staged.push(effect);
    return { staged: true, applied: null };
  }
  const [applied] = await ctx.db.transaction().execute((trx) => applyEffects(trx, [effect], actorOf(ctx), ctx.clock));
  return { staged: false, applied: applied ?? null };
}
