import { newId, type AgentName, type AgentRun, type Clock, type RunFailure, type TraceEntry } from "../../core/index.js";
import type { Db, Executor } from "../../store/index.js";
import { emptyUsage } from "../runs/store.js";
import { requestCap } from "../runtime/tokens.js";
import type { AgentOutcome, AgentRunInput, AgentSpec, ModelSettings, RunAgentOptions } from "../runtime/types.js";
import type { ResultStore, StagedEffect } from "../tools/tool.js";
import { crewToolContext } from "./context.js";

/** runtime/agent.ts `runAgent`, injected so that the stage runs against fakes in tests. */
export type RunAgent = <O>(spec: AgentSpec<O>, options: RunAgentOptions) => Promise<AgentOutcome<O>>;
/** runs/store.ts `saveRun`. */
export type SaveRun = (ex: Executor, run: AgentRun, input: Record<string, unknown>, trace: TraceEntry[]) => Promise<void>;

export interface CrewRun<O> {
  runId: string;
  outcome: AgentOutcome<O>;
  /** What replay needs (the runtime's own record; rebuilt from the spec when the runtime threw). */
  input: AgentRunInput;
  startedAt: Date;
  finishedAt: Date;
  staged: StagedEffect[];
}

/** The model settings as recorded with a run: never the key, never header values (they may carry one). */
export function recordedSettings(model: ModelSettings): Record<string, unknown> {
  const { api_key: _key, headers, ...rest } = model;
  return { ...rest, headers: Object.keys(headers) };
}

function specInput(spec: AgentSpec<unknown>, model: ModelSettings): AgentRunInput {
  return {
    agent: spec.agent,
    tier: spec.tier,
    case_id: spec.caseId,
    system: spec.system,
    task: spec.task,
    data: spec.data,
    tools: spec.tools.map((t) => t.name),
    output: spec.output.name,
    prompt_version: spec.promptVersion,
    model: recordedSettings(model),
    max_steps: spec.maxSteps,
  };
}

/**
 * Runs one agent on its case outside any transaction. Never throws for the model's sake: a runtime that
 * throws anyway becomes a retryable `other` failure, so the stage still holds the case and retries.
 */
export async function runCrewAgent<O>(
  runAgent: RunAgent,
  spec: AgentSpec<O>,
  options: { db: Db; model: ModelSettings; clock: Clock; results?: ResultStore; signal?: AbortSignal },
): Promise<CrewRun<O>> {
  const toolContext = crewToolContext(options.db, options.clock, spec.agent, spec.caseId, { results: options.results });
  const startedAt = options.clock.now();
  let outcome: AgentOutcome<O>;
  try {
    outcome = await runAgent(spec, { model: options.model, toolContext, clock: options.clock, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    const failure: RunFailure = { kind: "other", message: `the agent runtime failed: ${error instanceof Error ? error.message : String(error)}`, retryable: true };
    outcome = {
      ok: false,
      failure,
      usage: { ...emptyUsage(), request_cap_tokens: requestCap(options.model.context_window, options.model.request_cap_tokens) },
      trace: [],
      analyst: `model:${options.model.model}`,
      input: specInput(spec as AgentSpec<unknown>, options.model),
    };
  }
  const finishedAt = options.clock.now();
  return { runId: newId(), outcome, input: outcome.input, startedAt, finishedAt, staged: toolContext.staged };
}

/** The run's record, as stored with its trace (src/core/trace.ts AgentRun). */
export function agentRunRecord(
  run: CrewRun<unknown>,
  meta: { agent: AgentName; tier: number; caseId: string; promptVersion: string; attempt: number; failure: RunFailure | null; decisionId: string | null; fallback: Record<string, unknown> | null },
): AgentRun {
  return {
    id: run.runId,
    case_id: meta.caseId,
    agent: meta.agent,
    tier: meta.tier,
    analyst: run.outcome.analyst,
    prompt_version: meta.promptVersion,
    status: meta.failure ? "failed" : "succeeded",
    attempt: meta.attempt,
    failure: meta.failure,
    decision_id: meta.decisionId,
    fallback: meta.fallback,
    usage: run.outcome.usage,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt.toISOString(),
  };
}

/** A trace entry the stage adds after the runtime's (a guardrail change, a failure found after the run). */
export function appendTrace(trace: TraceEntry[], kind: TraceEntry["kind"], data: Record<string, unknown>, at: Date): TraceEntry[] {
  const seq = trace.reduce((max, e) => Math.max(max, e.seq + 1), 0);
  return [...trace, { seq, kind, at: at.toISOString(), latency_ms: null, tokens_in: null, tokens_out: null, tokens_estimated: false, cost: null, data }];
}
