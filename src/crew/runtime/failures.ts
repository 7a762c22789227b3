import { APICallError, RetryError } from "ai";
import type { FailureKind, RunFailure } from "../../core/index.js";

/** Failures worth another run later: the endpoint may recover; the model's own mistakes are not retried blindly. */
export const RETRYABLE_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>(["timeout", "server_error", "credit_exhausted", "rate_limited", "connection", "truncated_prompt"]);

export function failure(kind: FailureKind, message: string, retryable = RETRYABLE_KINDS.has(kind)): RunFailure {
  return { kind, message: message.slice(0, 2000), retryable };
}

const CREDIT = /credit|quota|billing|insufficient|payment required/i;
/** The server's own window is smaller than the configured one: no retry helps until the setting changes. */
const CONTEXT_OVERFLOW = /context (?:length|window)|maximum context|too many tokens|prompt is too long|exceeds? the (?:available )?context/i;
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_CONNECT_TIMEOUT"]);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface RequestFate {
  /** Our per-request timer fired. */
  timedOut: boolean;
  /** The caller's signal aborted the run (lease lost, shutdown). */
  aborted: boolean;
  timeoutMs: number;
}

/** What went wrong with one request, as a failure kind. Never throws. */
export function classifyError(error: unknown, fate: RequestFate): RunFailure {
  if (fate.timedOut) return failure("timeout", `no answer within ${fate.timeoutMs} ms`);
  // Aborted by the caller (lease lost, shutdown): nothing was wrong with the case, so it is worth another run.
  if (fate.aborted) return failure("other", "the run was aborted", true);
  const root = RetryError.isInstance(error) ? (error.lastError ?? error) : error;
  if (APICallError.isInstance(root) && root.statusCode !== undefined) {
    const status = root.statusCode;
    const body = typeof root.responseBody === "string" ? root.responseBody.slice(0, 500) : "";
    const detail = `HTTP ${status}: ${body || root.message}`;
    if (status >= 500) return failure("server_error", detail);
    if (status === 402 || CREDIT.test(body) || CREDIT.test(root.message)) return failure("credit_exhausted", detail);
    if (status === 429) return failure("rate_limited", detail);
    if ((status === 400 || status === 413) && (CONTEXT_OVERFLOW.test(body) || CONTEXT_OVERFLOW.test(root.message)))
      return failure("budget_exceeded", `the server's context is smaller than context_window: ${detail}`);
    return failure("other", detail);
  }
  for (const link of causeChain(root)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return failure("connection", `${code}: ${messageOf(root)}`);
  }
  const text = causeChain(root).map(messageOf).join(" <- ");
  if (/fetch failed|cannot connect|socket|other side closed|terminated|connection|network/i.test(text)) return failure("connection", text);
  if ((root as { name?: string }).name === "AbortError" || (root as { name?: string }).name === "TimeoutError") return failure("timeout", text);
  return failure("other", text);
}

const RESPONSE_FORMAT = /response_format|json_schema|json_object|structured output|grammar|schema/i;

/**
 * A server that refuses the structured-output form it was asked for (400/422 naming response_format, a
 * JSON schema or a grammar — e.g. hosted APIs that accept only json_object, llama.cpp on schema features
 * its grammar converter lacks). The runtime steps down one form and asks again rather than failing the run.
 */
export function refusedResponseFormat(error: unknown): string | null {
  const root = RetryError.isInstance(error) ? (error.lastError ?? error) : error;
  if (!APICallError.isInstance(root) || (root.statusCode !== 400 && root.statusCode !== 422)) return null;
  const body = typeof root.responseBody === "string" ? root.responseBody.slice(0, 300) : "";
  if (CONTEXT_OVERFLOW.test(body) || CONTEXT_OVERFLOW.test(root.message)) return null;
  return RESPONSE_FORMAT.test(body) || RESPONSE_FORMAT.test(root.message) ? `HTTP ${root.statusCode}: ${body || root.message}` : null;
}
