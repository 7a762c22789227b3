import { getCase, lockAuditChain } from "../../cases/index.js";
import { NotFoundError, type Actor, type AgentName, type Case, type CrewStageJob, type Decision, type RunFailure } from "../../core/index.js";
import { handles, type Db, type Executor, type Handlers } from "../../store/index.js";
import type { AgentSpec } from "../runtime/types.js";
import type { StagedEffect, ToolDefinition } from "../tools/tool.js";
import { commitStagedEffects } from "./effects.js";
import { commitFailedRun, recordAppliedFallback } from "./failure.js";
import { modelStageOptions, type CrewStageOptions } from "./options.js";
import { agentRunRecord, appendTrace, runCrewAgent, type CrewRun } from "./run.js";

/** A model run's proposal, completed and checked by the tier's guardrails (what the stage commits). */
export interface CheckedProposal<O> {
  output: O;
  /** What the guardrails changed (audited, and appended to the run's trace). */
  adjustments: string[];
}

/**
 * One crew stage (TORA's triage, VERA's investigation, and the tiers after them): what differs between
 * tiers. `defineCrewStage` turns it into the stage's queue handler, with the same shape for every tier:
 * prepare outside the transaction (read the input, run the model, check the proposal), then commit in the
 * job's transaction (the decision, its run and staged effects, the next job) — or the one failure path.
 */
export interface CrewStage<I, O, P> {
  agent: AgentName;
  tier: number;
  actor: Actor;
  /** The job the stage works, and the one a retry after a failed model run is queued as. */
  job: CrewStageJob;
  promptVersion: string;
  defaultMaxSteps: number;
  /** Tag a case carries while the tier's last model run failed (dropped when a decision lands). */
  failedTag: string;
  /** The tier's decision on the case, if it has one (crew/stage/decision.ts, the decision read model). */
  decided(ex: Executor, caseId: string): Promise<Decision | null>;
  /** The deterministic stage, in the caller's transaction; idempotent (returns an earlier decision). */
  deterministic(trx: Executor, caseId: string): Promise<Decision>;
  /** Load: what the tier sees of the case, read through the owners' functions. */
  load(ex: Executor, caseId: string): Promise<I>;
  spec(input: I, tools: ToolDefinition[], maxSteps: number): AgentSpec<P>;
  /** Decide: complete the model's proposal and check it with the guardrails (throws on an output they cannot read). */
  check(proposal: P, input: I, durationMs: number): CheckedProposal<O>;
  /** The deterministic analyst's decision on the same input, guarded (throws when it cannot decide). */
  fallback(input: I): O;
  /** Whether a fallback goes in the safe direction (an escalation), so it is applied at once after a failure. */
  escalates(output: O): boolean;
  /** One line on a fallback, for the failure's comment. */
  summarise(output: O): string;
  /** Commit the escalating fallback after a failed run; returns the decision and the output applied. */
  commitFallback(trx: Executor, current: Case, fallback: O, run: CrewRun<P>, failure: RunFailure, input: I): Promise<{ decision: Decision; output: O }>;
  /**
   * Commit a checked proposal (the decision, the case workflow, the next jobs); returns the decision and
   * the staged effects left for `commitStagedEffects` (those the decision did not take itself).
   */
  commitProposal(trx: Executor, current: Case, checked: CheckedProposal<O>, run: CrewRun<P>, input: I): Promise<{ decision: Decision; effects: StagedEffect[] }>;
}

/** What `prepare` hands to `handle`: the model run done outside the transaction, checked, or failed. */
type Prepared<I, O, P> =
  | { kind: "decided" }
  | { kind: "model"; caseId: string; attempt: number; input: I; run: CrewRun<P>; checked: CheckedProposal<O> | null; failure: RunFailure | null };

function guardFailure(error: unknown): RunFailure {
  return { kind: "invalid_output", message: `the guardrails rejected the output: ${error instanceof Error ? error.message : String(error)}`, retryable: false };
}

/**
 * The stage's queue handler for its job {case_id, attempt}. Without a model it is the deterministic stage.
 * With one, `prepare` runs the tier on the model outside any transaction, and `handle` commits: the guarded
 * decision with the run and its staged effects, or — on any failure — the safe-direction fallback, or the
 * hold, comment, audit, failed run with the deterministic decision beside it, and the retry (failure.ts).
 */
