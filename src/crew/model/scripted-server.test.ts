import { afterEach, describe, expect, it } from "vitest";
import { promptTokensOf, startScriptedServer, toolCallAsText, type ScriptedServer } from "./scripted-server.js";

async function post(server: ScriptedServer, body: Record<string, unknown>, key = "k") {
  return fetch(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
}

/** Reassembles an SSE chat-completion stream the way a client does. */
async function assemble(response: Response) {
  const text = await response.text();
  const events = text.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
  expect(events.at(-1)).toBe("[DONE]");
  let content = "";
  let reasoning = "";
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  let finish: string | null = null;
  let usage: unknown = null;
  for (const event of events.slice(0, -1)) {
    const chunk = JSON.parse(event) as { choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: unknown };
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      content += (choice.delta.content as string | undefined) ?? "";
      reasoning += (choice.delta.reasoning_content as string | undefined) ?? "";
      for (const call of (choice.delta.tool_calls as { index: number; id?: string; function: { name?: string; arguments?: string } }[] | undefined) ?? []) {
        const slot = (calls[call.index] ??= { arguments: "" });
        if (call.id) slot.id = call.id;
        if (call.function.name) slot.name = call.function.name;
        slot.arguments += call.function.arguments ?? "";
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  return { content, reasoning, calls, finish, usage };
}

describe("scripted OpenAI-compatible server", () => {
  let server: ScriptedServer;
  afterEach(async () => server.close());

  it("answers turns in order, records requests and checks the key", async () => {
    server = await startScriptedServer({
      apiKey: "k",
      script: [
        { kind: "tool_calls", calls: [{ name: "get_case", arguments: { case_id: "C-1" } }] },
        { kind: "message", content: '{"verdict":"ESCALATED"}', usage: { prompt_tokens: 900, completion_tokens: 12 } },
      ],
    });
    expect((await post(server, { messages: [] }, "wrong")).status).toBe(401);
    const first = (await (await post(server, { model: "m", messages: [{ role: "user", content: "hi" }], tools: [] })).json()) as {
      choices: { message: { tool_calls: { function: { name: string; arguments: string } }[] }; finish_reason: string }[];
    };
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(first.choices[0]!.message.tool_calls[0]!.function).toEqual({ name: "get_case", arguments: '{"case_id":"C-1"}' });
    const second = (await (await post(server, { messages: [{ role: "user", content: "again" }] })).json()) as { choices: { message: { content: string } }[]; usage: { total_tokens: number } };
    expect(second.choices[0]!.message.content).toBe('{"verdict":"ESCALATED"}');
    expect(second.usage.total_tokens).toBe(912);
    expect(server.requests.map((r) => r.body.messages.length)).toEqual([1, 1]);
    expect(server.remaining()).toBe(0);
    expect((await post(server, { messages: [] })).status).toBe(500);
  });

  it("streams content, reasoning and tool-call argument fragments, with usage only when asked", async () => {
    server = await startScriptedServer({
      script: [
        { kind: "tool_calls", calls: [{ name: "search_events", arguments: { query: { host: "ws-042" }, size: 500 } }, { name: "get_asset", arguments: { host: "ws-042" } }] },
        { kind: "message", content: "a longer final answer text", reasoning: "thinking it over carefully", usage: null },
      ],
    });
    const tools = await assemble(await post(server, { stream: true, stream_options: { include_usage: true }, messages: [] }));
    expect(tools.finish).toBe("tool_calls");
    expect(tools.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ["search_events", { query: { host: "ws-042" }, size: 500 }],
      ["get_asset", { host: "ws-042" }],
    ]);
    expect(tools.usage).toMatchObject({ completion_tokens: 20 });
    const text = await assemble(await post(server, { stream: true, stream_options: { include_usage: true }, messages: [] }));
    expect([text.content, text.reasoning, text.finish, text.usage]).toEqual(["a longer final answer text", "thinking it over carefully", "stop", null]);
  });

  it("reproduces quirks and faults: a tool call written in the reasoning text, errors with headers, a dropped connection", async () => {
    server = await startScriptedServer({
      script: (_request, index) =>
        index === 0
          ? { kind: "tool_call_in_text", call: { name: "get_alert", arguments: { alert_id: "a1" } }, where: "reasoning" }
          : index === 1
            ? { kind: "error", status: 429, headers: { "retry-after": "3" }, body: { error: { message: "quota exceeded", type: "insufficient_quota" } } }
            : { kind: "hang_up" },
    });
    const quirk = (await (await post(server, { messages: [] })).json()) as { choices: { message: { content: string; reasoning_content: string; tool_calls?: unknown } }[] };
    expect(quirk.choices[0]!.message.tool_calls).toBeUndefined();
    expect(quirk.choices[0]!.message.reasoning_content).toBe(toolCallAsText({ name: "get_alert", arguments: { alert_id: "a1" } }));
    const limited = await post(server, { messages: [] });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "3"]);
    await expect(post(server, { messages: [] })).rejects.toThrow();
  });

  it("reports prompt tokens as a server tokenising messages, tool calls and tool schemas would", async () => {
    server = await startScriptedServer({ script: [{ kind: "message", content: "ok" }, { kind: "message", content: "ok" }] });
    const small = { messages: [{ role: "user", content: "hello" }] };
    const large = {
      messages: [{ role: "user", content: "hello ".repeat(500) }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_case", arguments: "{}" } }] }],
      tools: [{ type: "function", function: { name: "get_case", parameters: { type: "object" } } }],
    };
    const usages = [];
    for (const body of [small, large]) usages.push(((await (await post(server, body)).json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens);
    expect(usages).toEqual([promptTokensOf(small), promptTokensOf(large)]);
    expect(usages[0]).toBe(1 + 4);
    expect(usages[1]!).toBeGreaterThan(500);
  });
});
