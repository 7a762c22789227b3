import type { TokenCounter } from "../runtime/tokens.js";
import type { ResultBudget, StoredResult, ToolContext, ToolErrorCode, ToolResult } from "./tool.js";

/**
 * The one budget function: every tool result, on a crew run and over MCP, enters a context through
 * `fitResult`. Whatever the size of the result, the text it returns is at most `budget.maxTokens` tokens;
 * a result that does not fit whole is kept behind a handle and the context gets its first page.
 */

/** A text of at most this many bytes per allowed token is counted; a longer one is taken as over budget unread. */
const MAX_BYTES_PER_TOKEN = 12;
/** Error messages are short: a model needs the gist and the path, never a dump. */
const MAX_ERROR_MESSAGE = 400;

const LIST_NOTE = "Only part of the result fits in the context. Call read_result with this handle and page=next_page for more.";
const TEXT_NOTE = "Long text was cut. Call read_result with this handle and offset=next_offset to read on.";
const VALUE_NOTE = "Long strings and lists were cut (marked …[cut]). Call read_result with this handle to read the whole result as JSON text, in slices.";

export function serialise(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value) ?? "null";
}

/**
 * A run of one character class this long is one BPE piece, and js-tiktoken's merge loop is quadratic in a
 * piece's length: 8,000 Japanese characters without a space take a minute, 8,000 "y" ten seconds. Such a
 * run is attacker-controllable (a command line, an e-mail subject), so it is never handed to the BPE: it
 * counts as its UTF-8 length, an upper bound (a token is at least one byte).
 */
const LONG_RUN = /[\p{L}\p{M}]{48,}|[^\s\p{L}\p{N}]{48,}|\s{48,}/gu;

/** Tokens of `text`: exact, except that long single-class runs count as their byte length (an upper bound). */
export function countTokens(counter: TokenCounter, text: string): number {
  LONG_RUN.lastIndex = 0;
  const found = LONG_RUN.test(text);
  // matchAll starts from the regex's lastIndex, which test() just moved.
  LONG_RUN.lastIndex = 0;
  if (!found) return counter.count(text);
  let total = 0;
  let last = 0;
  for (const match of text.matchAll(LONG_RUN)) {
    total += counter.count(text.slice(last, match.index)) + Buffer.byteLength(match[0], "utf8");
    last = match.index + match[0].length;
  }
  return total + counter.count(text.slice(last));
}

/**
 * The token count of `text` (countTokens) when it is at most `limit`, else null. A text no longer in bytes
 * than the limit fits for sure (a token is at least one byte); a text far longer is not counted at all.
 */
export function tokensWithin(text: string, counter: TokenCounter, limit: number): number | null {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= limit) return countTokens(counter, text);
  if (bytes > limit * MAX_BYTES_PER_TOKEN) return null;
  const tokens = countTokens(counter, text);
  return tokens <= limit ? tokens : null;
}

export function fitResult(tool: string, value: unknown, ctx: Pick<ToolContext, "results" | "budget">): ToolResult {
  const text = serialise(value);
  const tokens = tokensWithin(text, ctx.budget.counter, ctx.budget.maxTokens);
  if (tokens !== null) return { ok: true, content: text, tokens, handle: null, truncated: false, error: null, full: value };
  const list = listOf(value);
  const stored = ctx.results.put(tool, value, list ? list.items.length : null);
  const page = list ? renderListPage(stored, { page: 1 }, ctx.budget) : typeof value === "string" ? renderTextPage(stored, value, 0, ctx.budget) : renderValue(stored, value, ctx.budget);
  return { ok: true, content: page.content, tokens: page.tokens, handle: stored.handle, truncated: true, error: null, full: value };
}

/** A short JSON error for the context: `{"error":{"code","message"}}`, held to the budget too. */
export function errorResult(code: ToolErrorCode, message: string, budget?: ResultBudget): ToolResult {
  const short = message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message;
  const error = { code, message: short };
  let content = serialise({ error });
  let tokens = budget ? countTokens(budget.counter, content) : 0;
  if (budget && tokens > budget.maxTokens) {
    content = serialise({ error: { code } });
    tokens = countTokens(budget.counter, content);
  }
  return { ok: false, content, tokens, handle: null, truncated: false, error, full: { error } };
}

