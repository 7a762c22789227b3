import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import type { ResponseAction } from "../approvals/index.js";
import { startFakeApi, type FakeApi } from "../connectors/testing.js";
import { createWebhookNotifier, slackPayload, teamsPayload } from "./index.js";

const action = (extra: Partial<ResponseAction> = {}): ResponseAction => ({
  id: "a1",
  case_id: "TORA-20261124-0001",
  action: "isolate_host",
  args: { host: "ws-042" },
  args_hash: "h",
  target: "ws-042",
  status: "pending_approval",
  policy: { decision: "needs_approval", rule: "disruptive", explanation: "", facts: {} },
  approvals_required: 1,
  approvals: [],
  requested_by: { kind: "agent", name: "ARIA" },
  rationale: "beacon <!channel> see [click](https://evil.example) & *now*",
  evidence: [],
  confidence: 80,
  connector: null,
  supersedes: null,
  rollback_of: null,
  idempotency_key: "k",
  attempts: 0,
  remote_ref: null,
  outcome: null,
  error: null,
  expires_at: "2026-11-24T14:00:00.000Z",
  created_at: "2026-11-24T10:00:00.000Z",
  updated_at: "2026-11-24T10:00:00.000Z",
  decided_at: null,
  finished_at: null,
  ...extra,
});

describe("response notifications", () => {
  let hook: FakeApi;
  beforeEach(async () => {
    hook = await startFakeApi(() => ({ status: 200, body: "ok" }), { bearer: false });
  });
  afterEach(async () => hook.close());

  it("Slack: text fallback and blocks; attacker text cannot mention, link or format", () => {
    const payload = slackPayload({ kind: "pending_approval", action: action() }, "https://soc.example");
    expect(payload.text).toBe("Response action waiting for approval: isolate_host on ws-042");
    const section = JSON.stringify(payload.blocks[1]);
    expect(section).toContain("&lt;!channel&gt;");
    expect(section).not.toContain("<!channel>");
    expect(section).toContain("*Approvals:* 0 of 1");
    expect(JSON.stringify(payload.blocks[2])).toContain("<https://soc.example/api/v1/response/actions/a1|Open in Nightshift>");
  });

  it("Teams: an Adaptive Card in a message; values escaped", () => {
    const payload = teamsPayload({ kind: "executed", action: action({ status: "executed", outcome: { action_taken: "isolated [x](y)", status: "succeeded", connector: "mde", remote_ref: "ma-1", error: null, rollback_available: "release_host", detail: {} } }) });
    expect(payload.type).toBe("message");
    const card = payload.attachments[0]!.content;
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    const facts = (card.body[1] as { facts: { title: string; value: string }[] }).facts;
    expect(facts.find((f) => f.title === "Outcome")!.value).toBe("isolated \\[x\\]\\(y\\)");
    expect(facts.find((f) => f.title === "Rollback")!.value).toBe("release\\_host");
  });

  it("posts to the webhook, waits out a 429, and reports a failure without the secret URL", async () => {
    const slept: number[] = [];
    const notifier = createWebhookNotifier({ url: `${hook.url}/services/SECRET`, format: "slack", timeout_seconds: 5 }, { clock: fixedClock("2026-11-24T10:00:00Z"), sleep: async (ms) => void slept.push(ms) });
    hook.inject("POST /services", { status: 429, headers: { "retry-after": "1" } });
    expect(await notifier.send({ kind: "pending_approval", action: action() })).toBeNull();
    expect(slept).toEqual([1000]);
    expect(hook.requests.at(-1)!.body).toMatchObject({ text: expect.stringContaining("waiting for approval") });
    hook.inject("POST /services", { status: 404, body: "no_team" });
    const error = await notifier.send({ kind: "pending_approval", action: action() });
    expect(error).toMatch(/HTTP 404/);
    expect(error).not.toContain("SECRET");
  });
});
