import { z } from "zod";
import { AgentName } from "./crew.js";

/**
 * An agent run: one agent working one case once (a retry is a new run). Model runs and deterministic
 * runs share the shape; `analyst` says which ("deterministic", or "model:<model name>").
 */
export const RUN_STATUSES = ["running", "succeeded", "failed"] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

/** Why a model run failed; each kind sends the case on hold and schedules a retry (crew.md, issue 5). */
export const FAILURE_KINDS = [
  "timeout",
  "server_error",
  "credit_exhausted",
  "rate_limited",
  "refusal",
  "bad_tool_call",
  "unknown_tool",
  "out_of_scope",
  "invented_case_id",
  "invalid_output",
  "truncated_prompt",
  "budget_exceeded",
  "step_limit",
  "connection",
  "other",
] as const;
export const FailureKind = z.enum(FAILURE_KINDS);
export type FailureKind = z.infer<typeof FailureKind>;

export const RunFailure = z.object({ kind: FailureKind, message: z.string(), retryable: z.boolean() });
export type RunFailure = z.infer<typeof RunFailure>;

export const TRACE_KINDS = ["request", "response", "tool_call", "tool_result", "repair", "error", "guardrail", "output", "note"] as const;
export const TraceKind = z.enum(TRACE_KINDS);
export type TraceKind = z.infer<typeof TraceKind>;

/** One step of a run. `data` holds the kind's payload: messages sent, text and tool calls received, a tool's
 *  arguments, the result put in context (or its handle and the full result once), an error, a guardrail change. */
export const TraceEntry = z.object({
  seq: z.number().int().min(0),
  kind: TraceKind,
  at: z.string(),
  latency_ms: z.number().nullable(),
  tokens_in: z.number().int().nullable(),
  tokens_out: z.number().int().nullable(),
  /** Counted by our tokenizer because the server did not report usage. */
  tokens_estimated: z.boolean(),
  cost: z.number().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type TraceEntry = z.infer<typeof TraceEntry>;

export const RunUsage = z.object({
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  /** Part of the counts our tokenizer estimated (the server left usage out). */
  estimated: z.boolean(),
  cost: z.number(),
  requests: z.number().int(),
  tool_calls: z.number().int(),
  /** The largest request sent in this run, in tokens (counted before sending), and the cap it was held to. */
  largest_request_tokens: z.number().int(),
  request_cap_tokens: z.number().int(),
  model_ms: z.number(),
  tool_ms: z.number(),
});
export type RunUsage = z.infer<typeof RunUsage>;

export const AgentRun = z.object({
  id: z.string(),
  case_id: z.string(),
  agent: AgentName,
  tier: z.number().int().min(1).max(4),
  analyst: z.string(),
  prompt_version: z.string().nullable(),
  status: RunStatus,
  attempt: z.number().int().min(1),
  failure: RunFailure.nullable(),
  /** The decision this run produced (succeeded runs) */
  decision_id: z.string().nullable(),
  /** A failed model run: what the deterministic analyst decided, recorded beside it (not applied). */
  fallback: z.record(z.string(), z.unknown()).nullable(),
  usage: RunUsage,
  started_at: z.string(),
  finished_at: z.string().nullable(),
});
export type AgentRun = z.infer<typeof AgentRun>;

/** The export format of `nightshift runs export` and `GET /api/v1/runs/{id}`: a run and every step. */
export const RunExport = z.object({
  format: z.literal("nightshift.run.v1"),
  run: AgentRun,
  /** What the agent was given: system prompt id, the case input, the tools offered, the model settings. */
  input: z.record(z.string(), z.unknown()),
  trace: z.array(TraceEntry),
});
export type RunExport = z.infer<typeof RunExport>;
