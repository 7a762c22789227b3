import { systemClock, type Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import type { ChatRequest, Script, ScriptedToolCall, ScriptedTurn } from "../model/scripted-server.js";
import { decideDeterministic, loadToraInput } from "../tora/handler.js";
import { loadVeraInput } from "../vera/augment.js";
import { investigateDeterministic } from "../vera/deterministic.js";

/**
 * A scripted model that plays the analyst: it works a plan of tool calls, then answers with what the
 * deterministic analyst decides for the same case (read from the same database), as JSON in the message.
 * End-to-end tests and `bench/crew` point the crew at it: decisions come out as the offline analyst's, every
 * byte still travels the model path (requests, tool loop, budget, validation, guardrails, trace).
 *
 * `greedy`: the plan asks for the largest searches the tools allow (no filter, the maximum page, every page
 * of a handle it is given) — what a careless model does, and what the context budget must withstand.
 */
export interface AnalystScriptOptions {
  db: Db;
  clock?: Clock;
  greedy?: boolean;
  /** Tool calls a run makes before answering (greedy: up to this many; default 4, greedy 8). */
  toolCalls?: number;
  /** How VERA answers: the integrator plugs VERA's deterministic analyst in here (agent "VERA"). */
  answers?: Partial<Record<"TORA" | "VERA", (db: Db, caseId: string, clock: Clock) => Promise<unknown>>>;
}

type Message = ChatRequest["messages"][number];

const CASE_ID = /\b(?:TORA|VERA)-(\d{8})-(\d{4,})\b/;

function text(message: Message | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  if (Array.isArray(message.content)) return message.content.map((part) => (typeof part === "object" && part && "text" in part ? String(part.text) : "")).join("");
  return "";
}

function agentOf(request: ChatRequest): "TORA" | "VERA" {
  return /^#\s*VERA\b/m.test(text(request.messages.find((m) => m.role === "system")).slice(0, 400)) ? "VERA" : "TORA";
}

function caseIdOf(request: ChatRequest): string | null {
  // The task is the trusted head of the first user message (built from ids only, before any data block).
  const task = text(request.messages.find((m) => m.role === "user")).split("<untrusted_data")[0] ?? "";
  const match = CASE_ID.exec(task);
  return match ? `TORA-${match[1]}-${match[2]}` : null;
}

function toolCallsSoFar(request: ChatRequest): number {
  return request.messages.reduce((n, m) => n + (m.role === "assistant" && Array.isArray(m.tool_calls) ? m.tool_calls.length : 0), 0);
}

/** The newest handle a tool result offered (`"handle":"r-3"`), to page through as a careless model would. */
function lastHandle(request: ChatRequest): string | null {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role !== "tool") continue;
    const match = /"handle"\s*:\s*"(r-\d+)"/.exec(text(message));
    if (match) return match[1]!;
  }
  return null;
}

function offered(request: ChatRequest): Set<string> {
  return new Set((request.tools ?? []).map((t) => t.function.name));
}

function plan(request: ChatRequest, caseId: string, greedy: boolean, index: number): ScriptedToolCall | null {
  const tools = offered(request);
  const handle = lastHandle(request);
  const steps: ScriptedToolCall[] = greedy
    ? [
        { name: "get_case", arguments: { case_id: caseId } },
        { name: "search_events", arguments: { limit: 200 } },
        ...(handle ? [{ name: "read_result", arguments: { handle, page: 2 } }] : []),
        { name: "search_events", arguments: { limit: 200, order: "asc" } },
        ...(handle ? [{ name: "read_result", arguments: { handle, page: 3 } }] : []),
        { name: "similar_cases", arguments: { case_id: caseId } },
        { name: "search_events", arguments: { limit: 200, text: "exe" } },
        { name: "list_devices", arguments: {} },
      ]
    : [
        { name: "get_case", arguments: { case_id: caseId } },
        { name: "similar_cases", arguments: { case_id: caseId } },
        { name: "search_events", arguments: { limit: 20 } },
        { name: "read_shift_memory", arguments: {} },
      ];
  const available = steps.filter((s) => tools.has(s.name));
  return available[index] ?? null;
}

export function analystScript(options: AnalystScriptOptions): Script {
  const clock = options.clock ?? systemClock;
  const greedy = options.greedy ?? false;
  const limit = options.toolCalls ?? (greedy ? 8 : 4);
  let calls = 0;
  return async (request): Promise<ScriptedTurn> => {
    const agent = agentOf(request);
    const caseId = caseIdOf(request);
    if (!caseId) return { kind: "message", content: "I cannot find the case id in the task." };
    const done = toolCallsSoFar(request);
    if ((request.tools?.length ?? 0) > 0 && done < limit) {
      const call = plan(request, caseId, greedy, done);
      if (call) return { kind: "tool_calls", calls: [{ ...call, id: `call_${++calls}` }] };
    }
    const answer = options.answers?.[agent] ?? (agent === "TORA" ? toraAnswer : undefined);
    if (!answer) return { kind: "message", content: `No ${agent} answer is scripted.` };
    return { kind: "message", content: JSON.stringify(await answer(options.db, caseId, clock)) };
  };
}

/** TORA's deterministic decision on the case, as a proposal (without `nova_feed`, which code fills). */
export async function toraAnswer(db: Db, caseId: string, clock: Clock): Promise<unknown> {
  const now = clock.now();
  const { input } = await loadToraInput(db, caseId, now);
  const { output } = decideDeterministic(input, clock, now);
  const { nova_feed: _omitted, ...proposal } = output;
  return proposal;
}

/** VERA's deterministic investigation of the case, as the model's answer. */
export async function veraAnswer(db: Db, caseId: string, clock: Clock): Promise<unknown> {
  const input = await loadVeraInput(db, caseId, clock);
  const { vera_id: _id, severity_delta: _delta, nova_feed: _feed, ...proposal } = investigateDeterministic(input, clock.now().toISOString());
  return proposal;
}
