import type { ModelMessage } from "ai";
import { isoNow, type Clock, type TraceEntry, type TraceKind } from "../../core/index.js";

// The run's trace: entries numbered in order, pushed to a live viewer as they happen, and the messages as the
// trace keeps them.

export type Recorder = (kind: TraceKind, data: Record<string, unknown>, extra?: Partial<Omit<TraceEntry, "seq" | "kind" | "data">>) => TraceEntry;

/** Appends to `trace`; a throwing `onEntry` (a live viewer) never breaks the run. */
export function createRecorder(trace: TraceEntry[], clock: Clock, onEntry: ((entry: TraceEntry) => void) | undefined): Recorder {
  return (kind, data, extra = {}) => {
    const entry: TraceEntry = { seq: trace.length, kind, at: isoNow(clock), latency_ms: null, tokens_in: null, tokens_out: null, tokens_estimated: false, cost: null, data, ...extra };
    trace.push(entry);
    try {
      onEntry?.(entry);
    } catch {
      // a live viewer must not break the run
    }
    return entry;
  };
}

export function textOfMessage(message: ModelMessage): string {
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
export function messagesForTrace(system: string, messages: ModelMessage[]): Record<string, unknown>[] {
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

