import { z } from "zod";
import { canonicalJson, systemClock, type AgentName, type Clock, type RunExport, type TraceEntry } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import { startScriptedServer, type ScriptedToolCall, type ScriptedTurn } from "../model/scripted-server.js";
import type { AgentOutcome, AgentSpec, RunAgentOptions, UntrustedBlock } from "../runtime/types.js";
import { ModelSettings } from "../runtime/types.js";
import { toolByName } from "../tools/registry.js";
import { createResultStore } from "../tools/results.js";
import { ToolError, TOOL_ERROR_CODES, type ToolDefinition, type ToolErrorCode } from "../tools/tool.js";
import { replayOutput } from "./outputs.js";

/**
 * Replay: the recorded run again, through the real runtime, against a scripted OpenAI-compatible server whose
 * turns are the responses the model gave, with each tool answering with the result it gave (in order, per
 * tool). The runtime, prompts, budgets and guardrail-free checks are today's code; the model and the world
 * are the recording's. Reproduced = the same tool calls in the same order with the same arguments, and the
 * same outcome (the same output, or the same failure kind).
 */

/** Per request in a replay: ample for a loopback server that answers at once. */
export const REPLAY_TIMEOUT_MS = 15_000;

export type RunAgent = <O>(spec: AgentSpec<O>, options: RunAgentOptions) => Promise<AgentOutcome<O>>;

export interface ReplayOptions {
  /** The runtime's runAgent (default: src/crew/runtime/agent.ts). */
  runAgent?: RunAgent;
  /** Tool definitions to take descriptions and input schemas from (default: the crew's SOC tools by name), so the requests match the recording's. */
  tools?: ToolDefinition[];
  /** How tools are executed, as on the recorded run (the crew passes the tools folder's callTool); default the runtime's. */
  executeTool?: RunAgentOptions["executeTool"];
  /** Output schemas by output name, beyond the built-in ones. */
  outputs?: Record<string, z.ZodType>;
  clock?: Clock;
}

export interface RecordedCall {
  name: string;
  args: unknown;
}

export interface ReplaySide {
  status: "succeeded" | "failed";
  tool_calls: RecordedCall[];
  output: unknown;
  failure: { kind: string; message: string } | null;
  requests: number;
}

export interface ReplayReport {
  run_id: string;
  reproduced: boolean;
  differences: string[];
  recorded: ReplaySide;
  replayed: ReplaySide;
  /** Human-readable, for the terminal. */
  summary: string;
}

const ReplayInput = z.object({
  system: z.string(),
  task: z.string(),
  data: z.array(z.object({ label: z.string(), content: z.unknown() })).default([]),
  tools: z.array(z.union([z.string(), z.object({ name: z.string() }).loose()])).default([]),
  output: z.union([z.string(), z.object({ name: z.string() }).loose()]),
  prompt_version: z.string().nullable().optional(),
  model: z.record(z.string(), z.unknown()),
  max_steps: z.number().int().min(1),
});

