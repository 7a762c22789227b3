import { APICallError, RetryError } from "ai";
import { describe, expect, it } from "vitest";
import { classifyError, RETRYABLE_KINDS } from "./failures.js";

const fate = { timedOut: false, aborted: false, timeoutMs: 1000 };
const apiError = (statusCode: number, responseBody: string) =>
  new APICallError({ message: "call failed", url: "http://x/v1/chat/completions", requestBodyValues: {}, statusCode, responseBody, isRetryable: false });

describe("classifyError", () => {
  it("maps statuses and bodies to failure kinds", () => {
    expect(classifyError(apiError(500, "{}"), fate).kind).toBe("server_error");
    expect(classifyError(apiError(402, "{}"), fate).kind).toBe("credit_exhausted");
    expect(classifyError(apiError(403, '{"error":{"message":"Your credit balance is too low"}}'), fate).kind).toBe("credit_exhausted");
    expect(classifyError(apiError(429, '{"error":{"type":"insufficient_quota"}}'), fate).kind).toBe("credit_exhausted");
    expect(classifyError(apiError(429, '{"error":{"message":"slow down"}}'), fate).kind).toBe("rate_limited");
    expect(classifyError(apiError(404, "no such model"), fate)).toMatchObject({ kind: "other", retryable: false });
    expect(classifyError(apiError(400, '{"error":{"message":"the request exceeds the available context size (8192 tokens)"}}'), fate)).toMatchObject({ kind: "budget_exceeded", retryable: false });
  });

  it("unwraps retry errors, reads connection codes in the cause chain, and trusts its own timer first", () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }) });
    expect(classifyError(refused, fate)).toMatchObject({ kind: "connection", retryable: true });
    const retried = new RetryError({ message: "failed after 1 attempt", reason: "maxRetriesExceeded", errors: [apiError(503, "busy")] });
    expect(classifyError(retried, fate).kind).toBe("server_error");
    expect(classifyError(new Error("aborted"), { ...fate, timedOut: true })).toMatchObject({ kind: "timeout", retryable: true });
    expect(classifyError(new Error("aborted"), { ...fate, aborted: true })).toMatchObject({ kind: "other", retryable: true });
    expect([...RETRYABLE_KINDS].sort()).toEqual(["connection", "credit_exhausted", "rate_limited", "server_error", "timeout", "truncated_prompt"]);
  });
});
