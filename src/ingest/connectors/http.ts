import { parseJson, type Clock } from "../../core/index.js";

/** The vendor refused the credentials (401/403): retrying would only lock the account, so the run stops. */
export class ConnectorAuthError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ConnectorAuthError";
  }
}

/** Any other failed request, after the retries it deserved. */
export class ConnectorHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "ConnectorHttpError";
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is cut to it, so a bad header cannot park the connector for a day. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

export interface RequestOptions {
  /** What is asked, for messages (method and path, never credentials). */
  what: string;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  redact: (text: string) => string;
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now.getTime()) : null;
}

async function snippet(response: Response, redact: (text: string) => string): Promise<string> {
  try {
    const text = (await response.text()).replace(/\s+/g, " ").trim();
    return text ? `: ${redact(text.slice(0, 200))}` : "";
  } catch {
    return "";
  }
}

/**
 * Sends a request until it succeeds: network errors and 5xx back off exponentially, 429 waits for
 * Retry-After (or the backoff), 401/403 fail at once with a ConnectorAuthError, other 4xx fail at once.
 */
export async function requestWithRetry(send: () => Promise<Response>, options: RequestOptions): Promise<Response> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  let lastError: Error = new ConnectorHttpError(`${options.what}: no attempt made`, null);
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    let wait = backoff;
    try {
      const response = await send();
      if (response.ok) return response;
      const detail = await snippet(response, options.redact);
      if (response.status === 401 || response.status === 403)
        throw new ConnectorAuthError(`${options.what}: HTTP ${response.status} — credentials refused${detail}`, response.status);
      if (response.status === 429) {
        const after = retryAfterMs(response.headers.get("retry-after"), options.clock.now());
        wait = Math.min(policy.maxRetryAfterMs, after ?? backoff);
        lastError = new ConnectorHttpError(`${options.what}: HTTP 429 (rate limited)${detail}`, 429);
      } else if (response.status >= 500) {
        lastError = new ConnectorHttpError(`${options.what}: HTTP ${response.status}${detail}`, response.status);
      } else {
        throw new ConnectorHttpError(`${options.what}: HTTP ${response.status}${detail}`, response.status);
      }
    } catch (error) {
      if (error instanceof ConnectorAuthError || error instanceof ConnectorHttpError) throw error;
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      lastError = new ConnectorHttpError(`${options.what}: ${options.redact(cause)}`, null);
    }
    if (attempt < policy.maxAttempts) await options.sleep(wait);
  }
  throw new ConnectorHttpError(`${lastError.message} (gave up after ${policy.maxAttempts} attempts)`, (lastError as ConnectorHttpError).status ?? null);
}

/** A vendor's JSON answer with big integers (ids, sequence numbers) kept exact; rejects when it is not JSON. */
export async function responseJson(response: Response): Promise<unknown> {
  return parseJson(await response.text());
}
