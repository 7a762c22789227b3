import { generateText, jsonSchema, NoSuchToolError, streamText, tool, type LanguageModel, type ModelMessage, type OutputInterface, type ToolSet } from "ai";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { caseIdForTier, isoNow, type RunFailure, type RunUsage, type TraceEntry, type TraceKind } from "../../core/index.js";
import type { ToolContext, ToolDefinition, ToolErrorCode, ToolResult } from "../tools/tool.js";
import { classifyError, failure, refusedResponseFormat } from "./failures.js";
import { renderTask, renderUntrusted, toolResultLabel } from "./messages.js";
import { extractJsonObject, looksLikeRefusal, splitThinking, toolCallsInText } from "./parse.js";
import { analystName, createModel, PROVIDER_NAME, publicSettings } from "./provider.js";
import { createTokenCounter, DEFAULT_SAFETY_MARGIN, MESSAGE_OVERHEAD_TOKENS, requestCap } from "./tokens.js";
import { errorResult, fitResult } from "../tools/budget.js";
import { defaultToolExecutor } from "./tool-call.js";
import type { AgentOutcome, AgentRunInput, AgentSpec, RunAgentOptions } from "./types.js";

/** More errored tool calls than this in one run and the run fails: the model is not using its tools. */
export const MAX_TOOL_ERRORS = 3;
const SCHEMA_HINT = "JSON schema:";
/** A result may take at most this share of the request cap. */
export const RESULT_SHARE_OF_CAP = 0.25;
/** Reported prompt tokens below this share of our count mean the server cut the prompt. */
export const TRUNCATION_RATIO = 0.6;
/** Requests smaller than this are not judged for truncation (templates differ by a few hundred tokens). */
export const TRUNCATION_MIN_TOKENS = 2000;
/** Tokens the untrusted_data wrapper and label add around a tool result. */
const RESULT_WRAPPER_TOKENS = 40;
/** Tool errors that count against the run: the model called something it should not have. */
const COUNTED_TOOL_ERRORS: ReadonlySet<ToolErrorCode> = new Set<ToolErrorCode>(["unknown_tool", "invalid_arguments", "forbidden"]);

type Phase = "step" | "final" | "repair";

interface CallPart {
  id: string;
  name: string;
  input: unknown;
  /** Why the call could not even be parsed (unknown name, arguments not JSON). */
  invalid: { code: "unknown_tool" | "invalid_arguments"; message: string } | null;
  source: "native" | "content" | "reasoning";
}

interface ModelReply {
  text: string;
  reasoning: string;
  calls: CallPart[];
  finishReason: string;
  rawFinishReason: string | undefined;
}

/** A tool result in the history, so it can be replaced by a stub when the context fills up. */
interface ResultSlot {
  message: number;
  part: number;
  tool: string;
  call: number;
  result: ToolResult;
  elided: boolean;
}

class RunFailed extends Error {
  constructor(readonly failure: RunFailure) {
    super(failure.message);
  }
}

function textOfMessage(message: ModelMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content
    .map((part) => {
      if (part.type === "text") return part.text;
      if (part.type === "tool-call") return `${part.toolName} ${typeof part.input === "string" ? part.input : JSON.stringify(part.input)}`;
      if (part.type === "tool-result") return part.output.type === "text" ? part.output.value : JSON.stringify(part.output);
      return "";
    })
    .join("\n");
}

/** The messages as plain records for the trace: role, the whole text, tool calls and ids. */
function messagesForTrace(system: string, messages: ModelMessage[]): Record<string, unknown>[] {
  return [
    { role: "system", content: system },
    ...messages.map((message) => {
      if (typeof message.content === "string") return { role: message.role, content: message.content };
      const calls = message.content.filter((part) => part.type === "tool-call").map((part) => ({ id: part.toolCallId, name: part.toolName, arguments: part.input }));
      const results = message.content.filter((part) => part.type === "tool-result");
      return {
        role: message.role,
        content: textOfMessage({ ...message, content: message.content.filter((part) => part.type !== "tool-call") } as ModelMessage),
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
        ...(results.length === 1 ? { tool_call_id: results[0]!.toolCallId } : {}),
      };
    }),
  ];
}

