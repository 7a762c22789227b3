import { jsonSchema, tool, type LanguageModel, type ModelMessage, type ToolSet } from "ai";
import { performance } from "node:perf_hooks";
import type { RunUsage, TraceEntry } from "../../core/index.js";
import type { ToolContext, ToolDefinition, ToolErrorCode, ToolResult } from "../tools/tool.js";
import { fitRequest, fitStartingData, LOOP_RESERVE, resultBudget } from "./context-budget.js";
import { classifyError, failure, refusedResponseFormat } from "./failures.js";
import { renderTask, renderUntrusted, toolResultLabel } from "./messages.js";
import { callModel, type CallPart, type ModelReply, type Phase } from "./model-call.js";
import { extractJsonObject, splitThinking, toolCallsInText } from "./parse.js";
import { analystName, createModel, publicSettings, withoutSecrets } from "./provider.js";
import { finish } from "./repair.js";
import { RunFailed, type AgentRun } from "./run-state.js";
import { jsonSchemaOf, rawJsonOutput, SCHEMA_HINT, schemaHint } from "./structured-output.js";
import { createTokenCounter, DEFAULT_SAFETY_MARGIN, MESSAGE_OVERHEAD_TOKENS, requestCap } from "./tokens.js";
import { errorResult } from "../tools/budget.js";
import { defaultToolExecutor } from "./tool-call.js";
import { createRecorder, messagesForTrace } from "./trace.js";
import type { AgentOutcome, AgentRunInput, AgentSpec, RunAgentOptions } from "./types.js";

// The agent loop: one request per step, the tool calls it makes run and fed back, until a reply without calls
// is the answer. The parts: `context-budget.ts`, `model-call.ts`, `structured-output.ts`, `repair.ts`, `trace.ts`.

export { RESULT_SHARE_OF_CAP } from "./context-budget.js";

/** More errored tool calls than this in one run and the run fails: the model is not using its tools. */
export const MAX_TOOL_ERRORS = 3;
/** Reported prompt tokens below this share of our count mean the server cut the prompt. */
export const TRUNCATION_RATIO = 0.6;
/** Requests smaller than this are not judged for truncation (templates differ by a few hundred tokens). */
export const TRUNCATION_MIN_TOKENS = 2000;
/** Tool errors that count against the run: the model called something it should not have. */
const COUNTED_TOOL_ERRORS: ReadonlySet<ToolErrorCode> = new Set<ToolErrorCode>(["unknown_tool", "invalid_arguments", "forbidden"]);

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

  const record = createRecorder(trace, clock, options.onEntry);

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
  let toolErrors = 0;
  let callNumber = 0;
  const run: AgentRun<O> = {
    spec,
    options,
    settings,
    cap,
    counter,
    usage,
    record,
    messages,
    slots: [],
    messageTokens: new WeakMap<ModelMessage, number>(),
    systemTokens,
    toolSchemaTokens,
    outputSchema,
    ratio: 1,
    responseFormat: settings.structured_output,
    send,
  };

  async function send(phase: Phase, withTools: boolean): Promise<ModelReply> {
    const { raw, estimate } = fitRequest(run, withTools);
    const structured = phase !== "step" && run.responseFormat !== "none";
    record(
      "request",
      {
        phase,
        messages: messagesForTrace(spec.system, messages),
        tools: withTools ? spec.tools.map((def) => def.name) : [],
        response_format: structured ? run.responseFormat : null,
        raw_tokens: raw,
        ratio: run.ratio,
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
        output: structured ? rawJsonOutput(run.responseFormat === "json_schema" ? outputSchema : null, spec.output.name) : undefined,
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
        const from = run.responseFormat;
        run.responseFormat = from === "json_schema" ? "json_object" : "none";
        record("note", { response_format: { from, to: run.responseFormat, reason: withoutSecrets(settings, refused) } }, { latency_ms: Math.round(latency) });
        // The schema no longer travels as response_format: the instruction that asked for the answer carries it.
        const last = messages.at(-1);
        if (from === "json_schema" && last?.role === "user" && typeof last.content === "string" && !last.content.includes(SCHEMA_HINT))
          messages[messages.length - 1] = { role: "user", content: `${last.content}${schemaHint(outputSchema)}` };
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
    const tokensIn = reply.inputTokens ?? Math.ceil(raw * run.ratio);
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
    if (reply.inputTokens !== undefined && raw > 0) run.ratio = Math.max(run.ratio, reply.inputTokens / raw);
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
      const budget = { maxTokens: resultBudget(run), counter };
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
      run.slots.push({ message: messages.length - 1, part: 0, tool: call.name.replace(/[^\w.-]/g, "_").slice(0, 64), call: number, result, elided: false });

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

  let model: LanguageModel;
  try {
    model = options.languageModel ?? createModel(settings);
    let steps = 0;
    for (;;) {
      if (steps >= spec.maxSteps) throw new RunFailed(failure("step_limit", `still calling tools after ${spec.maxSteps} steps`));
      steps++;
      const reply = withTextCalls(await send("step", true));
      if (reply.calls.length === 0) {
        const output = await finish(run, reply);
        record("output", { output });
        return { ok: true, output, usage, trace, analyst, input };
      }
      await runCalls(reply);
    }
  } catch (error) {
    const raw = error instanceof RunFailed ? error.failure : failure("other", error instanceof Error ? error.message : String(error));
    const runFailure = { ...raw, message: withoutSecrets(settings, raw.message) };
    record("error", { ...runFailure });
    return { ok: false, failure: runFailure, usage, trace, analyst, input };
  }
}
