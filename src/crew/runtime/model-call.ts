import { generateText, NoSuchToolError, streamText, type LanguageModel, type ModelMessage, type OutputInterface, type ToolSet } from "ai";
import { PROVIDER_NAME } from "./provider.js";

// One model request through the AI SDK, streamed or not, and the reply as the loop reads it.

export type Phase = "step" | "final" | "repair";

export interface CallPart {
  id: string;
  name: string;
  input: unknown;
  /** Why the call could not even be parsed (unknown name, arguments not JSON). */
  invalid: { code: "unknown_tool" | "invalid_arguments"; message: string } | null;
  source: "native" | "content" | "reasoning";
}

export interface ModelReply {
  text: string;
  reasoning: string;
  calls: CallPart[];
  finishReason: string;
  rawFinishReason: string | undefined;
}

export interface ModelCall {
  system: string;
  messages: ModelMessage[];
  tools: ToolSet | undefined;
  output: OutputInterface<string, string, never> | undefined;
  temperature: number;
  maxOutputTokens: number;
  abortSignal: AbortSignal;
  stream: boolean;
}

function callOf(part: { toolCallId: string; toolName: string; input: unknown; invalid?: boolean; error?: unknown }): CallPart {
  let invalid: CallPart["invalid"] = null;
  if (part.invalid) {
    invalid = NoSuchToolError.isInstance(part.error)
      ? { code: "unknown_tool", message: `no tool named ${part.toolName}` }
      : { code: "invalid_arguments", message: `arguments are not valid JSON: ${part.error instanceof Error ? part.error.message.slice(0, 200) : "parse error"}` };
  }
  return { id: part.toolCallId, name: part.toolName, input: part.input, invalid, source: "native" };
}

/** One request, no retries, no tool execution: the SDK sends and parses, the runtime decides. */
export async function callModel(
  model: LanguageModel,
  call: ModelCall,
): Promise<ModelReply & { inputTokens: number | undefined; outputTokens: number | undefined }> {
  const common = {
    model,
    system: call.system,
    messages: call.messages,
    ...(call.tools ? { tools: call.tools, toolChoice: "auto" as const } : {}),
    ...(call.output ? { output: call.output } : {}),
    temperature: call.temperature,
    maxOutputTokens: call.maxOutputTokens,
    maxRetries: 0,
    abortSignal: call.abortSignal,
    // Strict mode rejects schemas with optional fields on OpenAI; the runtime validates every answer itself.
    providerOptions: { [PROVIDER_NAME]: { strictJsonSchema: false } },
  };
  if (!call.stream) {
    const result = await generateText(common);
    return {
      text: result.text,
      reasoning: result.reasoningText ?? "",
      calls: result.toolCalls.map(callOf),
      finishReason: result.finishReason,
      rawFinishReason: result.rawFinishReason,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
    };
  }
  const result = streamText({ ...common, onError: () => undefined });
  let text = "";
  let reasoning = "";
  const calls: CallPart[] = [];
  let finishReason = "unknown";
  let rawFinishReason: string | undefined;
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") text += part.text;
    else if (part.type === "reasoning-delta") reasoning += part.text;
    else if (part.type === "tool-call") calls.push(callOf(part));
    else if (part.type === "error") throw part.error;
    else if (part.type === "abort") throw Object.assign(new Error(part.reason ?? "aborted"), { name: "AbortError" });
    else if (part.type === "finish") {
      finishReason = part.finishReason;
      rawFinishReason = part.rawFinishReason;
      inputTokens = part.totalUsage.inputTokens;
      outputTokens = part.totalUsage.outputTokens;
    }
  }
  return { text, reasoning, calls, finishReason, rawFinishReason, inputTokens, outputTokens };
}

