import { addComment, appendAudit, crewMayHold, getCase, lockAuditChain, SOC_QUEUE, transitionCase, updateCaseTriage } from "../../cases/index.js";
import { NotFoundError, type CrewStageJob, type Actor, type AgentName, type AgentRun, type Clock, type RunFailure, type TraceEntry } from "../../core/index.js";
import { enqueue, fromJson, type Executor } from "../../store/index.js";
import { retryDecision, retryDelaySeconds, type RetryPolicy } from "./retry.js";
import { agentRunRecord, appendTrace, type CrewRun, type SaveRun } from "./run.js";

export interface CrewFailure {
  agent: AgentName;
  actor: Actor;
  caseId: string;
  attempt: number;
  failure: RunFailure;
  /** The failed run, `fallback` set to the deterministic analyst's output (recorded beside it, never applied). */
  run: AgentRun;
  runInput: Record<string, unknown>;
  trace: TraceEntry[];
  /** One line on what the deterministic analyst decided, for the comment; null when it could not decide. */
  fallbackSummary: string | null;
  retry: RetryPolicy;
  /** The job that runs the next attempt (`case.triage` or `case.investigate` {case_id, attempt}). */
  retryJob: CrewStageJob;
  clock: Clock;
  /** Time of the queue (the worker claims by real time); the domain clock may be replaying a shift. */
  queueClock: Clock;
  saveRun: SaveRun;
}

/**
 * A failed run whose deterministic fallback was applied in the safe direction (crew.md step 4: an
 * escalation, never a closure): the decision committed by the stage, the run saved failed beside it.
 */
export interface AppliedFallback {
  meta: { agent: AgentName; tier: number; caseId: string; promptVersion: string; attempt: number };
  actor: Actor;
  /** The failed model run. */
  run: CrewRun<unknown>;
  failure: RunFailure;
  /** The decision the stage committed from `output`. */
  decisionId: string;
  /** The deterministic analyst's output that was applied. */
  output: object;
  /** One line on the applied decision, for the comment. */
  fallbackSummary: string;
  clock: Clock;
  saveRun: SaveRun;
}

/** The `crew.model_failed` audit data every failure path records, with what the path adds. */
function modelFailedData(agent: AgentName, run: AgentRun, attempt: number, failure: RunFailure, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    agent,
    run_id: run.id,
    attempt,
    kind: failure.kind,
    message: failure.message.slice(0, 2000),
    retryable: failure.retryable,
    ...extra,
    fallback_verdict: typeof run.fallback?.verdict === "string" ? run.fallback.verdict : null,
  };
}

export async function recordAppliedFallback(trx: Executor, f: AppliedFallback): Promise<{ duplicate: boolean }> {
  const { agent, caseId, attempt } = f.meta;
  const earlier = await trx.selectFrom("agent_runs").select("attempt").where("case_id", "=", caseId).where("agent", "=", agent).where("status", "=", "failed").execute();
  if (earlier.some((r) => Number(r.attempt) === attempt)) return { duplicate: true };
  const run = agentRunRecord(f.run, { ...f.meta, failure: f.failure, decisionId: f.decisionId, fallback: f.output as Record<string, unknown> });
  const trace = f.run.outcome.ok ? appendTrace(f.run.outcome.trace, "error", { kind: f.failure.kind, message: f.failure.message }, f.run.finishedAt) : f.run.outcome.trace;
  await f.saveRun(trx, run, f.run.input, trace);
  const body = [
    `## ${agent} model run failed — ${f.failure.kind}: decided without the model`,
    "",
    `Attempt ${attempt} (run \`${run.id}\`, ${run.analyst}) failed: ${quoted(f.failure.message)}.`,
    `The deterministic analyst's decision escalates, so it was applied at once (an escalation is the safe direction; a closure never is): ${f.fallbackSummary}.`,
    "No retry: the escalation stands and the next tier has the case.",
  ].join("\n");
  await addComment(trx, caseId, { author: f.actor, body }, f.clock);
  const data = modelFailedData(agent, run, attempt, f.failure, {
    held: false,
    fallback_applied: true,
    decision_id: f.decisionId,
    retry_at: null,
    no_retry_reason: "the deterministic escalation was applied",
  });
  await appendAudit(trx, { actor: f.actor, action: "crew.model_failed", caseId, data }, f.clock);
  return { duplicate: false };
}

export interface CrewFailureResult {
  /** This attempt's failure was already recorded (a redelivered job): nothing was written. */
  duplicate: boolean;
  /** The case was moved to on_hold by this failure (false when it already was, or a human has it). */
  held: boolean;
  retryAt: string | null;
  /** Why no retry was scheduled (null when one was). */
  noRetryReason: string | null;
}

