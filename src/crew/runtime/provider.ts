import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import type { ModelSettings } from "./types.js";

/**
 * One tier's endpoint as an AI SDK language model. Any OpenAI-compatible chat-completions server
 * (llama.cpp, vLLM, Ollama, hosted APIs). Structured outputs are declared only when the tier asks for
 * json_schema, so servers without it get `json_object` (or nothing) instead of a request they reject.
 */
/** The provider's name, which is also the key of its `providerOptions`. */
export const PROVIDER_NAME = "nightshift";

export function createModel(settings: ModelSettings): LanguageModel {
  const provider = createOpenAICompatible({
    name: PROVIDER_NAME,
    baseURL: settings.base_url.replace(/\/+$/, ""),
    ...(settings.api_key ? { apiKey: settings.api_key } : {}),
    headers: settings.headers,
    includeUsage: true,
    supportsStructuredOutputs: settings.structured_output === "json_schema",
  });
  return provider.chatModel(settings.model);
}

/** The settings as recorded in traces and run inputs: never the key. */
export function publicSettings(settings: ModelSettings): Omit<ModelSettings, "api_key"> & { api_key_set: boolean } {
  const { api_key, headers, ...rest } = settings;
  const safeHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, /auth|key|token|secret/i.test(name) ? "[redacted]" : value]));
  return { ...rest, headers: safeHeaders, api_key_set: api_key !== undefined };
}

/** A label for the run's `analyst` column. */
export function analystName(settings: ModelSettings): string {
  return `model:${settings.model}`;
}

/**
 * A text the provider produced (an error body, a refusal reason) without the settings' secrets: servers quote
 * the key they were given ("Incorrect API key provided: sk-…"), and these texts are stored in runs, traces and
 * the audit trail. The key and every secret-named header's value become `[redacted]`.
 */
export function withoutSecrets(settings: ModelSettings, text: string): string {
  const secrets = [settings.api_key, ...Object.entries(settings.headers).filter(([name]) => /auth|key|token|secret/i.test(name)).map(([, value]) => value)];
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join("[redacted]");
    // A bearer header's value is quoted without its scheme as often as with it.
    const bare = secret.replace(/^(bearer|basic|token)\s+/i, "");
    if (bare !== secret && bare.length >= 4) out = out.split(bare).join("[redacted]");
  }
  return out;
}
