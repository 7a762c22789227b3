import type { ModelMessage } from "ai";
import { fitResult } from "../tools/budget.js";
import type { ToolContext } from "../tools/tool.js";
import { failure } from "./failures.js";
import { renderUntrusted } from "./messages.js";
import { RunFailed, type AgentRun, type ResultSlot } from "./run-state.js";
import { DEFAULT_SAFETY_MARGIN, MESSAGE_OVERHEAD_TOKENS, type TokenCounter } from "./tokens.js";
import { textOfMessage } from "./trace.js";
import type { AgentSpec } from "./types.js";

// The context budget: every request counted and held under the cap, old tool results elided to stubs (oldest
// first), each new result given what the cap leaves, and the starting data fitted before the first request.

/** A result may take at most this share of the request cap. */
export const RESULT_SHARE_OF_CAP = 0.25;
/** Tokens the untrusted_data wrapper and label add around a tool result. */
const RESULT_WRAPPER_TOKENS = 40;
/** The share of the cap kept free of the starting data, for the tool loop's own results. */
export const LOOP_RESERVE = 0.25;

function itemCount(value: unknown): number | null {
  if (Array.isArray(value)) return value.length;
  if (value && typeof value === "object") {
    const arrays = Object.values(value as Record<string, unknown>).filter(Array.isArray);
    if (arrays.length === 1) return (arrays[0] as unknown[]).length;
  }
  return null;
}

function tokensOf<O>(run: AgentRun<O>, message: ModelMessage): number {
  let tokens = run.messageTokens.get(message);
  if (tokens === undefined) {
    tokens = run.counter.count(textOfMessage(message)) + MESSAGE_OVERHEAD_TOKENS;
    run.messageTokens.set(message, tokens);
  }
  return tokens;
}

function rawCount<O>(run: AgentRun<O>, withTools: boolean): number {
  return run.systemTokens + run.messages.reduce((sum, message) => sum + tokensOf(run, message), 0) + (withTools ? run.toolSchemaTokens : 0);
}

function scaled<O>(run: AgentRun<O>, raw: number): number {
  return Math.ceil(raw * run.ratio * (1 + DEFAULT_SAFETY_MARGIN));
}

/** Replaces the oldest tool result still in context by a stub; false when none is left. */
function elideOldest<O>(run: AgentRun<O>): ResultSlot | null {
  const { slots, messages, options, record } = run;
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
export function fitRequest<O>(run: AgentRun<O>, withTools: boolean): { raw: number; estimate: number } {
  const { cap } = run;
  let raw = rawCount(run, withTools);
  while (scaled(run, raw) > cap && elideOldest(run)) raw = rawCount(run, withTools);
  const estimate = scaled(run, raw);
  if (estimate > cap) throw new RunFailed(failure("budget_exceeded", `the next request needs ${estimate} tokens (cap ${cap}) even with every tool result elided`));
  return { raw, estimate };
}

/** The budget of the next tool result: what the cap leaves after the messages and the answer, at most a quarter of the cap. */
export function resultBudget<O>(run: AgentRun<O>): number {
  const { cap, settings } = run;
  const share = Math.floor(cap * RESULT_SHARE_OF_CAP);
  const room = () => cap - scaled(run, rawCount(run, true)) - settings.max_output_tokens - RESULT_WRAPPER_TOKENS;
  while (room() < share && elideOldest(run));
  const allowed = Math.min(share, room());
  return Math.max(16, Math.floor(allowed / (run.ratio * (1 + DEFAULT_SAFETY_MARGIN))));
}

/**
 * The starting data counts against the cap like everything else: a case with many alerts and a large
 * augmentation would otherwise make the very first request too large. Blocks that fit a fair share of the
 * data budget stay whole; each larger block goes through the tools' budget function, which keeps the whole
 * behind a handle (read_result pages it) and puts a first page in context.
 */
export function fitStartingData(
  spec: Pick<AgentSpec<unknown>, "data">,
  options: { budget: number; counter: TokenCounter; results: ToolContext["results"] },
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
