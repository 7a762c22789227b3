/**
 * Reading what models write: the final answer as JSON inside prose or fences, and tool calls that a
 * server failed to parse (Hermes/Qwen `<tool_call>` tags, a bare `{"name", "arguments"}` message,
 * a fenced one, or any of these inside the reasoning text).
 */

export interface TextToolCall {
  name: string;
  /** Parsed arguments, or the raw text when it was not JSON (reported as invalid arguments). */
  input: unknown;
  rawArguments: string;
}

const FENCE = /^\s*```[a-zA-Z0-9_-]*\s*\n?([\s\S]*?)\n?\s*```\s*$/;

export function stripFences(text: string): string {
  const match = FENCE.exec(text);
  return match ? match[1]! : text;
}

const LEADING_THINK = /^\s*<(think|thinking|reasoning)>([\s\S]*?)(?:<\/\1>|$)/i;
const CLOSE_THINK = /<\/(?:think|thinking|reasoning)>/i;
const OPEN_THINK_ANYWHERE = /<(?:think|thinking|reasoning)>/i;

/**
 * Reasoning models served without a reasoning parser (Qwen3, QwQ, DeepSeek-R1 on llama.cpp or older Ollama)
 * write their thinking at the start of the content as `<think>…</think>`, or with the opening tag already in
 * the prompt template so only `</think>` appears. Drafts in there must not be taken for the answer or a tool
 * call, nor be sent back as the conversation: the thinking moves to the reasoning. Only a block that leads
 * the content counts — tags further on may be quoted alert text inside the answer, and stay where they are.
 */
export function splitThinking(text: string, reasoning: string): { text: string; reasoning: string } {
  const thoughts: string[] = [];
  let rest = text;
  for (let lead = LEADING_THINK.exec(rest); lead; lead = LEADING_THINK.exec(rest)) {
    thoughts.push(lead[2]!.trim());
    rest = rest.slice(lead[0].length);
  }
  if (thoughts.length === 0) {
    const close = CLOSE_THINK.exec(rest);
    const span = close ? firstObjectSpan(rest) : null;
    // A closing tag inside the first JSON object is quoted text of the answer, not the end of thinking.
    const opened = close ? OPEN_THINK_ANYWHERE.test(rest.slice(0, close.index)) : false;
    if (close && !opened && !(span && span.start < close.index && close.index < span.end)) {
      thoughts.push(rest.slice(0, close.index).trim());
      rest = rest.slice(close.index + close[0].length);
    }
  }
  if (thoughts.length === 0) return { text, reasoning };
  return { text: rest.trim(), reasoning: [reasoning, ...thoughts].filter((t) => t.length > 0).join("\n\n") };
}

/** From `start` (a `{`), the index just past its matching `}`, honouring strings; -1 when unbalanced. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Where the first JSON object of a text stands, and its value; null when there is none. */
function firstObjectSpan(body: string): { start: number; end: number; value: Record<string, unknown> } | null {
  for (let start = body.indexOf("{"); start !== -1; start = body.indexOf("{", start + 1)) {
    const end = matchingBrace(body, start);
    if (end === -1) continue;
    try {
      const value: unknown = JSON.parse(body.slice(start, end));
      if (value && typeof value === "object" && !Array.isArray(value)) return { start, end, value: value as Record<string, unknown> };
    } catch {
      // not JSON from this brace: try the next one
    }
  }
  return null;
}

/** The outermost JSON object in a text (fences stripped, prose around it ignored); null when there is none. */
export function extractJsonObject(text: string): { value: Record<string, unknown> } | null {
  const span = firstObjectSpan(stripFences(text.trim()));
  return span ? { value: span.value } : null;
}

function asToolCall(value: unknown): TextToolCall | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const fn = record.function && typeof record.function === "object" ? (record.function as Record<string, unknown>) : record;
  if (typeof fn.name !== "string" || fn.name.length === 0) return null;
  const args = "arguments" in fn ? fn.arguments : "parameters" in fn ? fn.parameters : undefined;
  if (args === undefined) return null;
  if (typeof args === "string") {
    try {
      return { name: fn.name, input: JSON.parse(args) as unknown, rawArguments: args };
    } catch {
      return { name: fn.name, input: args, rawArguments: args };
    }
  }
  return { name: fn.name, input: args, rawArguments: JSON.stringify(args) };
}

const TAGGED = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/gi;

/** Tool calls written as text. Tagged calls anywhere; a bare or fenced call only as the whole text. */
export function toolCallsInText(text: string): TextToolCall[] {
  const calls: TextToolCall[] = [];
  for (const match of text.matchAll(TAGGED)) {
    const inner = stripFences(match[1]!);
    const found = extractJsonObject(inner);
    const call = found ? asToolCall(found.value) : null;
    if (call) calls.push(call);
  }
  if (calls.length > 0) return calls;
  const whole = stripFences(text.trim()).trim();
  if (!whole.startsWith("{") || !whole.endsWith("}")) return [];
  try {
    const call = asToolCall(JSON.parse(whole));
    return call ? [call] : [];
  } catch {
    return [];
  }
}

const REFUSAL =
  /\b(?:I|we)\s*(?:'m|am|are)?\s*(?:can(?:'|no)?t|cannot|won'?t|will not|unable to|not able to|must decline|(?:'m|am) sorry,? but)\b[^.]{0,80}\b(?:help|assist|comply|provide|do that|continue|complete|fulfil|fulfill|analy[sz]e|this request)\b/i;

/** A reply that declines the task instead of answering (checked only on replies without JSON). */
export function looksLikeRefusal(text: string): boolean {
  return REFUSAL.test(text) || /\b(?:I'm sorry|I am sorry|I apologi[sz]e)\b[\s\S]{0,60}\b(?:can(?:'|no)?t|cannot|unable)\b/i.test(text);
}