/** Failure text in a comment: one line, bounded, never Markdown the message could shape. */
function quoted(message: string, max = 500): string {
  const line = message.replace(/\s+/g, " ").replace(/`/g, "'").trim();
  return `\`${line.length > max ? `${line.slice(0, max)}…` : line}\``;
}

/**
 * Failure never closes a case. A failed model run, in the caller's transaction: the run is saved with its
 * trace and the deterministic fallback beside it; the case goes on_hold for the SOC queue (from new, or
 * in_progress not taken by a human) through the state machine; a comment states the failure kind and
 * message; `crew.model_failed` is audited; and the next attempt is queued with exponential backoff
 * (retry.ts decides whether). Idempotent: an attempt already recorded as failed writes nothing.
 */
export async function holdOnFailure(trx: Executor, f: CrewFailure): Promise<CrewFailureResult> {
  await lockAuditChain(trx);
  const earlier = await trx
    .selectFrom("agent_runs")
    .select(["attempt", "failure"])
    .where("case_id", "=", f.caseId)
    .where("agent", "=", f.agent)
    .where("status", "=", "failed")
    .execute();
  if (earlier.some((r) => Number(r.attempt) === f.attempt)) return { duplicate: true, held: false, retryAt: null, noRetryReason: null };
  const earlierNonRetryable = earlier.filter((r) => fromJson<RunFailure | null>(r.failure, null)?.retryable === false).length;

  const current = await getCase(trx, f.caseId);
  if (!current) throw new NotFoundError(`case ${f.caseId}`);
  await f.saveRun(trx, { ...f.run, status: "failed", failure: f.failure, attempt: f.attempt }, f.runInput, f.trace);

  const movable = crewMayHold(current);
  if (movable) await transitionCase(trx, f.caseId, { to: "on_hold", actor: f.actor, assignee: SOC_QUEUE }, f.clock);

  let decision = retryDecision(f.failure, f.attempt, f.retry, earlierNonRetryable);
  if (decision.retry && (current.status === "closed" || current.status === "resolved")) decision = { retry: false, reason: `the case is ${current.status}` };
  let retryAt: string | null = null;
  if (decision.retry) {
    const at = new Date(f.queueClock.now().getTime() + retryDelaySeconds(f.attempt, f.retry) * 1000);
    retryAt = at.toISOString();
    await enqueue(trx, f.retryJob, { case_id: f.caseId, attempt: f.attempt + 1 }, { runAfter: at, clock: f.queueClock });
  }

  const where = movable
    ? "The case is on hold for the SOC queue: nothing was decided."
    : current.status === "on_hold"
      ? "The case stays on hold: nothing was decided."
      : `The case keeps its status (${current.status}${current.assignee ? `, with ${current.assignee.name}` : ""}): nothing was decided.`;
  const body = [
    `## ${f.agent} model run failed — ${f.failure.kind}`,
    "",
    `Attempt ${f.attempt} of ${f.retry.max_attempts} (run \`${f.run.id}\`, ${f.run.analyst}) failed: ${quoted(f.failure.message)}.`,
    where,
    f.fallbackSummary ? `The deterministic analyst's verdict, recorded beside the run and not applied: ${f.fallbackSummary}.` : "",
    retryAt ? `Retry scheduled at ${retryAt}.` : `No automatic retry (${decision.reason}): a human should triage the case.`,
  ]
    .filter(Boolean)
    .join("\n");
  await addComment(trx, f.caseId, { author: f.actor, body }, f.clock);
  await appendAudit(
    trx,
    {
      actor: f.actor,
      action: "crew.model_failed",
      caseId: f.caseId,
      data: modelFailedData(f.agent, f.run, f.attempt, f.failure, {
        held: movable,
        status: movable ? "on_hold" : current.status,
        retry_at: retryAt,
        no_retry_reason: decision.reason,
      }),
    },
    f.clock,
  );
  return { duplicate: false, held: movable, retryAt, noRetryReason: decision.reason };
}

export interface FailedRunCommit<O> {
  meta: { agent: AgentName; tier: number; caseId: string; promptVersion: string; attempt: number };
  actor: Actor;
  run: CrewRun<unknown>;
  failure: RunFailure;
  /** The deterministic analyst on the same input: recorded beside the failure, never applied. */
  fallback: () => O;
  summarise: (output: O) => string;
  /** Tag the case carries while its tier's model run has failed, e.g. `tora:model-failed`. */
  failedTag: string;
  retry: RetryPolicy;
  retryJob: CrewFailure["retryJob"];
  clock: Clock;
  queueClock: Clock;
  saveRun: SaveRun;
}

/**
 * What TORA's and VERA's stages do with a failed model run, in the caller's transaction: compute the
 * deterministic fallback (a fallback that cannot decide is recorded as none), save the failed run with its
 * trace (an answer the guardrails refused gets the failure appended), hold the case through `holdOnFailure`,
 * and tag the case.
 */
export async function commitFailedRun<O extends object>(trx: Executor, c: FailedRunCommit<O>): Promise<CrewFailureResult> {
  let fallback: O | null = null;
  try {
    fallback = c.fallback();
  } catch {
    fallback = null;
  }
  const record = agentRunRecord(c.run, { ...c.meta, failure: c.failure, decisionId: null, fallback: fallback as Record<string, unknown> | null });
  const trace = c.run.outcome.ok ? appendTrace(c.run.outcome.trace, "error", { kind: c.failure.kind, message: c.failure.message }, c.run.finishedAt) : c.run.outcome.trace;
  const result = await holdOnFailure(trx, {
    agent: c.meta.agent,
    actor: c.actor,
    caseId: c.meta.caseId,
    attempt: c.meta.attempt,
    failure: c.failure,
    run: record,
    runInput: c.run.input,
    trace,
    fallbackSummary: fallback ? c.summarise(fallback) : null,
    retry: c.retry,
    retryJob: c.retryJob,
    clock: c.clock,
    queueClock: c.queueClock,
    saveRun: c.saveRun,
  });
  if (!result.duplicate) {
    const after = await getCase(trx, c.meta.caseId);
    if (after && !after.tags.includes(c.failedTag)) await updateCaseTriage(trx, c.meta.caseId, { tags: [...after.tags, c.failedTag] }, c.actor, c.clock);
  }
  return result;
}
