import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";

/**
 * Token counting for context budgets. No local model ships its tokenizer here (Qwen, GLM, Llama all
 * differ), so counts come from a real BPE (o200k_base) and every budget keeps a safety margin on top;
 * the runtime also learns the ratio between the server's reported prompt tokens and our count.
 */
export interface TokenCounter {
  /** Tokens of a text, exactly as the reference tokenizer splits it. */
  count(text: string): number;
  readonly name: string;
}

let shared: Tiktoken | null = null;

function encoder(): Tiktoken {
  shared ??= new Tiktoken(o200k);
  return shared;
}

/** Texts above this many characters are counted in slices: BPE cost grows faster than linearly on long runs. */
const SLICE = 16_384;

/**
 * Long runs of one character class (8,000 unspaced CJK characters, "yyyy…") make the BPE merge loop take
 * seconds to a minute, and alert text is attacker-controlled: such runs count as their UTF-8 byte length,
 * which can only over-count (a token is at least one byte).
 */
const LONG_RUN = /[\p{L}\p{M}]{48,}|[^\s\p{L}\p{N}]{48,}|\s{48,}/gu;

function encodeCount(text: string): number {
  if (text.length === 0) return 0;
  const enc = encoder();
  if (text.length <= SLICE) return enc.encode(text, [], []).length;
  let total = 0;
  for (let i = 0; i < text.length; i += SLICE) total += enc.encode(text.slice(i, i + SLICE), [], []).length;
  return total;
}

export function createTokenCounter(): TokenCounter {
  return {
    name: "o200k_base",
    count(text: string): number {
      let total = 0;
      let last = 0;
      for (const match of text.matchAll(LONG_RUN)) {
        total += encodeCount(text.slice(last, match.index)) + Buffer.byteLength(match[0], "utf8");
        last = match.index + match[0].length;
      }
      return total + encodeCount(text.slice(last));
    },
  };
}

/** Tokens a chat message costs beyond its content (role and separators), as OpenAI documents it. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** The margin every budget keeps on top of the reference count: other tokenizers split differently. */
export const DEFAULT_SAFETY_MARGIN = 0.15;

/** The hard cap of one request: `request_cap_tokens` when set, else min(32k, 80 % of the window). */
export function requestCap(contextWindow: number, configured?: number): number {
  if (configured !== undefined) return Math.min(configured, contextWindow);
  return Math.min(32_768, Math.floor(contextWindow * 0.8));
}
