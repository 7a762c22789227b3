import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../http.js";
import { recordingContext } from "../testing.js";
import type { ConnectorCall } from "../types.js";
import { WebhookSettings, createWebhookConnector, signWebhook } from "./index.js";
import { startFakeReceiver, type FakeReceiver } from "./testing.js";

const SECRET = "a-shared-secret-of-32-characters!";
const call = (extra: Partial<ConnectorCall> = {}): ConnectorCall => ({
  actionId: "a1",
  action: "block_indicator",
  args: { type: "ip", value: "203.0.113.9" },
  caseId: "TORA-20261124-0001",
  idempotencyKey: "nightshift-a1",
  startedAt: "2026-11-24T10:00:00Z",
  remoteRef: null,
  rollbackOf: null,
  ...extra,
});

describe("signed webhook action connector (loopback)", () => {
  let fake: FakeReceiver;
  beforeEach(async () => {
    fake = await startFakeReceiver(SECRET);
  });
  afterEach(async () => fake.close());
  const connector = (extra: object = {}) => createWebhookConnector(WebhookSettings.parse({ name: "fw", kind: "webhook", url: `${fake.url}/hooks/block`, secret: SECRET, max_attempts: 3, ...extra }), { redact: (t) => t });

  it("signs the body with timestamp and sends the idempotency key; the receiver's reference is kept", async () => {
    const ctx = recordingContext();
    const result = await connector().execute(call(), ctx);
    expect(result).toMatchObject({ status: "succeeded", remote_ref: "FW-1" });
    const req = fake.requests[0]!;
    expect(req.headers["idempotency-key"]).toBe("nightshift-a1");
    expect(req.headers["x-nightshift-timestamp"]).toBe(String(Date.parse("2026-11-24T10:00:00Z") / 1000));
    expect(req.headers["x-nightshift-signature"]).toBe(signWebhook(SECRET, Number(req.headers["x-nightshift-timestamp"]), req.raw));
    expect(req.body).toMatchObject({ schema: "nightshift.response-action.v1", id: "a1", action: "block_indicator", args: { type: "ip", value: "203.0.113.9" }, case_id: "TORA-20261124-0001" });
  });

  it("repeats after a 5xx and a 429 with the same key, and the receiver acts once", async () => {
    const ctx = recordingContext();
    fake.inject("POST /hooks", { status: 502, body: "bad gateway" }, { status: 429, headers: { "retry-after": "2" } });
    expect((await connector().execute(call(), ctx)).status).toBe("succeeded");
    await connector().execute(call(), ctx);
    expect(fake.done.size).toBe(1);
    expect(ctx.slept).toEqual([500, 2000]);
  });

  it("a refusal is an error naming the status; a receiver's failure answer is a failed outcome", async () => {
    const wrong = createWebhookConnector(WebhookSettings.parse({ name: "fw", kind: "webhook", url: fake.url, secret: "another-secret-value-here" }), { redact: (t) => t });
    const error = await wrong.execute(call(), recordingContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as Error).message).toMatch(/HTTP 401/);
    await fake.close();
    fake = await startFakeReceiver(SECRET, () => ({ status: 200, body: { status: "failed", message: "rule limit reached" } }));
    expect(await connector().execute(call(), recordingContext())).toMatchObject({ status: "failed", error: "rule limit reached" });
  });

  it("refuses a short secret and unknown settings", () => {
    expect(WebhookSettings.safeParse({ name: "fw", kind: "webhook", url: "https://x.example", secret: "short" }).success).toBe(false);
    expect(WebhookSettings.safeParse({ name: "fw", kind: "webhook", url: "https://x.example", secret: SECRET, extra: 1 }).success).toBe(false);
  });
});
