import { parseJson, type Clock } from "../../core/index.js";
import type { ConnectorContext } from "./types.js";

/** The vendor refused the request (a 4xx other than 429, or credentials refused twice): the action failed. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * The request may or may not have reached the vendor (no answer, a 5xx to a request that is not safe to
 * repeat): the execution stays open and the next attempt asks the vendor before sending again.
 */
export class OutcomeUnknownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutcomeUnknownError";
  }
}

/** A bearer token source (src/ingest/connectors/defender/oauth.ts's TokenSource fits). */
export interface BearerTokens {
  get(ctx: ConnectorContext): Promise<string>;
  invalidate(): void;
  redact(text: string): string;
}

export interface CallOptions {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  url: string;
  /** For messages: never a token. */
  what: string;
  body?: unknown;
  headers?: Record<string, string>;
  tokens?: BearerTokens;
  /** Repeating the request cannot do the work twice (GET, PATCH to a value, DELETE, or a key the vendor dedupes on). */
  idempotent: boolean;
  maxAttempts: number;
  timeoutSeconds: number;
  redact?: (text: string) => string;
  /** 404 answers null instead of failing (a lookup). */
  allowNotFound?: boolean;
  send?: typeof fetch;
}

export interface CallResult {
  status: number;
  body: unknown;
  headers: Headers;
}

const MAX_RETRY_AFTER_MS = 300_000;

export function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now.getTime()) : null;
}

/** Microsoft's error body `{error: {code, message}}` (Defender and Graph alike), else the start of the text. */
function vendorError(text: string): { code: string | null; message: string } {
  try {
    const body = parseJson(text) as { error?: { code?: unknown; message?: unknown } | string; message?: unknown };
    if (body && typeof body.error === "object" && body.error) return { code: typeof body.error.code === "string" ? body.error.code : null, message: String(body.error.message ?? body.error.code ?? "") };
    if (body && typeof body.error === "string") return { code: null, message: body.error };
    if (body && typeof body.message === "string") return { code: null, message: body.message };
  } catch {
    /* not JSON */
  }
  return { code: null, message: text.replace(/\s+/g, " ").trim().slice(0, 200) };
}

const backoff = (attempt: number) => Math.min(30_000, 500 * 2 ** (attempt - 1));

/**
 * One API call. 429 (and a 503 that carries Retry-After) is waited out and repeated: the vendor did not act.
 * A 401 with a token source gets one new token and one repeat. 5xx and network errors are repeated only when
 * the request is idempotent; otherwise they are an OutcomeUnknownError. Any other 4xx is an ApiError.
 */
export async function callApi(options: CallOptions, ctx: ConnectorContext & { clock: Clock }): Promise<CallResult | null> {
  const redact = (text: string) => (options.tokens ? options.tokens.redact((options.redact ?? ((t) => t))(text)) : (options.redact ?? ((t) => t))(text));
  const send = options.send ?? fetch;
  let refreshed = false;
  let last = "no attempt made";
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.tokens) headers.authorization = `Bearer ${await options.tokens.get(ctx)}`;
    let response: Response;
    try {
      response = await send(options.url, {
        method: options.method,
        headers,
        body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      last = `${options.what}: ${redact(cause)}`;
      if (!options.idempotent) throw new OutcomeUnknownError(`${last} (the request may have reached the vendor)`);
      if (attempt < options.maxAttempts) await ctx.sleep(backoff(attempt));
      continue;
    }
    const text = await response.text().catch(() => "");
    if (response.ok) return { status: response.status, body: bodyOf(text), headers: response.headers };
    const error = vendorError(redact(text));
    last = `${options.what}: HTTP ${response.status}${error.code ? ` ${error.code}` : ""}${error.message ? `: ${error.message}` : ""}`;
    if (response.status === 401 && options.tokens && !refreshed) {
      options.tokens.invalidate();
      refreshed = true;
      attempt--;
      continue;
    }
    const after = retryAfterMs(response.headers.get("retry-after"), ctx.clock.now());
    if (response.status === 429 || (response.status === 503 && after !== null)) {
      if (attempt < options.maxAttempts) await ctx.sleep(Math.min(MAX_RETRY_AFTER_MS, after ?? backoff(attempt)));
      continue;
    }
    if (response.status === 404 && options.allowNotFound) return null;
    if (response.status >= 500) {
      if (!options.idempotent) throw new OutcomeUnknownError(`${last} (the request may have reached the vendor)`);
      if (attempt < options.maxAttempts) await ctx.sleep(backoff(attempt));
      continue;
    }
    throw new ApiError(last, response.status, error.code);
  }
  // Rate limited or unreachable to the end: nothing says the vendor refused, so the execution stays open.
  throw new OutcomeUnknownError(`${last} (gave up after ${options.maxAttempts} attempts)`);
}

function bodyOf(text: string): unknown {
  if (!text) return null;
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}