/** TORA-20261124-0007 and VERA-20261124-0007 are one case seen by two tiers; anything else is another case. */
function sameCase(named: unknown, own: string): boolean {
  if (typeof named !== "string") return false;
  const canonical = (id: string) => {
    const trimmed = id.trim().toUpperCase();
    return /^[A-Z]+-\d{8}-\d{4,}$/.test(trimmed) ? caseIdForTier(trimmed, "TORA") : trimmed;
  };
  return canonical(named) === canonical(own);
}

function itemCount(value: unknown): number | null {
  if (Array.isArray(value)) return value.length;
  if (value && typeof value === "object") {
    const arrays = Object.values(value as Record<string, unknown>).filter(Array.isArray);
    if (arrays.length === 1) return (arrays[0] as unknown[]).length;
  }
  return null;
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`);
}

/** Drops what costs tokens and tells a model nothing: the dialect URI and the safe-integer bounds of `.int()`. */
function leanSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(leanSchema);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === "$schema") continue;
    if ((key === "maximum" && value === Number.MAX_SAFE_INTEGER) || (key === "minimum" && value === Number.MIN_SAFE_INTEGER)) continue;
    out[key] = leanSchema(value);
  }
  return out;
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> | null {
  try {
    return leanSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" })) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A response format whose text we parse ourselves: fences, prose and repair are the runtime's business. */
function rawJsonOutput(schema: Record<string, unknown> | null, name: string): OutputInterface<string, string, never> {
  return {
    name: "object",
    responseFormat: Promise.resolve(schema ? { type: "json" as const, schema: schema as never, name } : { type: "json" as const }),
    parseCompleteOutput: async ({ text }) => text,
    parsePartialOutput: async () => undefined,
    createElementStreamTransform: () => undefined,
  };
}

/**
 * Runs one agent on one case: the tool loop, the final answer with one repair, every request held under
 * the cap, every step traced. Never throws: a failure is an outcome with its kind.
 */
export async function runAgent<O>(spec: AgentSpec<O>, options: RunAgentOptions): Promise<AgentOutcome<O>> {
  const settings = options.model;
  const clock = options.clock;
  const counter = createTokenCounter();
  const cap = requestCap(settings.context_window, settings.request_cap_tokens);
  const executeTool = options.executeTool ?? defaultToolExecutor;
  const analyst = analystName(settings);
  const trace: TraceEntry[] = [];
  const usage: RunUsage = {
    tokens_in: 0,
    tokens_out: 0,
    estimated: false,
    cost: 0,
    requests: 0,
    tool_calls: 0,
    largest_request_tokens: 0,
    request_cap_tokens: cap,
    model_ms: 0,
    tool_ms: 0,
  };
  const input: AgentRunInput = {
    agent: spec.agent,
    tier: spec.tier,
    case_id: spec.caseId,
    system: spec.system,
    task: spec.task,
    data: spec.data,
    tools: spec.tools.map((def) => def.name),
    output: spec.output.name,
    prompt_version: spec.promptVersion,
    model: publicSettings(settings),
    max_steps: spec.maxSteps,
  };

  function record(kind: TraceKind, data: Record<string, unknown>, extra: Partial<Omit<TraceEntry, "seq" | "kind" | "data">> = {}): TraceEntry {
    const entry: TraceEntry = { seq: trace.length, kind, at: isoNow(clock), latency_ms: null, tokens_in: null, tokens_out: null, tokens_estimated: false, cost: null, data, ...extra };
    trace.push(entry);
    try {
      options.onEntry?.(entry);
    } catch {
      // a live viewer must not break the run
    }
    return entry;
  }

  const defs = new Map<string, ToolDefinition>(spec.tools.map((def) => [def.name, def]));
  const toolSet: ToolSet = {};
  const toolSchemas: unknown[] = [];
  for (const def of spec.tools) {
    const parameters = jsonSchemaOf(def.input) ?? { type: "object" };
    toolSet[def.name] = tool({ description: def.description, inputSchema: jsonSchema(parameters) });
    toolSchemas.push({ type: "function", function: { name: def.name, description: def.description, parameters } });
  }
  const toolSchemaTokens = spec.tools.length > 0 ? counter.count(JSON.stringify(toolSchemas)) : 0;
  const outputSchema = jsonSchemaOf(spec.output.schema);
  const systemTokens = counter.count(spec.system) + MESSAGE_OVERHEAD_TOKENS;

  const startingData = fitStartingData(spec, {
    budget: Math.max(
      1024,
      Math.floor(cap / (1 + DEFAULT_SAFETY_MARGIN) * (1 - LOOP_RESERVE)) - systemTokens - toolSchemaTokens - settings.max_output_tokens - counter.count(spec.task),
    ),
    counter,
    results: options.toolContext.results,
  });
  if (startingData.fitted.length) record("note", { starting_data_fitted: startingData.fitted });
  const messages: ModelMessage[] = [{ role: "user", content: renderTask(spec.task, startingData.blocks) }];
  const messageTokens = new WeakMap<ModelMessage, number>();
  const slots: ResultSlot[] = [];
  /** Server tokens per reference token, learned from reported usage; only ever raised. */
  let ratio = 1;
  // The structured-output form asked for; steps down for the rest of the run when the server refuses it.
  let responseFormat = settings.structured_output;
  let toolErrors = 0;
  let callNumber = 0;

  const tokensOf = (message: ModelMessage): number => {
    let tokens = messageTokens.get(message);
    if (tokens === undefined) {
      tokens = counter.count(textOfMessage(message)) + MESSAGE_OVERHEAD_TOKENS;
      messageTokens.set(message, tokens);
    }
    return tokens;
  };
  const rawCount = (withTools: boolean) => systemTokens + messages.reduce((sum, message) => sum + tokensOf(message), 0) + (withTools ? toolSchemaTokens : 0);
  const scaled = (raw: number) => Math.ceil(raw * ratio * (1 + DEFAULT_SAFETY_MARGIN));

  /** Replaces the oldest tool result still in context by a stub; false when none is left. */
  function elideOldest(): ResultSlot | null {
    const slot = slots.find((candidate) => !candidate.elided);
    if (!slot) return null;
    const result = slot.result;
    let handle = result.handle;
    let items = itemCount(result.full);
    if (handle === null && result.ok) {
      const stored = options.toolContext.results.put(slot.tool, result.full, items);
      handle = stored.handle;
      items = stored.total_items;
    } else if (handle !== null) {
      items = options.toolContext.results.get(handle)?.total_items ?? items;
    }
    const what = !result.ok ? `error ${result.error?.code ?? "failed"}` : items !== null ? `${items} items` : `${result.tokens} tokens`;
    const stub = handle
      ? `[result of ${slot.tool} #${slot.call} elided: ${what}, handle ${handle}; call read_result to page]`
      : `[result of ${slot.tool} #${slot.call} elided: ${what}]`;
    const message = messages[slot.message]!;
    if (typeof message.content === "string" || message.role !== "tool") return null;
    const content = message.content.map((part, index) =>
      index === slot.part && part.type === "tool-result" ? { ...part, output: { type: "text" as const, value: stub } } : part,
    );
    messages[slot.message] = { ...message, content };
    slot.elided = true;
    record("note", { elided: { tool: slot.tool, call: slot.call, handle, stub } });
    return slot;
  }

  /** Makes the next request fit under the cap by eliding old results, or fails without sending. */
  function fitRequest(withTools: boolean): { raw: number; estimate: number } {
    let raw = rawCount(withTools);
    while (scaled(raw) > cap && elideOldest()) raw = rawCount(withTools);
    const estimate = scaled(raw);
    if (estimate > cap) throw new RunFailed(failure("budget_exceeded", `the next request needs ${estimate} tokens (cap ${cap}) even with every tool result elided`));
    return { raw, estimate };
  }

  /** The budget of the next tool result: what the cap leaves after the messages and the answer, at most a quarter of the cap. */
  function resultBudget(): number {
    const share = Math.floor(cap * RESULT_SHARE_OF_CAP);
    const room = () => cap - scaled(rawCount(true)) - settings.max_output_tokens - RESULT_WRAPPER_TOKENS;
    while (room() < share && elideOldest());
    const allowed = Math.min(share, room());
    return Math.max(16, Math.floor(allowed / (ratio * (1 + DEFAULT_SAFETY_MARGIN))));
  }

  async function send(phase: Phase, withTools: boolean): Promise<ModelReply> {
    const { raw, estimate } = fitRequest(withTools);
    const structured = phase !== "step" && responseFormat !== "none";
    record(
      "request",
      {
        phase,
        messages: messagesForTrace(spec.system, messages),
        tools: withTools ? spec.tools.map((def) => def.name) : [],
        response_format: structured ? responseFormat : null,
        raw_tokens: raw,
        ratio,
        cap,
      },
      { tokens_in: estimate },
    );
    usage.requests++;
    usage.largest_request_tokens = Math.max(usage.largest_request_tokens, estimate);
    if (options.signal?.aborted) throw new RunFailed(failure("other", "the run was aborted", true));

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timeout after ${settings.timeout_ms} ms`));
    }, settings.timeout_ms);
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const started = performance.now();
    let reply: ModelReply & { inputTokens: number | undefined; outputTokens: number | undefined };
    try {
      reply = await callModel(model, {
        system: spec.system,
        messages: [...messages],
        tools: withTools && spec.tools.length > 0 ? toolSet : undefined,
        output: structured ? rawJsonOutput(responseFormat === "json_schema" ? outputSchema : null, spec.output.name) : undefined,
        temperature: settings.temperature,
        maxOutputTokens: settings.max_output_tokens,
        abortSignal: controller.signal,
        stream: settings.stream,
      });
    } catch (error) {
      const latency = performance.now() - started;
      usage.model_ms += latency;
      const refused = structured && !timedOut ? refusedResponseFormat(error) : null;
      if (refused) {
        const from = responseFormat;
        responseFormat = from === "json_schema" ? "json_object" : "none";
        record("note", { response_format: { from, to: responseFormat, reason: refused } }, { latency_ms: Math.round(latency) });
        // The schema no longer travels as response_format: the instruction that asked for the answer carries it.
        const last = messages.at(-1);
        if (from === "json_schema" && last?.role === "user" && typeof last.content === "string" && !last.content.includes(SCHEMA_HINT))
          messages[messages.length - 1] = { role: "user", content: `${last.content}${schemaHint()}` };
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        return send(phase, withTools);
      }
      throw new RunFailed(classifyError(error, { timedOut, aborted: options.signal?.aborted === true, timeoutMs: settings.timeout_ms }));
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const latency = performance.now() - started;
    usage.model_ms += latency;
    reply = { ...reply, ...splitThinking(reply.text, reply.reasoning) };

    const estimatedIn = reply.inputTokens === undefined;
    const estimatedOut = reply.outputTokens === undefined;
    const tokensIn = reply.inputTokens ?? Math.ceil(raw * ratio);
    const tokensOut = reply.outputTokens ?? counter.count(reply.text + reply.reasoning + reply.calls.map((call) => `${call.name} ${JSON.stringify(call.input)}`).join(""));
    const cost = (tokensIn * settings.cost.input_per_mtok + tokensOut * settings.cost.output_per_mtok) / 1_000_000;
    usage.tokens_in += tokensIn;
    usage.tokens_out += tokensOut;
    usage.cost += cost;
    if (estimatedIn || estimatedOut) usage.estimated = true;
    record(
      "response",
      {
        phase,
        text: reply.text,
        reasoning: reply.reasoning,
        tool_calls: reply.calls.map((call) => ({ id: call.id, name: call.name, arguments: call.input, source: call.source, ...(call.invalid ? { invalid: call.invalid } : {}) })),
        finish_reason: reply.finishReason,
        raw_finish_reason: reply.rawFinishReason ?? null,
        usage: estimatedIn && estimatedOut ? null : { prompt_tokens: reply.inputTokens ?? null, completion_tokens: reply.outputTokens ?? null },
      },
      { latency_ms: Math.round(latency), tokens_in: tokensIn, tokens_out: tokensOut, tokens_estimated: estimatedIn || estimatedOut, cost },
    );

    if (reply.inputTokens !== undefined && raw > TRUNCATION_MIN_TOKENS) {
      if (reply.inputTokens < raw * TRUNCATION_RATIO)
        throw new RunFailed(failure("truncated_prompt", `the server reported ${reply.inputTokens} prompt tokens for a request of about ${raw}: it cut the prompt (context window set above the server's?)`));
    }
    if (reply.inputTokens !== undefined && raw > 0) ratio = Math.max(ratio, reply.inputTokens / raw);
    return reply;
  }

  /** Native calls first; failing those, calls written in the text, then in the reasoning. */
  function withTextCalls(reply: ModelReply): ModelReply {
    if (reply.calls.length > 0) return reply;
    for (const source of ["content", "reasoning"] as const) {
      const text = source === "content" ? reply.text : reply.reasoning;
      if (!text) continue;
      if (source === "reasoning" && extractJsonObject(reply.text)) break;
      const found = toolCallsInText(text);
      if (found.length === 0) continue;
      const calls: CallPart[] = found.map((call, index) => ({
        id: `text_call_${usage.requests}_${index}`,
        name: call.name,
        input: call.input,
        invalid: !defs.has(call.name)
          ? { code: "unknown_tool", message: `no tool named ${call.name}` }
          : typeof call.input === "string"
            ? { code: "invalid_arguments", message: "arguments are not a JSON object" }
            : null,
        source,
      }));
      return { ...reply, text: source === "content" ? "" : reply.text, calls };
    }
    return reply;
  }

  async function runCalls(reply: ModelReply): Promise<void> {
    const assistantParts: Exclude<Extract<ModelMessage, { role: "assistant" }>["content"], string> = [];
    if (reply.text.trim()) assistantParts.push({ type: "text", text: reply.text });
    for (const call of reply.calls) assistantParts.push({ type: "tool-call", toolCallId: call.id, toolName: call.name, input: call.input });
    messages.push({ role: "assistant", content: assistantParts });

    for (const call of reply.calls) {
      const number = ++callNumber;
      usage.tool_calls++;
      record("tool_call", { call: number, tool: call.name, tool_call_id: call.id, arguments: call.input, source: call.source });
      const started = performance.now();
      let result: ToolResult;
      const budget = { maxTokens: resultBudget(), counter };
      const def = defs.get(call.name);
      if (call.invalid) result = errorResult(call.invalid.code, call.invalid.message, budget);
      else if (!def) result = errorResult("unknown_tool", `no tool named ${call.name}`, budget);
      else {
        const ctx: ToolContext = { ...options.toolContext, budget };
        try {
          result = await executeTool(def, call.input, ctx);
        } catch (error) {
          result = errorResult("failed", error instanceof Error ? error.message : String(error), budget);
        }
      }
      const toolMs = performance.now() - started;
      usage.tool_ms += toolMs;
      record(
        "tool_result",
        {
          call: number,
          tool: call.name,
          tool_call_id: call.id,
          ok: result.ok,
          content: result.content,
          tokens: result.tokens,
          handle: result.handle,
          truncated: result.truncated,
          error: result.error,
          budget_tokens: budget.maxTokens,
          ...(result.handle !== null ? { full: result.full } : {}),
        },
        { latency_ms: Math.round(toolMs), tokens_in: result.tokens },
      );
      const wrapped = renderUntrusted(toolResultLabel(call.name, number), null, result.content);
      messages.push({ role: "tool", content: [{ type: "tool-result", toolCallId: call.id, toolName: call.name, output: { type: "text", value: wrapped } }] });
      // The name is the model's text when the tool is unknown: only a tame form goes into the runtime's stub line.
      slots.push({ message: messages.length - 1, part: 0, tool: call.name.replace(/[^\w.-]/g, "_").slice(0, 64), call: number, result, elided: false });

      if (result.error?.code === "out_of_scope") throw new RunFailed(failure("out_of_scope", `${call.name} #${number}: ${result.error.message}`));
      if (result.error && COUNTED_TOOL_ERRORS.has(result.error.code)) {
        toolErrors++;
        if (toolErrors > MAX_TOOL_ERRORS) {
          const kind = result.error.code === "unknown_tool" ? "unknown_tool" : "bad_tool_call";
          throw new RunFailed(failure(kind, `${toolErrors} tool calls failed; the last: ${call.name} #${number}: ${result.error.code}: ${result.error.message}`));
        }
      }
    }
  }

  /** null when valid; else the errors a repair request feeds back. Throws on an invented case id. */
  function judge(text: string): { value: O } | { errors: string[]; json: boolean } {
    const found = extractJsonObject(text);
    if (!found) return { errors: ["(root): expected one JSON object, found none"], json: false };
    const caseId = found.value.case_id;
    if (typeof caseId === "string" && !sameCase(caseId, spec.caseId))
      throw new RunFailed(failure("invented_case_id", `the answer names case ${JSON.stringify(caseId).slice(0, 80)}; this run works ${spec.caseId}`));
    const parsed = spec.output.schema.safeParse(found.value);
    if (!parsed.success) return { errors: issuesOf(parsed.error), json: true };
    const problems = spec.output.check?.(parsed.data) ?? [];
    if (problems.length > 0) return { errors: problems, json: true };
    return { value: parsed.data };
  }

  function refusedOrNot(reply: ModelReply, verdict: { errors: string[]; json: boolean }) {
    if (reply.finishReason === "content-filter") throw new RunFailed(failure("refusal", `the server filtered the answer (finish_reason ${reply.rawFinishReason ?? "content_filter"})`));
    if (!verdict.json && looksLikeRefusal(reply.text)) throw new RunFailed(failure("refusal", `the model declined: ${reply.text.slice(0, 300)}`));
  }

  function schemaHint(): string {
    return outputSchema ? `\n${SCHEMA_HINT}\n${JSON.stringify(outputSchema)}` : "";
  }

  function finalInstruction(): string {
    const schema = responseFormat !== "json_schema" ? schemaHint() : "";
    return `Give your final answer now: one JSON object, the ${spec.output.name} for case ${spec.caseId}, and nothing else (no prose, no tool calls).${schema}`;
  }

  /** An answer the server stopped at the output limit: its JSON is cut, and saying so is the useful repair. */
  function cutOff(reply: ModelReply): boolean {
    return reply.finishReason === "length";
  }

  function cutOffNote(): string {
    return `Your answer was cut off at the output limit (${settings.max_output_tokens} tokens): give the same JSON object, shorter — fewer and terser findings and descriptions, no prose around it.`;
  }

  async function finish(reply: ModelReply): Promise<O> {
    let verdict = judge(reply.text);
    refusedOrNot(reply, "value" in verdict ? { errors: [], json: true } : verdict);
    if ("value" in verdict) return verdict.value;
    let last = reply;
    if (!verdict.json && !cutOff(reply)) {
      if (reply.text.trim()) messages.push({ role: "assistant", content: reply.text });
      messages.push({ role: "user", content: finalInstruction() });
      last = await send("final", false);
      verdict = judge(last.text);
      if ("value" in verdict) return verdict.value;
      refusedOrNot(last, verdict);
    }
    const truncated = cutOff(last);
    record("repair", { errors: verdict.errors, ...(truncated ? { cut_off: true } : {}) });
    messages.push({ role: "assistant", content: last.text || "(no answer)" });
    messages.push({
      role: "user",
      content: truncated
        ? `${cutOffNote()}\nWhat arrived fails with:\n${verdict.errors.map((error) => `- ${error}`).join("\n")}\n${finalInstruction()}`
        : `Your answer is not a valid ${spec.output.name}:\n${verdict.errors.map((error) => `- ${error}`).join("\n")}\nReply with the corrected JSON object only.`,
    });
    const repaired = await send("repair", false);
    const second = judge(repaired.text);
    if ("value" in second) return second.value;
    refusedOrNot(repaired, second);
    const why = cutOff(repaired) ? ` (cut off at the output limit of ${settings.max_output_tokens} tokens — raise max_output_tokens for this tier)` : "";
    throw new RunFailed(failure("invalid_output", `${spec.output.name} still invalid after one repair${why}: ${second.errors.join("; ")}`));
  }

  let model: LanguageModel;
  try {
    model = options.languageModel ?? createModel(settings);
    let steps = 0;
    for (;;) {
      if (steps >= spec.maxSteps) throw new RunFailed(failure("step_limit", `still calling tools after ${spec.maxSteps} steps`));
      steps++;
      const reply = withTextCalls(await send("step", true));
      if (reply.calls.length === 0) {
        const output = await finish(reply);
        record("output", { output });
        return { ok: true, output, usage, trace, analyst, input };
      }
      await runCalls(reply);
    }
  } catch (error) {
    const runFailure = error instanceof RunFailed ? error.failure : failure("other", error instanceof Error ? error.message : String(error));
    record("error", { ...runFailure });
    return { ok: false, failure: runFailure, usage, trace, analyst, input };
  }
}