interface ListShape {
  /** The key of the main array in an object, or null when the value is the array. */
  key: string | null;
  items: unknown[];
  rest: Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A list result: an array, or an object whose largest array (e.g. `events`) is what makes it large. */
export function listOf(value: unknown): ListShape | null {
  if (Array.isArray(value)) return { key: null, items: value, rest: {} };
  if (!isPlainObject(value)) return null;
  let best: { key: string; size: number } | null = null;
  for (const [key, item] of Object.entries(value)) {
    if (!Array.isArray(item) || item.length === 0) continue;
    const size = serialise(item).length;
    if (!best || size > best.size) best = { key, size };
  }
  if (!best) return null;
  const rest = { ...value };
  delete rest[best.key];
  return { key: best.key, items: value[best.key] as unknown[], rest };
}

export interface Page {
  content: string;
  tokens: number;
}

/** What the budget allows once the whole page is known to fit; else a stub that still names the handle. */
function finish(text: string, handle: string, budget: ResultBudget): Page {
  const tokens = tokensWithin(text, budget.counter, budget.maxTokens);
  if (tokens !== null) return { content: text, tokens };
  const stub = serialise({ handle, truncated: true, note: "too large for the context; call read_result" });
  const stubTokens = countTokens(budget.counter, stub);
  if (stubTokens <= budget.maxTokens) return { content: stub, tokens: stubTokens };
  const minimal = serialise({ handle });
  return { content: minimal, tokens: countTokens(budget.counter, minimal) };
}

export interface PageRequest {
  /** Page number (1-based): stable once read; a later page is reached by reading the pages before it. */
  page?: number;
  /** Item offset: read from here, whatever the pages so far. */
  offset?: number;
}

/** Items from a start that fit the budget, with the paging fields; the page's boundaries are remembered on the stored result. */
export function renderListPage(stored: StoredResult, request: PageRequest, budget: ResultBudget): Page {
  const list = listOf(stored.value)!;
  const total = list.items.length;
  if (request.offset !== undefined) return listPageAt(stored, list, Math.min(request.offset, total), null, budget).page;
  const pageNumber = Math.max(1, request.page ?? 1);
  const starts = (stored.page_starts ??= [0]);
  // A page not reached yet: read the pages before it under the current budget to learn where it starts.
  while (starts.length < pageNumber && (starts[starts.length - 1] ?? 0) < total) {
    const known = starts.length;
    const { end } = listPageAt(stored, list, starts[known - 1]!, known, budget);
    if (starts.length === known) starts.push(end);
  }
  const start = starts[pageNumber - 1];
  if (start === undefined || (start >= total && pageNumber > 1)) {
    return finish(serialise({ handle: stored.handle, total_items: total, page: pageNumber, returned: 0, next_page: null, note: "no such page: the result has fewer pages" }), stored.handle, budget);
  }
  const { page, end } = listPageAt(stored, list, start, pageNumber, budget);
  if (starts.length === pageNumber) starts.push(end);
  return page;
}

function listPageAt(stored: StoredResult, list: ListShape, start: number, pageNumber: number | null, budget: ResultBudget): { page: Page; end: number } {
  const total = list.items.length;
  const counter = budget.counter;
  const build = (items: unknown[], rest: Record<string, unknown>, itemCut = false) => {
    const end = start + items.length;
    const more = end < total;
    const meta = {
      handle: stored.handle,
      total_items: total,
      offset: start,
      returned: items.length,
      ...(pageNumber !== null ? { page: pageNumber, next_page: more ? pageNumber + 1 : null } : {}),
      next_offset: more ? end : null,
      ...(itemCut ? { item_truncated: true } : {}),
      note: more ? LIST_NOTE : "last page",
    };
    return serialise(list.key === null ? { items, ...meta } : { ...rest, [list.key]: items, ...meta });
  };

  let rest = list.rest;
  let overhead = tokensWithin(build([], rest), counter, budget.maxTokens);
  if (overhead === null) {
    // The fields beside the list are large themselves: cut them until the frame leaves room for items.
    rest = shrinkToFit(list.rest, (v) => build([], v as Record<string, unknown>), Math.floor(budget.maxTokens / 2), budget, stored.handle) as Record<string, unknown>;
    overhead = tokensWithin(build([], rest), counter, budget.maxTokens) ?? budget.maxTokens;
  }

  // Estimate by counting items one at a time until the budget is spent, then verify the page as a whole.
  let room = budget.maxTokens - overhead;
  let k = 0;
  while (start + k < total) {
    const itemTokens = tokensWithin(serialise(list.items[start + k]), counter, room);
    if (itemTokens === null) break;
    room -= itemTokens + 1;
    if (room < 0) break;
    k++;
  }
  while (k > 0) {
    const text = build(list.items.slice(start, start + k), rest);
    const tokens = tokensWithin(text, counter, budget.maxTokens);
    if (tokens !== null) return { page: { content: text, tokens }, end: start + k };
    k = Math.max(0, Math.min(k - 1, Math.floor(k * 0.9)));
  }
  if (start >= total) return { page: finish(build([], rest), stored.handle, budget), end: start };
  // Not even one item fits whole: the first is given cut, so the page still moves on.
  const item = shrinkToFit(list.items[start], (v) => build([v], rest, true), budget.maxTokens, budget, stored.handle);
  return { page: finish(build([item], rest, true), stored.handle, budget), end: start + 1 };
}

/** A slice of a long string from `offset` (characters) that fits, with the offset to read on from. */
export function renderTextPage(stored: StoredResult, text: string, offset: number, budget: ResultBudget, pageOf?: string): Page {
  const start = Math.min(Math.max(0, offset), text.length);
  const build = (n: number) => {
    const end = start + n;
    return serialise({
      handle: stored.handle,
      ...(pageOf ? { content: pageOf } : {}),
      total_chars: text.length,
      offset: start,
      returned_chars: n,
      next_offset: end < text.length ? end : null,
      note: end < text.length ? TEXT_NOTE : "end of text",
      text: text.slice(start, end),
    });
  };
  let n = Math.min(text.length - start, budget.maxTokens * 4);
  for (let attempt = 0; attempt < 40; attempt++) {
    const candidate = build(n);
    const tokens = tokensWithin(candidate, budget.counter, budget.maxTokens);
    if (tokens !== null) return { content: candidate, tokens };
    if (n === 0) break;
    n = Math.floor(n * 0.75);
  }
  return finish(build(0), stored.handle, budget);
}

/** A non-list value too large whole: long strings and lists cut with markers, the whole behind the handle. */
function renderValue(stored: StoredResult, value: unknown, budget: ResultBudget): Page {
  const build = (v: unknown) => serialise({ handle: stored.handle, truncated: true, note: VALUE_NOTE, value: v });
  const shrunk = shrinkToFit(value, build, budget.maxTokens, budget, stored.handle);
  return finish(build(shrunk), stored.handle, budget);
}

/**
 * Cuts strings longer than a limit and lists longer than a limit (each cut marked), tightening both until
 * `frame(value)` counts at most `limit` tokens. Returns the cut value (or a marker when nothing fits).
 */
function shrinkToFit(value: unknown, frame: (v: unknown) => string, limit: number, budget: ResultBudget, handle: string): unknown {
  let maxChars = Math.max(64, limit * 4);
  let maxItems = 200;
  for (let attempt = 0; attempt < 30; attempt++) {
    const cut = shrink(value, maxChars, maxItems, handle, 0);
    if (tokensWithin(frame(cut), budget.counter, limit) !== null) return cut;
    if (maxChars <= 16 && maxItems <= 1) break;
    maxChars = Math.max(16, Math.floor(maxChars / 2));
    maxItems = Math.max(1, Math.floor(maxItems / 2));
  }
  return `…[cut: too large; read_result ${handle}]`;
}

const MAX_DEPTH = 12;

function shrink(value: unknown, maxChars: number, maxItems: number, handle: string, depth: number): unknown {
  if (typeof value === "string") {
    if (value.length <= maxChars) return value;
    return `${value.slice(0, maxChars)}…[cut: ${value.length - maxChars} of ${value.length} chars; read_result ${handle}]`;
  }
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "…[cut: nested too deep]";
  if (Array.isArray(value)) {
    const kept = value.slice(0, maxItems).map((item) => shrink(item, maxChars, maxItems, handle, depth + 1));
    if (value.length > maxItems) kept.push(`…[cut: ${value.length - maxItems} more items; read_result ${handle}]`);
    return kept;
  }
  const entries = Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries.slice(0, maxItems)) out[key] = shrink(item, maxChars, maxItems, handle, depth + 1);
  if (entries.length > maxItems) out["…"] = `[cut: ${entries.length - maxItems} more fields; read_result ${handle}]`;
  return out;
}
