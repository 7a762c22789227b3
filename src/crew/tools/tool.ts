import type { z } from "zod";
import type { AgentName, Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import type { TokenCounter } from "../runtime/tokens.js";

/** Who calls a tool: a crew agent on its run, or an outside agent over MCP under an API token's role. */
export interface ToolCaller {
  agent: AgentName | null;
  /** Actor name written on comments and audit: "TORA", "VERA", or the token's name. */
  name: string;
  role: "viewer" | "analyst" | "admin";
}

/** A state change a crew run asked for: applied with the run's decision, through the guardrails, or not at all. */
export type StagedEffect =
  | { kind: "comment"; case_id: string; body: string }
  | { kind: "update_case"; case_id: string; changes: { status?: "in_progress" | "on_hold"; priority?: "P1" | "P2" | "P3" | "P4"; severity?: string; add_tags?: string[] }; reason: string }
  | { kind: "propose_action"; case_id: string; action: string; target: string; rationale: string; urgency: "immediate" | "within_shift" | "next_available" }
  | { kind: "memory_write"; agent: AgentName; shift: string; key: string; value: unknown; case_id: string | null };

/** A result too large for the context, kept whole behind a handle the agent pages through (`read_result`). */
export interface StoredResult {
  handle: string;
  tool: string;
  value: unknown;
  /** Items when the value is (or wraps) a list; pages are cut over them. */
  total_items: number | null;
  created_at: string;
  /** Where each page read so far starts (item offsets; index 0 is page 1), so page n is stable once read. */
  page_starts?: number[];
}

export interface ResultStore {
  put(tool: string, value: unknown, totalItems: number | null): StoredResult;
  get(handle: string): StoredResult | undefined;
  list(): StoredResult[];
}

/** The per-result budget: however large a result is, what enters the context fits in `maxTokens`. */
export interface ResultBudget {
  maxTokens: number;
  counter: TokenCounter;
}

export interface ToolContext {
  /** Reads go through the database; writes only as `staged` effects (crew) or applied at once (MCP, `effects: "apply"`). */
  db: Db;
  clock: Clock;
  caller: ToolCaller;
  /** The case a crew run works: state-changing tools refuse any other. null for an MCP session (any case the role allows). */
  caseId: string | null;
  /** The shift the run belongs to (shift memory is keyed by it), e.g. "2026-11-24". */
  shift: string;
  effects: "stage" | "apply";
  staged: StagedEffect[];
  results: ResultStore;
  budget: ResultBudget;
}

export interface ToolDefinition<I extends z.ZodType = z.ZodType> {
  name: string;
  /** What the model reads: what the tool returns, when to use it, limits. */
  description: string;
  input: I;
  /** Changes state: needs the analyst role, and on a crew run only the run's own case. */
  writes: boolean;
  /** The crew tiers offered this tool (MCP offers every tool the token's role allows). */
  agents: readonly AgentName[];
  run(args: z.output<I>, ctx: ToolContext): Promise<unknown>;
}

export const TOOL_ERROR_CODES = ["invalid_arguments", "unknown_tool", "not_found", "out_of_scope", "forbidden", "failed"] as const;
export type ToolErrorCode = (typeof TOOL_ERROR_CODES)[number];

export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

/** What one call produced, after the budget function: the text that enters the context and its cost. */
export interface ToolResult {
  ok: boolean;
  /** JSON text placed in the model's context (a page and a handle when the whole did not fit). */
  content: string;
  tokens: number;
  handle: string | null;
  truncated: boolean;
  error: { code: ToolErrorCode; message: string } | null;
  /** The whole result, for the trace (the context only ever sees `content`). */
  full: unknown;
}
