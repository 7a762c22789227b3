import { z } from "zod";
import {
  AgentName,
  AgentRun,
  parseOrThrow,
  NotFoundError,
  RunFailure,
  RunStatus,
  TraceEntry,
  ValidationError,
  type RunExport,
  type RunUsage,
} from "../../core/index.js";
import { fromJson, inTransaction, toJson, type AgentRunsTable, type Executor, type TraceEntriesTable } from "../../store/index.js";

export const RUN_EXPORT_FORMAT = "nightshift.run.v1" as const;

/** Trace rows per INSERT: 11 parameters each keeps a statement far below SQLite's and PostgreSQL's limits. */
const TRACE_BATCH = 200;

const RunInput = z.record(z.string(), z.unknown());

const parse = parseOrThrow;

function validateRun(run: AgentRun, input: Record<string, unknown>, trace: TraceEntry[]) {
  const parsedRun = parse(AgentRun, run, "agent run", "run");
  const parsedInput = parse(RunInput, input, "agent run input", "input");
  const parsedTrace = parse(z.array(TraceEntry), trace, "agent run trace", "trace");
  const issues: { path: string; message: string }[] = [];
  if (parsedRun.status === "failed" && !parsedRun.failure) issues.push({ path: "run.failure", message: "a failed run records its failure" });
  if (parsedRun.status === "succeeded" && parsedRun.failure) issues.push({ path: "run.failure", message: "a succeeded run has no failure" });
  const seen = new Set<number>();
  parsedTrace.forEach((entry, index) => {
    if (seen.has(entry.seq)) issues.push({ path: `trace.${index}.seq`, message: `seq ${entry.seq} appears twice in the trace` });
    seen.add(entry.seq);
  });
  if (issues.length > 0) throw new ValidationError("invalid agent run", issues);
  return { run: parsedRun, input: parsedInput, trace: parsedTrace };
}

function traceRow(runId: string, entry: TraceEntry): TraceEntriesTable {
  return {
    run_id: runId,
    seq: entry.seq,
    kind: entry.kind,
    at: entry.at,
    latency_ms: entry.latency_ms,
    tokens_in: entry.tokens_in,
    tokens_out: entry.tokens_out,
    tokens_estimated: entry.tokens_estimated ? 1 : 0,
    cost: entry.cost,
    data: toJson(entry.data),
  };
}

/**
 * Stores a finished run and its whole trace. Everything is validated before the first write; inside the
 * caller's transaction the run commits or rolls back with it (given the database itself, it opens one).
 */
export async function saveRun(ex: Executor, run: AgentRun, input: Record<string, unknown>, trace: TraceEntry[]): Promise<void> {
  const valid = validateRun(run, input, trace);
  await inTransaction(ex, (trx) => writeRun(trx, valid));
}

async function writeRun(ex: Executor, { run, input, trace }: ReturnType<typeof validateRun>) {
  const row: AgentRunsTable = {
    id: run.id,
    case_id: run.case_id,
    agent: run.agent,
    tier: run.tier,
    analyst: run.analyst,
    prompt_version: run.prompt_version,
    status: run.status,
    attempt: run.attempt,
    failure: run.failure ? toJson(run.failure) : null,
    decision_id: run.decision_id,
    fallback: run.fallback ? toJson(run.fallback) : null,
    usage: toJson(run.usage),
    input: toJson(input),
    started_at: run.started_at,
    finished_at: run.finished_at,
  };
  await ex.insertInto("agent_runs").values(row).execute();
  const rows = [...trace].sort((a, b) => a.seq - b.seq).map((entry) => traceRow(run.id, entry));
  for (let i = 0; i < rows.length; i += TRACE_BATCH) await ex.insertInto("trace_entries").values(rows.slice(i, i + TRACE_BATCH)).execute();
}

