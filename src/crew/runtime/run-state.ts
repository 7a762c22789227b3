import type { ModelMessage } from "ai";
import type { RunFailure, RunUsage } from "../../core/index.js";
import type { ToolResult } from "../tools/tool.js";
import type { Phase, ModelReply } from "./model-call.js";
import type { TokenCounter } from "./tokens.js";
import type { Recorder } from "./trace.js";
import type { AgentSpec, RunAgentOptions } from "./types.js";

// What one run of `runAgent` holds while it goes: shared by the loop, the context budget and the repair.

/** Thrown inside a run to end it with a classified failure; `runAgent` turns it into the outcome. */
export class RunFailed extends Error {
  constructor(readonly failure: RunFailure) {
    super(failure.message);
  }
}

/** A tool result in the history, so it can be replaced by a stub when the context fills up. */
export interface ResultSlot {
  message: number;
  part: number;
  tool: string;
  call: number;
  result: ToolResult;
  elided: boolean;
}

export interface AgentRun<O> {
  readonly spec: AgentSpec<O>;
  readonly options: RunAgentOptions;
  readonly settings: RunAgentOptions["model"];
  readonly cap: number;
  readonly counter: TokenCounter;
  readonly usage: RunUsage;
  readonly record: Recorder;
  /** The conversation after the system prompt; tool results in it may be replaced by stubs (`slots`). */
  readonly messages: ModelMessage[];
  readonly slots: ResultSlot[];
  readonly messageTokens: WeakMap<ModelMessage, number>;
  readonly systemTokens: number;
  readonly toolSchemaTokens: number;
  readonly outputSchema: Record<string, unknown> | null;
  /** Server tokens per reference token, learned from reported usage; only ever raised. */
  ratio: number;
  /** The structured-output form asked for; steps down for the rest of the run when the server refuses it. */
  responseFormat: RunAgentOptions["model"]["structured_output"];
  /** Sends the conversation as it stands (see `agent.ts`). */
  send(phase: Phase, withTools: boolean): Promise<ModelReply>;
}
