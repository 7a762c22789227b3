import type { RunFailure } from "../../core/index.js";

/** Config `crew.retry`: a failed model run is retried with exponential backoff, `max_attempts` runs in all. */
export interface RetryPolicy {
  max_attempts: number;
  base_seconds: number;
  max_seconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { max_attempts: 6, base_seconds: 60, max_seconds: 3600 };

/** Wait before attempt `attempt + 1`: min(max_seconds, base_seconds · 2^(attempt − 1)). */
export function retryDelaySeconds(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.max_seconds, policy.base_seconds * 2 ** Math.max(0, attempt - 1));
}

export interface RetryDecision {
  retry: boolean;
  /** Why not, in plain words (null when a retry is scheduled). */
  reason: string | null;
}

/**
 * Whether a failed attempt is tried again. Endpoint trouble (timeouts, 5xx, credit, rate limits, a dropped
 * connection, a truncating server) is retried until `max_attempts`. A failure of the model's own answer
 * (invalid output after repair, an invented case id, an out-of-scope call, a refusal…) is retried ONCE:
 * sampling may differ on a second run, but a model that does it twice will keep doing it and a human
 * should take the case instead of the budget burning on it.
 */
export function retryDecision(failure: RunFailure, attempt: number, policy: RetryPolicy, earlierNonRetryable: number): RetryDecision {
  if (attempt >= policy.max_attempts) return { retry: false, reason: `${attempt} of ${policy.max_attempts} attempts used` };
  if (!failure.retryable && earlierNonRetryable > 0)
    return { retry: false, reason: `${failure.kind} is a failure of the model's answer and it already failed that way once` };
  return { retry: true, reason: null };
}
