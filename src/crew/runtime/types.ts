import type { LanguageModel } from "ai";
import { z } from "zod";
import type { AgentName, Clock, RunFailure, RunUsage, TraceEntry } from "../../core/index.js";
import type { ToolContext, ToolDefinition, ToolResult } from "../tools/tool.js";

/** One tier's model endpoint (config `crew.model`, per-tier overrides in `crew.tiers.<agent>`). */
export const ModelSettings = z.strictObject({
  /** An OpenAI-compatible base URL ending before `/chat/completions`, e.g. http://127.0.0.1:8080/v1 */
  base_url: z.url(),
  model: z.string().min(1),
  api_key: z.string().min(1).optional(),
  context_window: z.coerce.number().int().min(1024).default(32_768),
  /** Hard cap on every request; default min(32k, 80 % of the window). */
  request_cap_tokens: z.coerce.number().int().min(512).optional(),
  max_output_tokens: z.coerce.number().int().min(64).default(4096),
  temperature: z.coerce.number().min(0).max(2).default(0.1),
  timeout_ms: z.coerce.number().int().positive().default(120_000),
  /** json_schema: response_format json_schema (llama.cpp, vLLM, OpenAI); json_object; none: prompt only. */
  structured_output: z.enum(["json_schema", "json_object", "none"]).default("json_schema"),
  stream: z.boolean().default(false),
  /** Price per million tokens, for the trace's cost column; 0 for local models. */
  cost: z.strictObject({ input_per_mtok: z.number().min(0).default(0), output_per_mtok: z.number().min(0).default(0) }).default({ input_per_mtok: 0, output_per_mtok: 0 }),
  headers: z.record(z.string(), z.string()).default({}),
});
export type ModelSettings = z.infer<typeof ModelSettings>;
export type ModelSettingsInput = z.input<typeof ModelSettings>;

/** Attacker-controlled content (alerts, events, tool results): rendered delimited and labelled as data. */
export interface UntrustedBlock {
  label: string;
  content: unknown;
}

export interface AgentOutputSpec<O> {
  /** Name of the final answer, e.g. "tora_output". */
  name: string;
  schema: z.ZodType<O>;
  /** Checks beyond the schema that a repair can fix (e.g. the case id must be the run's); messages name the path. */
  check?: (value: O) => string[];
}

export interface AgentSpec<O> {
  agent: AgentName;
  tier: number;
  caseId: string;
  promptVersion: string;
  /** Trusted instructions (the versioned prompt file). */
  system: string;
  /** Trusted task statement for this case (ids, what to produce), never built from alert text. */
  task: string;
  /** Untrusted data the agent starts from. */
  data: UntrustedBlock[];
  tools: ToolDefinition[];
  output: AgentOutputSpec<O>;
  maxSteps: number;
}

export interface RunAgentOptions {
  model: ModelSettings;
  /** The tools' context; `budget` is set by the runtime per call from what the request cap leaves. */
  toolContext: Omit<ToolContext, "budget">;
  clock: Clock;
  signal?: AbortSignal;
  /** Called as each trace entry is made (live view); the outcome carries them all. */
  onEntry?: (entry: TraceEntry) => void;
  /** Runs one offered tool (default: validate, run, fit the result in the budget). The crew passes the tools folder's calling path. */
  executeTool?: (def: ToolDefinition, rawArgs: unknown, ctx: ToolContext) => Promise<ToolResult>;
  /** A ready language model instead of the endpoint in `model` (unit tests with MockLanguageModelV3). */
  languageModel?: LanguageModel;
}

/** What the agent was given, as replay needs it (RunExport.input). Never the API key. */
export interface AgentRunInput {
  agent: AgentName;
  tier: number;
  case_id: string;
  system: string;
  task: string;
  data: UntrustedBlock[];
  /** Names of the tools offered, in order. */
  tools: string[];
  /** The output's name, e.g. "tora_output". */
  output: string;
  prompt_version: string;
  model: Record<string, unknown>;
  max_steps: number;
  [key: string]: unknown;
}

export type AgentOutcome<O> =
  | { ok: true; output: O; usage: RunUsage; trace: TraceEntry[]; analyst: string; input: AgentRunInput }
  | { ok: false; failure: RunFailure; usage: RunUsage; trace: TraceEntry[]; analyst: string; input: AgentRunInput };
