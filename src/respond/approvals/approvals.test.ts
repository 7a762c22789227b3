import { describe, expect, it } from "vitest";
import { ConflictError, ForbiddenError, ValidationError, fixedClock } from "../../core/index.js";
import { attachAlert, listAudit, verifyAuditChain } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { useTestEnvironment } from "../../../test/support/store.js";
import { DEFAULT_POLICY } from "../policy/index.js";
import { actionHash, approveAction, countActions, denyAction, editAndApprove, expireApprovals, getAction, listActions, requestAction, type RequestActionInput } from "./index.js";

const ARIA = { kind: "agent" as const, name: "ARIA" };
const alice = { name: "alice", role: "analyst" };
const bob = { name: "bob", role: "admin" };

describe("response approvals", () => {
  const { db } = useTestEnvironment();
  const clock = fixedClock("2026-11-24T10:00:00Z");
  const ctx = { policy: DEFAULT_POLICY, clock };

  async function aCase(): Promise<string> {
    const alert = await storedAlert(db(), { host: "ws-042" });
    return (await attachAlert(db(), alert, { windowMinutes: 60 }, clock)).caseId;
  }
  const isolate = (caseId: string, extra: Partial<RequestActionInput> = {}): RequestActionInput => ({
    case_id: caseId,
    action: "isolate_host",
    args: { host: "ws-042" },
    requested_by: ARIA,
    rationale: "beaconing to a known C2",
    evidence: ["EVD-001: 42 connections at 60s ± 2s"],
    confidence: 85,
    facts: { criticality: "medium", environment: "production" },
    ...extra,
  });

  it("records the policy's verdict: approval pending, auto-approved, or forbidden", async () => {
    const caseId = await aCase();
    const pending = await requestAction(db(), isolate(caseId), ctx);
    expect(pending).toMatchObject({ status: "pending_approval", approvals_required: 1, policy: { decision: "needs_approval", rule: "disruptive" }, target: "ws-042", expires_at: "2026-11-24T14:00:00.000Z" });
    expect(pending.args_hash).toBe(actionHash("isolate_host", { host: "ws-042", isolation_type: "full" }, caseId));
    const scan = await requestAction(db(), { ...isolate(caseId), action: "run_av_scan" }, ctx);
    expect(scan).toMatchObject({ status: "approved", policy: { decision: "auto_then_notify" } });
    const untouchable = await requestAction(db(), isolate(caseId, { facts: { criticality: "low", environment: "production", do_not_touch: true } }), ctx);
    expect(untouchable).toMatchObject({ status: "forbidden", policy: { rule: "guardrail:do-not-touch" } });
    expect(await countActions(db())).toEqual({ pending_approval: 1, approved: 1, forbidden: 1 });
    const audit = await listAudit(db(), { caseId });
    expect(audit.filter((e) => e.action === "response.requested").map((e) => e.data.status)).toEqual(["pending_approval", "approved", "forbidden"]);
  });

  it("the same request key returns the first request instead of a second one", async () => {
    const caseId = await aCase();
    const first = await requestAction(db(), isolate(caseId, { request_key: "proposal-1" }), ctx);
    const again = await requestAction(db(), isolate(caseId, { request_key: "proposal-1" }), ctx);
    expect(again.id).toBe(first.id);
    expect(await listActions(db())).toHaveLength(1);
  });

  it("only analysts and admins decide, never the requester, and each person once", async () => {
    const caseId = await aCase();
    const pending = await requestAction(db(), isolate(caseId, { requested_by: { kind: "human", name: "alice" } }), ctx);
    await expect(approveAction(db(), pending.id, { name: "victor", role: "viewer" }, clock)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(approveAction(db(), pending.id, alice, clock)).rejects.toThrow(/alice requested/);
    await expect(approveAction(db(), pending.id, bob, clock, { args_hash: "0".repeat(64) })).rejects.toBeInstanceOf(ConflictError);
    const approved = await approveAction(db(), pending.id, bob, clock, { note: "go", args_hash: pending.args_hash });
    expect(approved).toMatchObject({ status: "approved", approvals: [{ approver: "bob", role: "admin", decision: "approve", note: "go", args_hash: pending.args_hash }] });
    await expect(approveAction(db(), pending.id, { name: "carol", role: "analyst" }, clock)).rejects.toThrow(/is approved, not pending/);
  });

  it("two approvals take two different people", async () => {
    const caseId = await aCase();
    const pending = await requestAction(db(), isolate(caseId, { facts: { criticality: "critical", environment: "production" } }), ctx);
    expect(pending).toMatchObject({ status: "pending_approval", approvals_required: 2 });
    const once = await approveAction(db(), pending.id, alice, clock);
    expect(once.status).toBe("pending_approval");
    await expect(approveAction(db(), pending.id, { name: "ALICE", role: "admin" }, clock)).rejects.toThrow(/someone else/);
    expect((await approveAction(db(), pending.id, bob, clock)).status).toBe("approved");
    const actions = (await listAudit(db(), { caseId })).map((e) => e.action);
    expect(actions).toContain("response.approval_recorded");
    expect(actions).toContain("response.approved");
  });

  it("a denial ends the request; an expired request cannot be approved and the sweep marks it", async () => {
    const caseId = await aCase();
    const first = await requestAction(db(), isolate(caseId), ctx);
    expect((await denyAction(db(), first.id, alice, clock, { note: "false positive" })).status).toBe("denied");
    const later = await requestAction(db(), isolate(caseId), ctx);
    clock.advance(4 * 60 * 60_000);
    await expect(approveAction(db(), later.id, alice, clock)).rejects.toThrow(/expired/);
    expect(await expireApprovals(db(), clock)).toBe(1);
    expect((await getAction(db(), later.id)).status).toBe("expired");
    expect(await expireApprovals(db(), clock)).toBe(0);
  });

  it("approvals are bound to the stored arguments: a changed row is refused", async () => {
    const caseId = await aCase();
    const pending = await requestAction(db(), isolate(caseId), ctx);
    await db().updateTable("response_actions").set({ args: JSON.stringify({ host: "dc-01", isolation_type: "full" }) }).where("id", "=", pending.id).execute();
    await expect(approveAction(db(), pending.id, alice, clock)).rejects.toThrow(/no longer match the hash/);
  });

  it("edit-then-approve supersedes the request with a new hash, re-checks the policy and counts the editor's approval", async () => {
    const caseId = await aCase();
    const pending = await requestAction(db(), isolate(caseId), ctx);
    const edited = await editAndApprove(db(), pending.id, alice, { args: { host: "ws-042", isolation_type: "selective" }, note: "keep VPN" }, ctx);
    expect(edited.superseded.status).toBe("superseded");
    expect(edited.action).toMatchObject({ status: "approved", supersedes: pending.id, args: { host: "ws-042", isolation_type: "selective" }, approvals: [{ approver: "alice" }] });
    expect(edited.action.args_hash).not.toBe(pending.args_hash);
    // A new target needs its facts, and a do-not-touch target is refused with nothing changed.
    const other = await requestAction(db(), isolate(caseId), ctx);
    await expect(editAndApprove(db(), other.id, alice, { args: { host: "plc-01" } }, ctx)).rejects.toBeInstanceOf(ValidationError);
    await expect(editAndApprove(db(), other.id, alice, { args: { host: "plc-01" }, facts: { criticality: "critical", environment: "ot", do_not_touch: true } }, ctx)).rejects.toThrow(/forbidden/);
    expect((await getAction(db(), other.id)).status).toBe("pending_approval");
    expect(await countActions(db())).toEqual({ superseded: 1, approved: 1, pending_approval: 1 });
    const verification = await verifyAuditChain(db());
    expect(verification.ok).toBe(true);
  });
});
