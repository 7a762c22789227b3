import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, ForbiddenError, fixedClock } from "../../core/index.js";
import { attachAlert, listAudit, listComments, verifyAuditChain } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { useTestEnvironment } from "../../../test/support/store.js";
import { approveAction, requestAction, type RequestActionInput } from "../approvals/index.js";
import { DefenderActionSettings, createDefenderConnector, createRecordOnlyConnector } from "../connectors/index.js";
import { defenderSettings, startFakeDefender, type FakeDefender } from "../connectors/defender/testing.js";
import { startFakeApi, type FakeApi } from "../connectors/testing.js";
import { createWebhookNotifier } from "../notify/index.js";
import { DEFAULT_POLICY, parsePolicyText } from "../policy/index.js";
import { claimExecution, confirmAction, executeAction, pollAction, requestRollback } from "./index.js";

const ARIA = { kind: "agent" as const, name: "ARIA" };

describe("executing response actions", () => {
  const { db } = useTestEnvironment();
  const clock = fixedClock("2026-11-24T10:00:00Z");
  const ctx = { policy: DEFAULT_POLICY, clock };
  let mde: FakeDefender;
  let slack: FakeApi;
  beforeEach(async () => {
    mde = await startFakeDefender();
    slack = await startFakeApi(() => ({ status: 200, body: "ok" }), { bearer: false });
  });
  afterEach(async () => {
    await mde.close();
    await slack.close();
  });
  const deps = () => ({
    connectors: [createDefenderConnector(DefenderActionSettings.parse(defenderSettings(mde.url)), { redact: (t: string) => t }), createRecordOnlyConnector()],
    clock,
    sleep: async () => {},
    notifier: createWebhookNotifier({ url: `${slack.url}/services/T0/B0/x`, format: "slack", timeout_seconds: 5 }, { clock, sleep: async () => {} }),
  });
  const posts = (suffix: string) => mde.requests.filter((r) => r.method === "POST" && r.path.endsWith(suffix)).length;

  async function aCase(): Promise<string> {
    const alert = await storedAlert(db(), { host: "ws-042" });
    return (await attachAlert(db(), alert, { windowMinutes: 60 }, clock)).caseId;
  }
  const request = (caseId: string, action: string, args: Record<string, unknown>, extra: Partial<RequestActionInput> = {}) =>
    requestAction(db(), { case_id: caseId, action, args, requested_by: ARIA, rationale: "containment", confidence: 90, facts: { criticality: "medium", environment: "production" }, ...extra }, ctx);

  it("runs an auto-approved action once, follows it to its end, records it on the case and announces it", async () => {
    const caseId = await aCase();
    const scan = await request(caseId, "run_av_scan", { host: "ws-042" });
    const first = await executeAction(db(), scan.id, deps());
    expect(first).toMatchObject({ status: "in_progress", remote_ref: "ma-1", connector: "mde", attempts: 1 });
    expect(await executeAction(db(), scan.id, deps())).toMatchObject({ status: "in_progress", attempts: 1 });
    expect(posts("/runAntiVirusScan")).toBe(1);
    const done = await pollAction(db(), scan.id, deps());
    expect(done).toMatchObject({ status: "executed", outcome: { status: "succeeded", remote_ref: "ma-1", rollback_available: null } });
    const comments = await listComments(db(), caseId);
    expect(comments.map((c) => c.author.name)).toEqual(["ARIA", "ARIA"]);
    expect(comments.filter((c) => c.body.includes("Response action succeeded"))).toHaveLength(1);
    const audit = (await listAudit(db(), { caseId })).map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["response.requested", "response.started", "response.in_progress", "response.executed"]));
    const messages = slack.requests.map((r) => r.body as { text: string });
    expect(messages.map((m) => m.text).sort()).toEqual(["Response action accepted by the vendor: run_av_scan on ws-042", "Response action executed: run_av_scan on ws-042"]);
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });

  it("an action waiting for approval, denied or forbidden never runs", async () => {
    const caseId = await aCase();
    const pending = await request(caseId, "isolate_host", { host: "ws-042" });
    await expect(executeAction(db(), pending.id, deps())).rejects.toBeInstanceOf(ConflictError);
    const forbidden = await request(caseId, "run_av_scan", { host: "ws-042" }, { facts: { do_not_touch: true } });
    await expect(executeAction(db(), forbidden.id, deps())).rejects.toThrow(/forbidden/);
    expect(mde.requests.filter((r) => r.method === "POST" && r.path.startsWith("/api/machines"))).toHaveLength(0);
  });

  it("two workers at once: one call", async () => {
    const caseId = await aCase();
    const pending = await request(caseId, "isolate_host", { host: "ws-042" });
    await approveAction(db(), pending.id, { name: "alice", role: "analyst" }, clock);
    await Promise.all([executeAction(db(), pending.id, deps()), executeAction(db(), pending.id, deps())]);
    expect(posts("/isolate")).toBe(1);
  });

  it("after a crash once the vendor acted, the next attempt finds the vendor's action instead of sending again", async () => {
    const caseId = await aCase();
    const pending = await request(caseId, "isolate_host", { host: "ws-042" });
    await approveAction(db(), pending.id, { name: "alice", role: "analyst" }, clock);
    const d = deps();
    // The worker claims the action and calls Defender, then dies (kill -9) before recording the answer.
    const claim = (await claimExecution(db(), pending.id, d.connectors, clock))!;
    await claim.connector.execute({ actionId: claim.action.id, action: claim.action.action, args: claim.action.args, caseId, idempotencyKey: claim.action.idempotency_key, startedAt: clock.now().toISOString(), remoteRef: null, rollbackOf: null }, d);
    // Within the lease nobody else touches it; after it, a new worker resumes.
    expect(await executeAction(db(), pending.id, d)).toMatchObject({ status: "executing", attempts: 1 });
    clock.advance(6 * 60_000);
    const resumed = await executeAction(db(), pending.id, d);
    expect(resumed).toMatchObject({ status: "in_progress", remote_ref: "ma-1", attempts: 2 });
    expect(posts("/isolate")).toBe(1);
    const started = (await listAudit(db(), { caseId })).filter((e) => e.action === "response.started").map((e) => e.data.resumed);
    expect(started).toEqual([false, true]);
  });

  it("after a crash before the call, and after an unanswered call, it is sent again with the same key", async () => {
    const caseId = await aCase();
    const pending = await request(caseId, "isolate_host", { host: "ws-042" });
    await approveAction(db(), pending.id, { name: "alice", role: "analyst" }, clock);
    await claimExecution(db(), pending.id, deps().connectors, clock);
    clock.advance(6 * 60_000);
    mde.inject("POST /api/machines", { status: 502, body: "bad gateway" });
    const unknown = await executeAction(db(), pending.id, deps());
    expect(unknown).toMatchObject({ status: "executing", attempts: 2, error: expect.stringMatching(/may have reached/) });
    const done = await executeAction(db(), pending.id, deps());
    expect(done).toMatchObject({ status: "in_progress", attempts: 3 });
    expect(mde.actions.size).toBe(1);
    const comments = mde.requests.filter((r) => r.method === "POST" && r.path.endsWith("/isolate")).map((r) => (r.body as { Comment: string }).Comment);
    expect(new Set(comments)).toEqual(new Set([`Nightshift isolate_host for ${caseId} [${pending.idempotency_key}]`]));
  });

  it("a vendor refusal is a failed outcome with the error, announced", async () => {
    const caseId = await aCase();
    const scan = await request(caseId, "run_av_scan", { host: "ws-042" });
    mde.inject("POST /api/machines", { status: 400, body: { error: { code: "ActiveRequestAlreadyExists", message: "Action is already in progress" } } });
    const failed = await executeAction(db(), scan.id, deps());
    expect(failed).toMatchObject({ status: "failed", outcome: { status: "failed", error: expect.stringMatching(/ActiveRequestAlreadyExists/) } });
    expect(await executeAction(db(), scan.id, deps())).toMatchObject({ status: "failed", attempts: 1 });
    expect((slack.requests.at(-1)!.body as { text: string }).text).toMatch(/^Response action failed/);
  });

  it("a vendor message cannot break out of the case comment's code spans", async () => {
    const caseId = await aCase();
    const scan = await request(caseId, "run_av_scan", { host: "ws-042" });
    mde.inject("POST /api/machines", { status: 400, body: { error: { code: "Bad", message: "x`\n\n# Pwned [click](https://evil.example)" } } });
    await executeAction(db(), scan.id, deps());
    const comment = (await listComments(db(), caseId)).at(-1)!.body;
    const errorLine = comment.split("\n").find((l) => l.startsWith("- error:"))!;
    expect(errorLine).toMatch(/^- error: `[^`]*`$/);
    expect(comment).not.toMatch(/^# Pwned/m);
  });

  it("record-only: a human carries it out and confirms; viewers cannot confirm", async () => {
    const caseId = await aCase();
    const pending = await request(caseId, "disable_account", { account: "jdoe" });
    await approveAction(db(), pending.id, { name: "alice", role: "analyst" }, clock);
    expect(await executeAction(db(), pending.id, deps())).toMatchObject({ status: "awaiting_confirmation", connector: "record-only" });
    await expect(confirmAction(db(), pending.id, { name: "vic", role: "viewer" }, { succeeded: true }, clock)).rejects.toBeInstanceOf(ForbiddenError);
    const confirmed = await confirmAction(db(), pending.id, { name: "bob", role: "analyst" }, { succeeded: true, note: "done in AD" }, clock);
    expect(confirmed).toMatchObject({ status: "executed", outcome: { status: "succeeded", rollback_available: "enable_account", detail: { confirmed_by: "bob" } } });
    const audit = await listAudit(db(), { caseId });
    expect(audit.at(-2)).toMatchObject({ action: "response.executed", actor: { kind: "human", name: "bob" } });
  });

  it("rolls back a block by the indicator id the block recorded, through the policy", async () => {
    const caseId = await aCase();
    const block = await request(caseId, "block_indicator", { type: "domain", value: "evil.example" });
    await approveAction(db(), block.id, { name: "alice", role: "analyst" }, clock);
    expect(await executeAction(db(), block.id, deps())).toMatchObject({ status: "executed", outcome: { rollback_available: "unblock_indicator" } });
    expect(mde.indicators.size).toBe(1);
    const rollback = await requestRollback(db(), block.id, { kind: "human", name: "alice" }, "false positive", ctx);
    expect(rollback).toMatchObject({ action: "unblock_indicator", rollback_of: block.id, status: "approved", policy: { decision: "auto_then_notify" } });
    expect((await requestRollback(db(), block.id, { kind: "human", name: "alice" }, "again", ctx)).id).toBe(rollback.id);
    expect(await executeAction(db(), rollback.id, deps())).toMatchObject({ status: "executed" });
    expect(mde.indicators.size).toBe(0);
    expect(mde.requests.some((r) => r.method === "GET" && r.path === "/api/indicators")).toBe(false);
    const scan = await request(caseId, "run_av_scan", { host: "ws-042" });
    await expect(requestRollback(db(), scan.id, ARIA, "x", ctx)).rejects.toThrow(/approved/);
  });

  it("judges an approved action again under the policy in force before its first attempt", async () => {
    const caseId = await aCase();
    const scan = await request(caseId, "run_av_scan", { host: "ws-042" });
    const collect = await request(caseId, "collect_investigation_package", { host: "ws-042" });
    expect([scan.status, collect.status]).toEqual(["approved", "approved"]);
    const stricter = parsePolicyText(`
rules:
  - {name: no-scans, when: {actions: [run_av_scan]}, decision: forbidden}
  - {name: ask-first, when: {actions: [collect_investigation_package]}, decision: needs_approval}
default: auto
`);
    expect(await executeAction(db(), scan.id, { ...deps(), policy: stricter })).toMatchObject({ status: "forbidden", policy: { rule: "no-scans" } });
    const pending = await executeAction(db(), collect.id, { ...deps(), policy: stricter });
    expect(pending).toMatchObject({ status: "pending_approval", approvals_required: 1, policy: { decision: "needs_approval", rule: "ask-first" } });
    expect(mde.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    await approveAction(db(), collect.id, { name: "alice", role: "analyst" }, clock);
    expect(await executeAction(db(), collect.id, { ...deps(), policy: stricter })).toMatchObject({ status: "in_progress" });
    expect((await listAudit(db(), { caseId })).filter((e) => e.action === "response.rechecked")).toHaveLength(2);
  });
});
