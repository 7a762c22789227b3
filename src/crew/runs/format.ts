import type { AgentRun, RunExport, TraceEntry } from "../../core/index.js";

/** Plain-text views of runs for the terminal (`nightshift runs list|show`). Trace data is shown, never interpreted. */

const DETAIL_CHARS = 160;

function clip(text: string, max = DETAIL_CHARS): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function json(value: unknown, max = DETAIL_CHARS): string {
  return clip(typeof value === "string" ? value : (JSON.stringify(value) ?? String(value)), max);
}

const record = (value: unknown): Record<string, unknown> => (value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const text = (value: unknown): string | null => (typeof value === "string" && value.length > 0 ? value : null);

function ms(value: number | null): string {
  if (value == null) return "";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function toolCallsOf(data: Record<string, unknown>): string[] {
  const calls = Array.isArray(data.tool_calls) ? data.tool_calls : [];
  return calls.map((call) => {
    const c = record(call);
    const fn = record(c.function);
    const name = text(c.name) ?? text(c.toolName) ?? text(fn.name) ?? "?";
    return `${name}(${json(c.arguments ?? c.args ?? c.input ?? fn.arguments ?? {}, 80)})`;
  });
}

function errorText(value: unknown): string {
  const error = record(value);
  if (Object.keys(error).length === 0) return text(value) ?? "";
  const kind = text(error.code) ?? text(error.kind);
  const message = text(error.message) ?? json(error);
  return kind ? `${kind}: ${message}` : message;
}

/** One line of detail per trace kind, from the keys the runtime records (unknown shapes fall back to JSON). */
export function entryDetail(entry: TraceEntry): string {
  const d = entry.data;
  switch (entry.kind) {
    case "request": {
      const messages = Array.isArray(d.messages) ? `${d.messages.length} messages` : null;
      const tokens = typeof d.tokens === "number" ? `${d.tokens} tokens` : null;
      const cap = typeof d.cap === "number" ? `cap ${d.cap}` : typeof d.request_cap_tokens === "number" ? `cap ${d.request_cap_tokens}` : null;
      const phase = text(d.phase);
      return [phase, messages, tokens, cap].filter(Boolean).join(", ");
    }
    case "response": {
      const parts: string[] = [];
      const calls = toolCallsOf(d);
      if (calls.length > 0) parts.push(`tool calls: ${calls.join(", ")}`);
      const said = text(d.text) ?? text(d.content);
      if (said) parts.push(`text: ${json(said, 100)}`);
      if (text(d.reasoning)) parts.push("(reasoning recorded)");
      if (text(d.finish_reason)) parts.push(`finish ${String(d.finish_reason)}`);
      return parts.join("; ");
    }
    case "tool_call": {
      const name = text(d.name) ?? text(d.tool) ?? "?";
      return `${name} ${json(d.args ?? d.arguments ?? d.input ?? {})}`;
    }
    case "tool_result": {
      const name = text(d.name) ?? text(d.tool) ?? "";
      const status = d.ok === false || d.error ? `error ${errorText(d.error)}` : "ok";
      const extras = [entry.tokens_in != null ? `${entry.tokens_in} tokens in context` : null, text(d.handle) ? `handle ${String(d.handle)}` : null, d.truncated === true ? "truncated" : null];
      return [name, status, ...extras].filter(Boolean).join(" · ");
    }
    case "error":
      return errorText(d.error ?? d.failure ?? d);
    case "repair":
      return Array.isArray(d.errors) ? `repair${d.cut_off === true ? " (answer cut off at the output limit)" : ""}: ${json(d.errors)}` : json(d);
    case "output": {
      const output = record(d.output ?? d);
      const verdict = text(output.verdict);
      return verdict ? `verdict ${verdict}${typeof output.confidence === "number" ? ` (confidence ${output.confidence})` : ""}` : json(output);
    }
    default:
      return json(d);
  }
}

function tokens(entry: TraceEntry): string {
  const parts = [entry.tokens_in != null ? `${entry.tokens_in} in` : null, entry.tokens_out != null ? `${entry.tokens_out} out` : null].filter(Boolean);
  return parts.length > 0 ? `${parts.join(" / ")}${entry.tokens_estimated ? "~" : ""}` : "";
}

function usageLine(run: AgentRun): string {
  const u = run.usage;
  return [
    `tokens ${u.tokens_in} in / ${u.tokens_out} out${u.estimated ? " (partly estimated)" : ""}`,
    `cost ${u.cost.toFixed(4)}`,
    `${u.requests} requests`,
    `${u.tool_calls} tool calls`,
    `largest request ${u.largest_request_tokens} of cap ${u.request_cap_tokens}`,
    `model ${ms(u.model_ms) || "0 ms"}, tools ${ms(u.tool_ms) || "0 ms"}`,
  ].join(" · ");
}

/** The run's header and one row per step: seq, kind, tokens (~ = estimated), latency, detail. */
export function formatTrace(exported: RunExport, options: { data?: boolean } = {}): string {
  const { run, trace } = exported;
  const lines = [
    `run ${run.id} · ${run.agent} (tier ${run.tier}) · ${run.analyst}${run.prompt_version ? ` · ${run.prompt_version}` : ""} · ${run.status} · attempt ${run.attempt}`,
    `case ${run.case_id} · started ${run.started_at}${run.finished_at ? ` · finished ${run.finished_at}` : ""}`,
    usageLine(run),
  ];
  if (run.failure) lines.push(`failure ${run.failure.kind}${run.failure.retryable ? " (retryable)" : ""}: ${clip(run.failure.message, 400)}`);
  if (run.decision_id) lines.push(`decision ${run.decision_id}`);
  if (run.fallback) lines.push(`fallback (deterministic, not applied): ${json(run.fallback)}`);
  lines.push("", `${"seq".padStart(4)}  ${"kind".padEnd(11)}  ${"tokens".padEnd(16)}  ${"latency".padEnd(9)}  detail`);
  for (const entry of trace) {
    lines.push(`${String(entry.seq).padStart(4)}  ${entry.kind.padEnd(11)}  ${tokens(entry).padEnd(16)}  ${ms(entry.latency_ms).padEnd(9)}  ${entryDetail(entry)}`);
    if (options.data) lines.push(`      ${JSON.stringify(entry.data)}`);
  }
  if (trace.length === 0) lines.push("      (no trace entries)");
  return `${lines.join("\n")}\n`;
}

export function formatRunList(runs: AgentRun[]): string {
  if (runs.length === 0) return "no runs\n";
  const header = `${"run".padEnd(38)}  ${"case".padEnd(20)}  ${"agent".padEnd(5)}  ${"status".padEnd(9)}  ${"try".padEnd(3)}  ${"tokens in/out".padEnd(15)}  ${"started".padEnd(24)}  failure`;
  const rows = runs.map(
    (run) =>
      `${run.id.padEnd(38)}  ${run.case_id.padEnd(20)}  ${run.agent.padEnd(5)}  ${run.status.padEnd(9)}  ${String(run.attempt).padEnd(3)}  ${`${run.usage.tokens_in}/${run.usage.tokens_out}`.padEnd(15)}  ${run.started_at.padEnd(24)}  ${run.failure ? `${run.failure.kind}: ${clip(run.failure.message, 60)}` : ""}`,
  );
  return `${[header, ...rows].join("\n")}\n`;
}
