import type { AgentRun, TraceEntry } from "../../core/index.js";

/** A recorded TORA run for tests: a request, a search tool call and its result, the answer and the output. */
export function sampleRun(overrides: Partial<AgentRun> = {}): AgentRun {
  return {
    id: "run-1",
    case_id: "TORA-20261124-0001",
    agent: "TORA",
    tier: 1,
    analyst: "model:qwen3-32b",
    prompt_version: "tora.v1",
    status: "succeeded",
    attempt: 1,
    failure: null,
    decision_id: "decision-1",
    fallback: null,
    usage: {
      tokens_in: 1800,
      tokens_out: 240,
      estimated: false,
      cost: 0.0042,
      requests: 2,
      tool_calls: 1,
      largest_request_tokens: 1100,
      request_cap_tokens: 26_214,
      model_ms: 900,
      tool_ms: 35,
    },
    started_at: "2026-11-24T10:00:00.000Z",
    finished_at: "2026-11-24T10:00:02.000Z",
    ...overrides,
  };
}

export function sampleInput(): Record<string, unknown> {
  return {
    system: "You are TORA.",
    task: "Triage case TORA-20261124-0001.",
    data: [{ label: "alert", content: { title: "DNS lookup of a known C2 domain" } }],
    tools: ["search_events"],
    output: "tora_output",
    prompt_version: "tora.v1",
    model: { base_url: "http://127.0.0.1:9/v1", model: "qwen3-32b" },
    max_steps: 12,
  };
}

export function sampleTrace(count = 5): TraceEntry[] {
  const kinds: TraceEntry["kind"][] = ["request", "response", "tool_call", "tool_result", "output"];
  return Array.from({ length: count }, (_, seq) => {
    const kind = kinds[seq % kinds.length]!;
    return {
      seq,
      kind,
      at: new Date(Date.parse("2026-11-24T10:00:00.000Z") + seq * 100).toISOString(),
      latency_ms: kind === "response" ? 450.5 : kind === "tool_result" ? 35 : null,
      tokens_in: kind === "request" ? 900 + seq : kind === "response" ? 900 : kind === "tool_result" ? 4 : null,
      tokens_out: kind === "response" ? 120 : null,
      tokens_estimated: seq % 2 === 1,
      cost: kind === "response" ? 0.0021 : null,
      data: dataFor(kind, seq),
    };
  });
}

/** Payloads in the shapes src/crew/runtime/agent.ts records. */
function dataFor(kind: TraceEntry["kind"], seq: number): Record<string, unknown> {
  switch (kind) {
    case "request":
      return { phase: "step", messages: [{ role: "system", content: "You are TORA." }, { role: "user", content: `step ${seq}` }], tools: ["search_events"], response_format: null, raw_tokens: 800 + seq, ratio: 1, cap: 26_214 };
    case "response":
      return {
        phase: "step",
        text: "",
        reasoning: "",
        tool_calls: [{ id: `call_${seq}`, name: "search_events", arguments: { host: "ws-1", size: 50 }, source: "native" }],
        finish_reason: "tool-calls",
        raw_finish_reason: "tool_calls",
        usage: { prompt_tokens: 900, completion_tokens: 120 },
      };
    case "tool_call":
      return { call: 1, tool: "search_events", tool_call_id: `call_${seq - 1}`, arguments: { host: "ws-1", size: 50 }, source: "native" };
    case "tool_result":
      return { call: 1, tool: "search_events", tool_call_id: `call_${seq - 2}`, ok: true, content: '{"events":[]}', handle: "r-1", truncated: false, error: null, budget_tokens: 6000, full: { events: [], nul: "a\u0000b" } };
    default:
      return { output: { verdict: "ESCALATED", confidence: 72 } };
  }
}
