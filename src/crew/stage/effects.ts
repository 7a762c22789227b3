import { appendAudit } from "../../cases/index.js";
import { ConflictError, NotFoundError, ValidationError, type Actor, type AgentName, type Clock } from "../../core/index.js";
import type { Executor } from "../../store/index.js";
import { applyEffects } from "../tools/effects.js";
import type { StagedEffect } from "../tools/tool.js";

/** tools/effects.ts `applyEffects` (injectable so that tests can watch or fail it). */
export type ApplyEffects = (trx: Executor, effects: StagedEffect[], actor: { name: string; kind: "agent" | "human" }, clock: Clock, options: { runId?: string | null }) => Promise<unknown>;

export interface RefusedEffect {
  effect: StagedEffect;
  reason: string;
}

/**
 * What of a run's staged writes may be applied, checked in code at commit whatever the tools checked at
 * call time: only the run's own case; shift memory only the run's agent's. The decision owns the case's
 * status, priority and severity (they went through the guardrails), so a staged update_case contributes
 * its tags only, and a status, priority or severity change in it is refused.
 */
export function screenEffects(effects: StagedEffect[], caseId: string, agent: AgentName): { accepted: StagedEffect[]; refused: RefusedEffect[] } {
  const accepted: StagedEffect[] = [];
  const refused: RefusedEffect[] = [];
  for (const effect of effects) {
    if (effect.kind === "memory_write") {
      if (effect.agent !== agent) refused.push({ effect, reason: `shift memory of ${effect.agent} is not ${agent}'s` });
      else if (effect.case_id !== null && effect.case_id !== caseId) refused.push({ effect, reason: `case ${effect.case_id} is not this run's case ${caseId}` });
      else accepted.push(effect);
      continue;
    }
    if (effect.case_id !== caseId) {
      refused.push({ effect, reason: `case ${effect.case_id} is not this run's case ${caseId}` });
      continue;
    }
    if (effect.kind === "update_case") {
      const owned = (["status", "priority", "severity"] as const).filter((field) => effect.changes[field] !== undefined);
      if (owned.length) refused.push({ effect, reason: `${owned.join(", ")} ${owned.length > 1 ? "are" : "is"} set by the decision and its guardrails` });
      if (effect.changes.add_tags?.length) accepted.push({ ...effect, changes: { add_tags: effect.changes.add_tags } });
      continue;
    }
    accepted.push(effect);
  }
  return { accepted, refused };
}

/**
 * Screens, audits what was refused, and applies the rest through `apply`, in the caller's transaction. The
 * effects are all or nothing: when `apply` rejects them (it validates before its first write) none is
 * written, the rejection is audited, and the decision they came with stands.
 */
export async function commitStagedEffects(
  trx: Executor,
  options: { effects: StagedEffect[]; caseId: string; agent: AgentName; actor: Actor; runId: string; clock: Clock; apply?: ApplyEffects },
): Promise<{ applied: number; refused: RefusedEffect[] }> {
  const { accepted, refused } = screenEffects(options.effects, options.caseId, options.agent);
  for (const r of refused)
    await appendAudit(
      trx,
      { actor: options.actor, action: "crew.effect_refused", caseId: options.caseId, data: { run_id: options.runId, kind: r.effect.kind, target_case_id: "case_id" in r.effect ? r.effect.case_id : null, reason: r.reason } },
      options.clock,
    );
  if (accepted.length === 0) return { applied: 0, refused };
  try {
    await (options.apply ?? applyEffects)(trx, accepted, { name: options.actor.name, kind: "agent" }, options.clock, { runId: options.runId });
  } catch (error) {
    if (!(error instanceof ValidationError || error instanceof ConflictError || error instanceof NotFoundError)) throw error;
    const issues = error instanceof ValidationError ? error.issues : [];
    await appendAudit(
      trx,
      { actor: options.actor, action: "crew.effects_rejected", caseId: options.caseId, data: { run_id: options.runId, count: accepted.length, kinds: accepted.map((e) => e.kind), message: error.message, issues } },
      options.clock,
    );
    return { applied: 0, refused: [...refused, ...accepted.map((effect) => ({ effect, reason: error.message }))] };
  }
  return { applied: accepted.length, refused };
}
