import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError, OutcomeUnknownError } from "../http.js";
import { recordingContext } from "../testing.js";
import type { ConnectorCall } from "../types.js";
import { EntraSettings, PASSWORD_METHOD_ID, createEntraConnector } from "./index.js";
import { entraSettings, startFakeGraph, type FakeGraph } from "./testing.js";

const call = (action: ConnectorCall["action"], account = "jdoe@corp.example", extra: Partial<ConnectorCall> = {}): ConnectorCall => ({
  actionId: "a1",
  action,
  args: { account },
  caseId: null,
  idempotencyKey: "nightshift-a1",
  startedAt: "2026-11-24T10:00:00Z",
  remoteRef: null,
  rollbackOf: null,
  ...extra,
});

describe("Entra ID (Microsoft Graph) action connector (loopback)", () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
  });
  afterEach(async () => fake.close());
  const connector = () => createEntraConnector(EntraSettings.parse(entraSettings(fake.url)), { redact: (t) => t });

  it("disables and enables an account with PATCH accountEnabled", async () => {
    const ctx = recordingContext();
    expect(await connector().execute(call("disable_account"), ctx)).toMatchObject({ status: "succeeded" });
    expect(fake.users.get("jdoe@corp.example")!.accountEnabled).toBe(false);
    const patch = fake.requests.find((r) => r.method === "PATCH")!;
    expect(patch.path).toBe("/v1.0/users/jdoe%40corp.example");
    expect(patch.body).toEqual({ accountEnabled: false });
    await connector().execute(call("enable_account"), ctx);
    expect(fake.users.get("jdoe@corp.example")!.accountEnabled).toBe(true);
    expect(fake.requests[0]!.raw).toContain("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
  });

  it("revokes sessions, and a lost answer is found from signInSessionsValidFromDateTime", async () => {
    const ctx = recordingContext();
    const c = connector();
    expect(await c.reconcile(call("revoke_sessions"), ctx)).toBeNull();
    await c.execute(call("revoke_sessions"), ctx);
    expect(fake.requests.filter((r) => r.path.endsWith("/revokeSignInSessions"))).toHaveLength(1);
    expect(await c.reconcile(call("revoke_sessions"), ctx)).toMatchObject({ status: "succeeded" });
  });

  it("resets a password through the authentication methods API, follows the operation, and never keeps the generated password", async () => {
    const ctx = recordingContext();
    const result = await connector().execute(call("reset_credentials"), ctx);
    expect(result.status).toBe("in_progress");
    expect(result.remote_ref).toBe(`${fake.url}/v1.0/operations/op-1`);
    expect(JSON.stringify(result)).not.toContain("Generated-Secret-123");
    expect(fake.requests.some((r) => r.path === `/v1.0/users/jdoe%40corp.example/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`)).toBe(true);
    expect(await connector().poll!(call("reset_credentials", undefined, { remoteRef: result.remote_ref }), ctx)).toMatchObject({ status: "succeeded" });
    await expect(connector().poll!(call("reset_credentials", undefined, { remoteRef: "http://198.51.100.1/v1.0/operations/x" }), ctx)).rejects.toThrow(/refusing/);
  });

  it("reports Graph's error for an unknown user, refreshes a revoked token, waits out 429", async () => {
    const ctx = recordingContext();
    const c = connector();
    await expect(c.execute(call("disable_account", "CORP\\jdoe"), ctx)).rejects.toThrow(/user principal name/);
    expect(fake.requests.filter((r) => r.method === "PATCH")).toHaveLength(0);
    const error = await c.execute(call("disable_account", "nobody@corp.example"), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: "Request_ResourceNotFound" });
    fake.tokens.revoke();
    fake.inject("PATCH /v1.0/users", { status: 429, headers: { "retry-after": "3" }, body: { error: { code: "TooManyRequests", message: "Too many requests" } } });
    expect((await c.execute(call("disable_account"), ctx)).status).toBe("succeeded");
    expect(ctx.slept).toEqual([3000]);
    expect(fake.tokens.issued.length).toBe(2);
  });

  it("a 5xx to revokeSignInSessions is an unknown outcome (not repeated); to a PATCH it is repeated", async () => {
    const ctx = recordingContext();
    fake.inject("POST /v1.0/users", { status: 503, body: { error: { code: "serviceNotAvailable", message: "unavailable" } } });
    await expect(connector().execute(call("revoke_sessions"), ctx)).rejects.toBeInstanceOf(OutcomeUnknownError);
    fake.inject("PATCH /v1.0/users", { status: 500, body: { error: { code: "generalException", message: "boom" } } });
    expect((await connector().execute(call("disable_account"), ctx)).status).toBe("succeeded");
  });
});