interface ModelCall {
  system: string;
  messages: ModelMessage[];
  tools: ToolSet | undefined;
  output: OutputInterface<string, string, never> | undefined;
  temperature: number;
  maxOutputTokens: number;
  abortSignal: AbortSignal;
  stream: boolean;
}

function callOf(part: { toolCallId: string; toolName: string; input: unknown; invalid?: boolean; error?: unknown }): CallPart {
  let invalid: CallPart["invalid"] = null;
  if (part.invalid) {
    invalid = NoSuchToolError.isInstance(part.error)
      ? { code: "unknown_tool", message: `no tool named ${part.toolName}` }
      : { code: "invalid_arguments", message: `arguments are not valid JSON: ${part.error instanceof Error ? part.error.message.slice(0, 200) : "parse error"}` };
  }
  return { id: part.toolCallId, name: part.toolName, input: part.input, invalid, source: "native" };
}

/** One request, no retries, no tool execution: the SDK sends and parses, the runtime decides. */
async function callModel(
  model: LanguageModel,
  call: ModelCall,
): Promise<ModelReply & { inputTokens: number | undefined; outputTokens: number | undefined }> {
  const common = {
    model,
    system: call.system,
    messages: call.messages,
    ...(call.tools ? { tools: call.tools, toolChoice: "auto" as const } : {}),
    ...(call.output ? { output: call.output } : {}),
    temperature: call.temperature,
    maxOutputTokens: call.maxOutputTokens,
    maxRetries: 0,
    abortSignal: call.abortSignal,
    // Strict mode rejects schemas with optional fields on OpenAI; the runtime validates every answer itself.
    providerOptions: { [PROVIDER_NAME]: { strictJsonSchema: false } },
  };
  if (!call.stream) {
    const result = await generateText(common);
    return {
      text: result.text,
      reasoning: result.reasoningText ?? "",
      calls: result.toolCalls.map(callOf),
      finishReason: result.finishReason,
      rawFinishReason: result.rawFinishReason,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
    };
  }
  const result = streamText({ ...common, onError: () => undefined });
  let text = "";
  let reasoning = "";
  const calls: CallPart[] = [];
  let finishReason = "unknown";
  let rawFinishReason: string | undefined;
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") text += part.text;
    else if (part.type === "reasoning-delta") reasoning += part.text;
    else if (part.type === "tool-call") calls.push(callOf(part));
    else if (part.type === "error") throw part.error;
    else if (part.type === "abort") throw Object.assign(new Error(part.reason ?? "aborted"), { name: "AbortError" });
    else if (part.type === "finish") {
      finishReason = part.finishReason;
      rawFinishReason = part.rawFinishReason;
      inputTokens = part.totalUsage.inputTokens;
      outputTokens = part.totalUsage.outputTokens;
    }
  }
  return { text, reasoning, calls, finishReason, rawFinishReason, inputTokens, outputTokens };
}