function runFromRow(row: AgentRunsTable): AgentRun {
  return {
    id: row.id,
    case_id: row.case_id,
    agent: row.agent as AgentRun["agent"],
    tier: Number(row.tier),
    analyst: row.analyst,
    prompt_version: row.prompt_version,
    status: row.status as AgentRun["status"],
    attempt: Number(row.attempt),
    failure: fromJson<RunFailure | null>(row.failure, null),
    decision_id: row.decision_id,
    fallback: fromJson<Record<string, unknown> | null>(row.fallback, null),
    usage: fromJson<RunUsage>(row.usage, emptyUsage()),
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}

function entryFromRow(row: TraceEntriesTable): TraceEntry {
  const nullableNumber = (value: number | null) => (value == null ? null : Number(value));
  return {
    seq: Number(row.seq),
    kind: row.kind as TraceEntry["kind"],
    at: row.at,
    latency_ms: nullableNumber(row.latency_ms),
    tokens_in: nullableNumber(row.tokens_in),
    tokens_out: nullableNumber(row.tokens_out),
    tokens_estimated: Number(row.tokens_estimated) === 1,
    cost: nullableNumber(row.cost),
    data: fromJson<Record<string, unknown>>(row.data, {}),
  };
}

export function emptyUsage(): RunUsage {
  return {
    tokens_in: 0,
    tokens_out: 0,
    estimated: false,
    cost: 0,
    requests: 0,
    tool_calls: 0,
    largest_request_tokens: 0,
    request_cap_tokens: 0,
    model_ms: 0,
    tool_ms: 0,
  };
}

export async function getRun(ex: Executor, id: string): Promise<AgentRun | null> {
  const row = await ex.selectFrom("agent_runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? runFromRow(row) : null;
}

/** What the agent was given (system prompt, task, data, tools, output, model settings), as saved with the run. */
export async function getRunInput(ex: Executor, id: string): Promise<Record<string, unknown> | null> {
  const row = await ex.selectFrom("agent_runs").select("input").where("id", "=", id).executeTakeFirst();
  return row ? fromJson<Record<string, unknown>>(row.input, {}) : null;
}

export const ListRunsOptions = z.object({
  caseId: z.string().min(1).optional(),
  agent: AgentName.optional(),
  status: RunStatus.optional(),
  limit: z.number().int().min(1).max(1000).default(50),
  offset: z.number().int().min(0).default(0),
});
export type ListRunsOptions = z.input<typeof ListRunsOptions>;

/** Runs newest first. */
export async function listRuns(ex: Executor, options: ListRunsOptions = {}): Promise<AgentRun[]> {
  const { caseId, agent, status, limit, offset } = parse(ListRunsOptions, options, "run listing", "");
  let query = ex
    .selectFrom("agent_runs")
    .select(["id", "case_id", "agent", "tier", "analyst", "prompt_version", "status", "attempt", "failure", "decision_id", "fallback", "usage", "started_at", "finished_at"])
    .orderBy("started_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .offset(offset);
  if (caseId) query = query.where("case_id", "=", caseId);
  if (agent) query = query.where("agent", "=", agent);
  if (status) query = query.where("status", "=", status);
  const rows = await query.execute();
  return rows.map((row) => runFromRow({ ...row, input: "{}" }));
}

/** A run's steps in order. */
export async function getTrace(ex: Executor, runId: string): Promise<TraceEntry[]> {
  const rows = await ex.selectFrom("trace_entries").selectAll().where("run_id", "=", runId).orderBy("seq").execute();
  return rows.map(entryFromRow);
}

/** The run, what it was given and every step, as `nightshift runs export` writes it ("nightshift.run.v1"). */
export async function exportRun(ex: Executor, id: string, options: { trace?: boolean } = {}): Promise<RunExport> {
  const row = await ex.selectFrom("agent_runs").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`run ${id}`);
  return {
    format: RUN_EXPORT_FORMAT,
    run: runFromRow(row),
    input: fromJson<Record<string, unknown>>(row.input, {}),
    trace: options.trace === false ? [] : await getTrace(ex, id),
  };
}

export const RunBrief = z.object({
  id: z.string(),
  agent: AgentName,
  tier: z.number().int(),
  analyst: z.string(),
  status: RunStatus,
  attempt: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  decision_id: z.string().nullable(),
  failure: RunFailure.nullable(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  tokens_estimated: z.boolean(),
  cost: z.number(),
  requests: z.number().int(),
  tool_calls: z.number().int(),
  largest_request_tokens: z.number().int(),
  request_cap_tokens: z.number().int(),
});
export type RunBrief = z.infer<typeof RunBrief>;

/** What the case view shows of the crew's runs on it: totals, each failure, and each run in brief. */
export const CaseRunSummary = z.object({
  runs: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  running: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  /** Some of the counts were estimated by our tokenizer (the server left usage out). */
  tokens_estimated: z.boolean(),
  cost: z.number(),
  failures: z.array(z.object({ run_id: z.string(), agent: AgentName, attempt: z.number().int(), at: z.string(), kind: z.string(), message: z.string(), retryable: z.boolean() })),
  latest: RunBrief.nullable(),
  items: z.array(RunBrief),
});
export type CaseRunSummary = z.infer<typeof CaseRunSummary>;

export function runBrief(run: AgentRun): RunBrief {
  return {
    id: run.id,
    agent: run.agent,
    tier: run.tier,
    analyst: run.analyst,
    status: run.status,
    attempt: run.attempt,
    started_at: run.started_at,
    finished_at: run.finished_at,
    decision_id: run.decision_id,
    failure: run.failure,
    tokens_in: run.usage.tokens_in,
    tokens_out: run.usage.tokens_out,
    tokens_estimated: run.usage.estimated,
    cost: run.usage.cost,
    requests: run.usage.requests,
    tool_calls: run.usage.tool_calls,
    largest_request_tokens: run.usage.largest_request_tokens,
    request_cap_tokens: run.usage.request_cap_tokens,
  };
}

/** Cases see a handful of runs (one per tier and retry), so the summary reads them all. */
const SUMMARY_MAX_RUNS = 1000;

export async function runSummary(ex: Executor, caseId: string): Promise<CaseRunSummary> {
  const runs = await listRuns(ex, { caseId, limit: SUMMARY_MAX_RUNS });
  const chronological = [...runs].reverse();
  const count = (status: AgentRun["status"]) => runs.filter((run) => run.status === status).length;
  return {
    runs: runs.length,
    succeeded: count("succeeded"),
    failed: count("failed"),
    running: count("running"),
    tokens_in: runs.reduce((sum, run) => sum + run.usage.tokens_in, 0),
    tokens_out: runs.reduce((sum, run) => sum + run.usage.tokens_out, 0),
    tokens_estimated: runs.some((run) => run.usage.estimated),
    cost: runs.reduce((sum, run) => sum + run.usage.cost, 0),
    failures: chronological.flatMap((run) =>
      run.failure
        ? [{ run_id: run.id, agent: run.agent, attempt: run.attempt, at: run.finished_at ?? run.started_at, kind: run.failure.kind, message: run.failure.message, retryable: run.failure.retryable }]
        : [],
    ),
    latest: runs[0] ? runBrief(runs[0]) : null,
    items: chronological.map(runBrief),
  };
}
