import type { AgentName, Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import type { RunAgentOptions } from "../runtime/types.js";
import { createResultStore } from "../tools/results.js";
import type { ResultStore, StagedEffect } from "../tools/tool.js";

/** The shift a run belongs to: its UTC day (shift memory is keyed by it). */
export function shiftOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A crew run's tool context: reads through `db`, writes staged for the commit, scoped to the run's case. */
export function crewToolContext(db: Db, clock: Clock, agent: AgentName, caseId: string, options: { results?: ResultStore } = {}): RunAgentOptions["toolContext"] & { staged: StagedEffect[] } {
  return {
    db,
    clock,
    caller: { agent, name: agent, role: "analyst" },
    caseId,
    shift: shiftOf(clock.now()),
    effects: "stage",
    staged: [],
    results: options.results ?? createResultStore({ now: () => clock.now().toISOString() }),
  };
}