/** The share of the cap kept free of the starting data, for the tool loop's own results. */
const LOOP_RESERVE = 0.25;

/**
 * The starting data counts against the cap like everything else: a case with many alerts and a large
 * augmentation would otherwise make the very first request too large. Blocks that fit a fair share of the
 * data budget stay whole; each larger block goes through the tools' budget function, which keeps the whole
 * behind a handle (read_result pages it) and puts a first page in context.
 */
function fitStartingData(
  spec: Pick<AgentSpec<unknown>, "data">,
  options: { budget: number; counter: ReturnType<typeof createTokenCounter>; results: ToolContext["results"] },
): { blocks: AgentSpec<unknown>["data"]; fitted: { label: string; tokens: number; kept: number; handle: string | null }[] } {
  const sizes = spec.data.map((block) => options.counter.count(renderUntrusted(block.label, block.content)));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= options.budget) return { blocks: spec.data, fitted: [] };
  // Fair share: small blocks keep their size, what they leave is split among the large ones.
  const order = sizes.map((size, index) => ({ size, index })).sort((a, b) => a.size - b.size);
  let left = options.budget;
  let remaining = order.length;
  const allowance = new Array<number>(sizes.length).fill(0);
  for (const { size, index } of order) {
    const share = Math.floor(left / remaining);
    allowance[index] = Math.min(size, share);
    left -= allowance[index]!;
    remaining--;
  }
  const fitted: { label: string; tokens: number; kept: number; handle: string | null }[] = [];
  const blocks = spec.data.map((block, index) => {
    if (sizes[index]! <= allowance[index]!) return block;
    // The wrapper and label cost a few tokens of their own.
    const maxTokens = Math.max(64, allowance[index]! - 32);
    const page = fitResult(`starting data: ${block.label}`, block.content, { results: options.results, budget: { maxTokens, counter: options.counter } });
    fitted.push({ label: block.label, tokens: sizes[index]!, kept: page.tokens, handle: page.handle });
    return { label: block.label, content: JSON.parse(page.content) as unknown };
  });
  return { blocks, fitted };
}
