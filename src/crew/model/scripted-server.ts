import { createServer, type Server, type ServerResponse } from "node:http";
import { listenOnLoopback, readRequestBody } from "../../core/index.js";
import { createTokenCounter, MESSAGE_OVERHEAD_TOKENS } from "../runtime/tokens.js";

/**
 * A scripted OpenAI-compatible server on loopback: `POST /v1/chat/completions` (plain JSON and SSE
 * streaming, tool calls, usage or none) and `GET /v1/models`, as the OpenAI Chat Completions API and
 * llama.cpp / vLLM / Ollama's compatible servers answer them. Each request takes the next scripted turn
 * (or asks a function for one); every request is recorded for trajectory assertions.
 */
export interface ScriptedToolCall {
  name: string;
  /** Sent as the JSON string of this value, or verbatim when a string (to script malformed arguments). */
  arguments: unknown;
  id?: string;
}

export type ScriptedTurn =
  | { kind: "message"; content: string; reasoning?: string; usage?: Usage | null; finish_reason?: string }
  | { kind: "tool_calls"; calls: ScriptedToolCall[]; content?: string; usage?: Usage | null }
  /** A server quirk: the tool call is written inside the reasoning/content text instead of `tool_calls`. */
  | { kind: "tool_call_in_text"; call: ScriptedToolCall; where: "content" | "reasoning"; usage?: Usage | null }
  | { kind: "error"; status: number; body?: unknown; headers?: Record<string, string> }
  /** The connection is dropped without an answer (a crashed or unreachable server). */
  | { kind: "hang_up" }
  /** Waits this long before answering with `then` (to trip client timeouts). */
  | { kind: "delay"; ms: number; then: ScriptedTurn };

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ChatRequest {
  model?: string;
  messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string; name?: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  stream?: boolean;
  response_format?: unknown;
  temperature?: number;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface RecordedChat {
  body: ChatRequest;
  authorization: string | undefined;
  /** Characters of the raw request body: what a server would have to tokenise. */
  bytes: number;
}

export type Script = ScriptedTurn[] | ((request: ChatRequest, index: number) => ScriptedTurn | Promise<ScriptedTurn>);

export interface ScriptedServer {
  /** Base URL including `/v1`, as OpenAI-compatible clients expect. */
  url: string;
  requests: RecordedChat[];
  /** Turns still queued (array scripts). */
  remaining(): number;
  /** Replaces the script (between runs of a test). */
  script(next: Script): void;
  close(): Promise<void>;
}



/**
 * The prompt tokens a server would report: its chat template tokenises each message's text and tool
 * calls, plus the tool schemas (here with the reference tokenizer, as a server with that vocabulary would).
 */
export function promptTokensOf(body: Pick<ChatRequest, "messages" | "tools">): number {
  const counter = createTokenCounter();
  let total = body.tools && body.tools.length > 0 ? counter.count(JSON.stringify(body.tools)) : 0;
  for (const message of body.messages) {
    const content = typeof message.content === "string" ? message.content : message.content == null ? "" : JSON.stringify(message.content);
    total += counter.count(content) + MESSAGE_OVERHEAD_TOKENS;
    if (message.tool_calls) total += counter.count(JSON.stringify(message.tool_calls));
  }
  return total;
}

const argumentsText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** The Hermes / Qwen convention local models fall back to when a server does not parse tool calls. */
export function toolCallAsText(call: ScriptedToolCall): string {
  return `<tool_call>\n${JSON.stringify({ name: call.name, arguments: call.arguments })}\n</tool_call>`;
}

function usageOf(turn: { usage?: Usage | null }, fallback: Usage): Record<string, number> | undefined {
  if (turn.usage === null) return undefined;
  const usage = turn.usage ?? fallback;
  return { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

export async function startScriptedServer(options: { script?: Script; apiKey?: string; model?: string } = {}): Promise<ScriptedServer> {
  let script: Script = options.script ?? [];
  let served = 0;
  const requests: RecordedChat[] = [];
  const model = options.model ?? "scripted-model";
  let sequence = 0;

  function next(body: ChatRequest): ScriptedTurn | Promise<ScriptedTurn> {
    const index = served++;
    if (typeof script === "function") return script(body, index);
    const turn = script.shift();
    return turn ?? { kind: "error", status: 500, body: { error: { message: "scripted server: no turn left in the script", type: "server_error" } } };
  }

  function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(payload));
  }

  function completion(turn: Exclude<ScriptedTurn, { kind: "error" | "hang_up" | "delay" }>, body: ChatRequest) {
    const id = `chatcmpl-${++sequence}`;
    const created = 1_764_000_000 + sequence;
    const fallback = { prompt_tokens: promptTokensOf(body), completion_tokens: 20 };
    if (turn.kind === "tool_calls") {
      const tool_calls = turn.calls.map((call, i) => ({ id: call.id ?? `call_${sequence}_${i}`, type: "function", function: { name: call.name, arguments: argumentsText(call.arguments) } }));
      return { id, created, message: { role: "assistant", content: turn.content ?? null, tool_calls }, finish_reason: "tool_calls", usage: usageOf(turn, fallback) };
    }
    if (turn.kind === "tool_call_in_text") {
      const text = toolCallAsText(turn.call);
      const message = turn.where === "content" ? { role: "assistant", content: text } : { role: "assistant", content: "", reasoning_content: text };
      return { id, created, message, finish_reason: "stop", usage: usageOf(turn, fallback) };
    }
    const message: Record<string, unknown> = { role: "assistant", content: turn.content };
    if (turn.reasoning) message.reasoning_content = turn.reasoning;
    return { id, created, message, finish_reason: turn.finish_reason ?? "stop", usage: usageOf(turn, fallback) };
  }

  function respond(res: ServerResponse, turn: ScriptedTurn, body: ChatRequest) {
    if (turn.kind === "delay") {
      const timer = setTimeout(() => respond(res, turn.then, body), turn.ms);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (turn.kind === "hang_up") {
      res.socket?.destroy();
      return;
    }
    if (turn.kind === "error") {
      sendJson(res, turn.status, turn.body ?? { error: { message: `scripted ${turn.status}`, type: "server_error" } }, turn.headers);
      return;
    }
    const done = completion(turn, body);
    if (!body.stream) {
      sendJson(res, 200, {
        id: done.id,
        object: "chat.completion",
        created: done.created,
        model,
        choices: [{ index: 0, message: done.message, finish_reason: done.finish_reason, logprobs: null }],
        ...(done.usage ? { usage: done.usage } : {}),
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (delta: unknown, finish: string | null) =>
      res.write(`data: ${JSON.stringify({ id: done.id, object: "chat.completion.chunk", created: done.created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    const message = done.message as { content?: string | null; reasoning_content?: string; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[] };
    chunk({ role: "assistant", content: "" }, null);
    if (message.reasoning_content) for (const part of split(message.reasoning_content)) chunk({ reasoning_content: part }, null);
    if (message.content) for (const part of split(message.content)) chunk({ content: part }, null);
    (message.tool_calls ?? []).forEach((call, index) => {
      chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }, null);
      for (const part of split(call.function.arguments)) chunk({ tool_calls: [{ index, function: { arguments: part } }] }, null);
    });
    chunk({}, done.finish_reason);
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    if (includeUsage && done.usage) res.write(`data: ${JSON.stringify({ id: done.id, object: "chat.completion.chunk", created: done.created, model, choices: [], usage: done.usage })}\n\n`);
    res.end("data: [DONE]\n\n");
  }

  const server: Server = createServer(async (req, res) => {
    const text = await readRequestBody(req);
    const path = (req.url ?? "/").split("?")[0];
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`)
      return sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
    if (req.method === "GET" && path === "/v1/models") return sendJson(res, 200, { object: "list", data: [{ id: model, object: "model", created: 1_764_000_000, owned_by: "nightshift" }] });
    if (req.method !== "POST" || path !== "/v1/chat/completions") return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } });
    let body: ChatRequest;
    try {
      body = JSON.parse(text) as ChatRequest;
    } catch {
      return sendJson(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } });
    }
    requests.push({ body, authorization: req.headers.authorization, bytes: text.length });
    let turn: ScriptedTurn;
    try {
      turn = await next(body);
    } catch (error) {
      return sendJson(res, 500, { error: { message: `scripted server: ${error instanceof Error ? error.message : String(error)}`, type: "server_error" } });
    }
    respond(res, turn, body);
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: `${loopback.url}/v1`,
    requests,
    remaining: () => (Array.isArray(script) ? script.length : Infinity),
    script(nextScript) {
      script = nextScript;
    },
    close: loopback.close,
  };
}

/** Splits text into a few stream deltas, as a server streams tokens. */
function split(text: string): string[] {
  if (text.length <= 8) return [text];
  const size = Math.ceil(text.length / 3);
  return [text.slice(0, size), text.slice(size, 2 * size), text.slice(2 * size)];
}