export function defineCrewStage<I, O extends object, P>(stage: CrewStage<I, O, P>, options: CrewStageOptions, caller: string): Handlers {
  const { clock } = options;
  if (!options.model) return handles(stage.job, { handle: async (trx, job) => void (await stage.deterministic(trx, job.payload.case_id)) });
  const { model, runAgent, tools, retry, saveRun, queueClock } = modelStageOptions({ ...options, model: options.model }, caller);

  async function prepare(db: Db, caseId: string, attempt: number): Promise<Prepared<I, O, P>> {
    if (await stage.decided(db, caseId)) return { kind: "decided" };
    const input = await stage.load(db, caseId);
    const run = await runCrewAgent(runAgent, stage.spec(input, tools, options.maxSteps ?? stage.defaultMaxSteps), { db, model, clock });
    if (!run.outcome.ok) return { kind: "model", caseId, attempt, input, run, checked: null, failure: run.outcome.failure };
    try {
      const checked = stage.check(run.outcome.output, input, run.finishedAt.getTime() - run.startedAt.getTime());
      return { kind: "model", caseId, attempt, input, run, checked, failure: null };
    } catch (error) {
      return { kind: "model", caseId, attempt, input, run, checked: null, failure: guardFailure(error) };
    }
  }

  async function commit(trx: Executor, p: Extract<Prepared<I, O, P>, { kind: "model" }>): Promise<void> {
    await lockAuditChain(trx);
    // A decision that landed meanwhile (another worker, a human-run stage) stands; this run is dropped.
    if (await stage.decided(trx, p.caseId)) return;
    const current = await getCase(trx, p.caseId);
    if (!current) throw new NotFoundError(`case ${p.caseId}`);
    const meta = { agent: stage.agent, tier: stage.tier, caseId: p.caseId, promptVersion: stage.promptVersion, attempt: p.attempt };

    if (p.failure || !p.checked) {
      const failure = p.failure ?? { kind: "other" as const, message: "no output", retryable: true };
      // crew.md: the deterministic decision is applied in the safe direction only — an escalation goes
      // ahead at once; anything else waits on hold for the retry.
      let fallback: O | null = null;
      try {
        fallback = stage.fallback(p.input);
      } catch {
        fallback = null;
      }
      if (fallback && stage.escalates(fallback)) {
        const { decision, output } = await stage.commitFallback(trx, current, fallback, p.run, failure, p.input);
        await recordAppliedFallback(trx, { meta, actor: stage.actor, run: p.run, failure, decisionId: decision.id, output, fallbackSummary: stage.summarise(output), clock, saveRun });
        return;
      }
      await commitFailedRun(trx, {
        meta,
        actor: stage.actor,
        run: p.run,
        failure,
        fallback: () => stage.fallback(p.input),
        summarise: stage.summarise,
        failedTag: stage.failedTag,
        retry,
        retryJob: stage.job,
        clock,
        queueClock,
        saveRun,
      });
      return;
    }

    const { decision, effects } = await stage.commitProposal(trx, current, p.checked, p.run, p.input);
    const { adjustments } = p.checked;
    const trace = adjustments.length ? appendTrace(p.run.outcome.trace, "guardrail", { adjustments, verdict: decision.verdict }, p.run.finishedAt) : p.run.outcome.trace;
    await saveRun(trx, agentRunRecord(p.run, { ...meta, failure: null, decisionId: decision.id, fallback: null }), p.run.input, trace);
    const apply = options.applyEffects ? { apply: options.applyEffects } : {};
    await commitStagedEffects(trx, { effects, caseId: p.caseId, agent: stage.agent, actor: stage.actor, runId: p.run.runId, clock, ...apply });
  }

  return handles(stage.job, {
    prepare: (db, job) => prepare(db, job.payload.case_id, job.payload.attempt),
    async handle(trx, job, prepared) {
      const p = prepared as Prepared<I, O, P> | undefined;
      // Already decided (the common case) or prepared by nobody: the deterministic stage is idempotent.
      if (!p || p.kind === "decided") await stage.deterministic(trx, job.payload.case_id);
      else await commit(trx, p);
    },
  });
}