const record = (value: unknown): Record<string, unknown> => (value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function callOf(entry: TraceEntry): RecordedCall {
  return { name: str(entry.data.tool) ?? "?", args: entry.data.arguments ?? null };
}

function parseArguments(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** The native tool calls a response entry carries (calls the runtime found in the text are not among them). */
function responseCalls(data: Record<string, unknown>): ScriptedToolCall[] {
  const calls = Array.isArray(data.tool_calls) ? data.tool_calls : [];
  return calls
    .map(record)
    .filter((call) => call.source === undefined || call.source === "native")
    .map((call) => ({ id: str(call.id), name: str(call.name) ?? "?", arguments: call.arguments ?? {} }));
}

/** The usage the server reported (null when it left usage out, so the runtime estimates again). */
function usageOf(data: Record<string, unknown>) {
  if (data.usage === null || data.usage === undefined) return null;
  const usage = record(data.usage);
  const count = (value: unknown) => (typeof value === "number" ? value : 0);
  return { prompt_tokens: count(usage.prompt_tokens), completion_tokens: count(usage.completion_tokens) };
}

/** OpenAI's finish reasons for the AI SDK's normalised ones, when the raw one was not recorded. */
const RAW_FINISH: Record<string, string> = { stop: "stop", length: "length", "content-filter": "content_filter", "tool-calls": "tool_calls" };

function responseTurn(entry: TraceEntry): ScriptedTurn {
  const d = entry.data;
  const text = str(d.text) ?? "";
  const reasoning = str(d.reasoning);
  const calls = responseCalls(d);
  const usage = usageOf(d);
  if (calls.length > 0) return { kind: "tool_calls", calls, ...(text ? { content: text } : {}), usage };
  const finish = str(d.raw_finish_reason) ?? RAW_FINISH[str(d.finish_reason) ?? ""];
  // Calls the model wrote inside its text or reasoning (a server quirk) come back as that text, for the runtime to parse again.
  return { kind: "message", content: text, ...(reasoning ? { reasoning } : {}), usage, ...(finish ? { finish_reason: finish } : {}) };
}

/** A request that got no response: the error the run recorded, as the server would have answered it. */
function errorTurn(entry: TraceEntry | undefined, timeoutMs: number): ScriptedTurn {
  const d = record(entry?.data);
  const message = str(d.message) ?? "recorded failure";
  switch (str(d.kind)) {
    case "timeout":
      return { kind: "delay", ms: timeoutMs + 1_000, then: { kind: "message", content: "" } };
    case "connection":
      return { kind: "hang_up" };
    case "credit_exhausted":
      return { kind: "error", status: 402, body: { error: { message, type: "insufficient_quota" } } };
    case "rate_limited":
      return { kind: "error", status: 429, body: { error: { message, type: "rate_limit_exceeded" } } };
    default:
      return { kind: "error", status: 500, body: { error: { message, type: "server_error" } } };
  }
}

/** One scripted turn per recorded request: its response, else the error it met, else a dropped connection. */
export function scriptFromTrace(trace: TraceEntry[], timeoutMs: number): ScriptedTurn[] {
  const turns: ScriptedTurn[] = [];
  const ordered = [...trace].sort((a, b) => a.seq - b.seq);
  ordered.forEach((entry, index) => {
    if (entry.kind !== "request") return;
    const rest = ordered.slice(index + 1);
    const end = rest.findIndex((e) => e.kind === "request");
    const window = end === -1 ? rest : rest.slice(0, end);
    const response = window.find((e) => e.kind === "response");
    turns.push(response ? responseTurn(response) : errorTurn(window.find((e) => e.kind === "error"), timeoutMs));
  });
  return turns;
}

/** Results the runtime makes itself, without running the tool: they are not queued for the tool to give back. */
const RUNTIME_ERRORS = new Set<string>(["unknown_tool", "invalid_arguments"]);

interface RecordedResult {
  value: unknown;
  error: { code: ToolErrorCode; message: string } | null;
}

function resultOf(entry: TraceEntry): RecordedResult {
  const d = entry.data;
  const error = record(d.error);
  if (d.ok === false || Object.keys(error).length > 0) {
    const code = (TOOL_ERROR_CODES as readonly string[]).includes(str(error.code) ?? "") ? (error.code as ToolErrorCode) : "failed";
    return { value: null, error: { code, message: str(error.message) ?? "recorded tool error" } };
  }
  if ("full" in d && d.full !== undefined) return { value: d.full, error: null };
  return { value: parseArguments(d.content), error: null };
}

/** Each tool's recorded results in call order. */
export function recordedResults(trace: TraceEntry[]): Map<string, RecordedResult[]> {
  const byTool = new Map<string, RecordedResult[]>();
  for (const entry of [...trace].sort((a, b) => a.seq - b.seq)) {
    if (entry.kind !== "tool_result") continue;
    const result = resultOf(entry);
    if (result.error && RUNTIME_ERRORS.has(result.error.code)) continue;
    const name = str(entry.data.tool) ?? "?";
    byTool.set(name, [...(byTool.get(name) ?? []), result]);
  }
  return byTool;
}

/** Replay tools never reach the database: the world is the recording's. */
const noDatabase = new Proxy({} as Db, {
  get() {
    throw new Error("a replayed tool answers from the recording and has no database");
  },
});

function replayTools(names: string[], results: Map<string, RecordedResult[]>, agent: AgentName, real: ToolDefinition[]): ToolDefinition[] {
  const byName = new Map(real.map((tool) => [tool.name, tool]));
  return names.map((name) => {
    const definition = byName.get(name) ?? toolByName(name);
    const queue = [...(results.get(name) ?? [])];
    let calls = 0;
    return {
      name,
      description: definition?.description ?? `${name} (replayed from a recording)`,
      input: definition?.input ?? z.looseObject({}),
      writes: definition?.writes ?? false,
      agents: definition?.agents ?? [agent],
      run() {
        calls += 1;
        const next = queue.shift();
        if (!next) return Promise.reject(new ToolError("failed", `replay: the recording has no result for call ${calls} of ${name}`));
        if (next.error) return Promise.reject(new ToolError(next.error.code, next.error.message));
        return Promise.resolve(next.value);
      },
    };
  });
}

function sideOf(status: "succeeded" | "failed", trace: TraceEntry[], output: unknown, failure: { kind: string; message: string } | null): ReplaySide {
  const ordered = [...trace].sort((a, b) => a.seq - b.seq);
  return {
    status,
    tool_calls: ordered.filter((e) => e.kind === "tool_call").map(callOf),
    output,
    failure,
    requests: ordered.filter((e) => e.kind === "request").length,
  };
}

function recordedOutput(exported: RunExport): unknown {
  const entries = exported.trace.filter((e) => e.kind === "output");
  const last = entries[entries.length - 1];
  if (!last) return null;
  return "output" in last.data ? last.data.output : last.data;
}

function compare(recorded: ReplaySide, replayed: ReplaySide): string[] {
  const differences: string[] = [];
  const longest = Math.max(recorded.tool_calls.length, replayed.tool_calls.length);
  for (let i = 0; i < longest; i++) {
    const a = recorded.tool_calls[i];
    const b = replayed.tool_calls[i];
    const show = (call: RecordedCall | undefined) => (call ? `${call.name} ${JSON.stringify(call.args)}` : "nothing");
    if (!a || !b || a.name !== b.name || canonicalJson(parseArguments(a.args)) !== canonicalJson(parseArguments(b.args)))
      differences.push(`tool call ${i + 1}: recorded ${show(a)}, replayed ${show(b)}`);
  }
  if (recorded.status !== replayed.status) differences.push(`outcome: recorded ${recorded.status}, replayed ${replayed.status}`);
  if (recorded.failure?.kind !== replayed.failure?.kind)
    differences.push(`failure: recorded ${recorded.failure?.kind ?? "none"}, replayed ${replayed.failure?.kind ?? "none"}${replayed.failure ? ` (${replayed.failure.message})` : ""}`);
  if (recorded.status === "succeeded" && replayed.status === "succeeded" && canonicalJson(recorded.output) !== canonicalJson(replayed.output)) {
    const a = record(recorded.output);
    const b = record(replayed.output);
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => canonicalJson(a[key]) !== canonicalJson(b[key]));
    differences.push(`output differs${keys.length > 0 ? ` in ${keys.sort().join(", ")}` : ""}`);
  }
  return differences;
}

function summarise(report: Omit<ReplayReport, "summary">): string {
  const lines = [
    `replay of run ${report.run_id}: ${report.reproduced ? "reproduced" : "DIVERGED"}`,
    `recorded: ${report.recorded.status}, ${report.recorded.requests} requests, tool calls: ${report.recorded.tool_calls.map((c) => c.name).join(" → ") || "none"}`,
    `replayed: ${report.replayed.status}, ${report.replayed.requests} requests, tool calls: ${report.replayed.tool_calls.map((c) => c.name).join(" → ") || "none"}`,
  ];
  for (const difference of report.differences) lines.push(`  - ${difference}`);
  return `${lines.join("\n")}\n`;
}

async function defaultRunAgent(): Promise<RunAgent> {
  // Loaded on demand so that reading and exporting runs never pulls in the model client.
  const runtime = (await import("../runtime/agent.js")) as { runAgent: RunAgent };
  return runtime.runAgent;
}

export async function replayRun(exported: RunExport, options: ReplayOptions = {}): Promise<ReplayReport> {
  const input = ReplayInput.parse(exported.input);
  const run = exported.run;
  const outputName = typeof input.output === "string" ? input.output : input.output.name;
  // Headers and keys are not recorded (names or a redaction at most) and a loopback server needs none.
  const { headers: _headers, api_key: _key, api_key_set: _keySet, ...model } = input.model;
  const recorded = ModelSettings.parse({ ...model, base_url: "http://127.0.0.1/v1" });
  // The scripted server answers at once; a recorded timeout is replayed as a delay just past this shorter limit.
  const settings = { ...recorded, timeout_ms: Math.min(recorded.timeout_ms, REPLAY_TIMEOUT_MS) };
  const clock = options.clock ?? systemClock;
  const runAgent = options.runAgent ?? (await defaultRunAgent());
  const toolNames = input.tools.map((tool) => (typeof tool === "string" ? tool : tool.name));
  const contract = replayOutput(outputName, options.outputs);

  const server = await startScriptedServer({ script: scriptFromTrace(exported.trace, settings.timeout_ms), model: settings.model });
  try {
    const spec: AgentSpec<unknown> = {
      agent: run.agent,
      tier: run.tier,
      caseId: run.case_id,
      promptVersion: input.prompt_version ?? run.prompt_version ?? "unknown",
      system: input.system,
      task: input.task,
      data: input.data as UntrustedBlock[],
      tools: replayTools(toolNames, recordedResults(exported.trace), run.agent, options.tools ?? []),
      output: {
        name: outputName,
        schema: contract.schema,
        check: (value) => {
          if (contract.check) return contract.check(value, run.case_id);
          const caseId = record(value).case_id;
          return typeof caseId === "string" && caseId !== run.case_id ? [`case_id: must be ${run.case_id} (the case of this run), got ${caseId}`] : [];
        },
      },
      maxSteps: input.max_steps,
    };
    const outcome = await runAgent(spec, {
      model: { ...settings, base_url: server.url },
      toolContext: {
        db: noDatabase,
        clock,
        caller: { agent: run.agent, name: run.agent, role: "analyst" },
        caseId: run.case_id,
        shift: run.started_at.slice(0, 10),
        effects: "stage",
        staged: [],
        results: createResultStore({ now: () => clock.now().toISOString() }),
      },
      clock,
      ...(options.executeTool ? { executeTool: options.executeTool } : {}),
    });
    const before = sideOf(run.status === "failed" ? "failed" : "succeeded", exported.trace, recordedOutput(exported), run.failure ? { kind: run.failure.kind, message: run.failure.message } : null);
    const replayed = outcome.ok
      ? sideOf("succeeded", outcome.trace, outcome.output, null)
      : sideOf("failed", outcome.trace, null, { kind: outcome.failure.kind, message: outcome.failure.message });
    const differences = compare(before, replayed);
    const report = { run_id: run.id, reproduced: differences.length === 0, differences, recorded: before, replayed };
    return { ...report, summary: summarise(report) };
  } finally {
    await server.close();
  }
}
