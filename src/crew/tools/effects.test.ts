import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { getCase, listAudit, listComments, transitionCase, verifyAuditChain } from "../../cases/index.js";
import { ConflictError, ValidationError, fixedClock } from "../../core/index.js";
import { fromJson } from "../../store/index.js";
import { callTool } from "./call.js";
import { applyEffects } from "./effects.js";
import { seedWorld, testToolContext } from "./testing.js";
import type { StagedEffect } from "./tool.js";

type World = Awaited<ReturnType<typeof seedWorld>>;
const VERA = { name: "VERA", kind: "agent" as const };

describe(`applyEffects (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let world: World;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
    world = await seedWorld(env.store.db);
  });
  afterEach(async () => {
    await env.cleanup();
  });
  const db = () => env.store.db;
  const apply = (effects: StagedEffect[], actor = VERA) => db().transaction().execute((trx) => applyEffects(trx, effects, actor, clock, { runId: "run-1" }));
  const counts = async () => ({
    comments: (await db().selectFrom("comments").selectAll().execute()).length,
    actions: (await db().selectFrom("proposed_actions").selectAll().execute()).length,
    memory: (await db().selectFrom("shift_memory").selectAll().execute()).length,
    audit: (await listAudit(db(), { limit: 1000 })).length,
  });

  it("applies a run's staged effects: comment, case update through the workflow, proposal, memory", async () => {
    const ctx = testToolContext(db(), { agent: "VERA", caseId: world.caseA });
    await callTool("add_case_comment", { case_id: world.caseA, body: "Beaconing every 60 s" }, ctx);
    await callTool("update_case", { case_id: world.caseA, severity: "critical", priority: "P1", add_tags: ["c2"], status: "in_progress", reason: "confirmed C2" }, ctx);
    await callTool("propose_action", { case_id: world.caseA, action: "isolate_host", target: "ws-01", rationale: "active C2", urgency: "immediate" }, ctx);
    await callTool("write_shift_memory", { key: "c2", value: { domain: "evil.example" } }, ctx);
    expect(ctx.staged).toHaveLength(4);

    const applied = await apply(ctx.staged);
    expect(applied.map((a) => a.kind)).toEqual(["comment", "update_case", "propose_action", "memory_write"]);
    const c = (await getCase(db(), world.caseA))!;
    expect(c).toMatchObject({ status: "in_progress", severity: "critical", priority: "P1" });
    expect(c.tags).toContain("c2");
    expect((await listComments(db(), world.caseA)).map((x) => [x.author, x.body])).toEqual([[VERA, "Beaconing every 60 s"]]);
    const [action] = await db().selectFrom("proposed_actions").selectAll().execute();
    expect(action).toMatchObject({ case_id: world.caseA, run_id: "run-1", proposed_by: "VERA", action: "isolate_host", target: "ws-01", status: "proposed" });
    expect(fromJson(action!.doc, {})).toEqual({ schema_version: 1, action: "isolate_host", target: "ws-01", rationale: "active C2", urgency: "immediate", proposed_by: "VERA", run_id: "run-1" });
    const [memory] = await db().selectFrom("shift_memory").selectAll().execute();
    expect(memory).toMatchObject({ agent: "VERA", shift: "2026-11-24", key: "c2", case_id: world.caseA });
    const actions = (await listAudit(db(), { limit: 1000 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["comment.added", "case.update_requested", "case.updated", "case.transition", "action.proposed"]));
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });

  it("is all or nothing: one bad effect and nothing is written", async () => {
    const before = await counts();
    const good: StagedEffect[] = [
      { kind: "comment", case_id: world.caseA, body: "fine" },
      { kind: "memory_write", agent: "VERA", shift: "2026-11-24", key: "k", value: 1, case_id: null },
    ];
    await expect(apply([...good, { kind: "propose_action", case_id: world.caseA, action: "isolate_host", target: "ws-02", rationale: "x", urgency: "immediate" }])).rejects.toBeInstanceOf(ValidationError);
    await expect(apply([...good, { kind: "comment", case_id: "TORA-20991231-0001", body: "x" }])).rejects.toThrow(/not found/);
    await expect(apply([...good, { kind: "memory_write", agent: "VERA", shift: "s", key: "big", value: "x".repeat(5000), case_id: null }])).rejects.toBeInstanceOf(ValidationError);
    await expect(apply([...good, { kind: "update_case", case_id: world.caseA, changes: { status: "closed" as "on_hold" }, reason: "x" }])).rejects.toBeInstanceOf(ValidationError);
    await transitionCase(db(), world.caseA, { to: "closed", actor: { kind: "human", name: "alice" }, verdict: "false_positive", rationale: "test" }, clock);
    const closedCounts = await counts();
    // closed → on_hold is not a legal move: refused before the comment is written.
    await expect(apply([...good, { kind: "update_case", case_id: world.caseA, changes: { status: "on_hold" }, reason: "x" }])).rejects.toBeInstanceOf(ConflictError);
    expect(await counts()).toEqual(closedCounts);
    expect(closedCounts).toEqual({ ...before, audit: before.audit + 1 });
  });

  it("an agent never lowers severity; a human may", async () => {
    await apply([{ kind: "update_case", case_id: world.caseA, changes: { severity: "high" }, reason: "up" }]);
    await apply([{ kind: "update_case", case_id: world.caseA, changes: { severity: "low" }, reason: "down" }]);
    expect((await getCase(db(), world.caseA))!.severity).toBe("high");
    await apply([{ kind: "update_case", case_id: world.caseA, changes: { severity: "low" }, reason: "down" }], { name: "alice", kind: "human" } as never);
    expect((await getCase(db(), world.caseA))!.severity).toBe("low");
  });

  it("over MCP (effects: apply) a write lands at once, as the token's holder", async () => {
    const mcp = testToolContext(db(), { agent: null });
    const result = await callTool("add_case_comment", { case_id: world.caseB, body: "from an outside agent" }, mcp);
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.content)).toMatchObject({ staged: false, applied: true, comment_id: expect.any(String) });
    expect((await listComments(db(), world.caseB)).map((c) => c.author)).toEqual([{ kind: "human", name: "mcp-token" }]);
    const proposal = await callTool("propose_action", { case_id: world.caseB, action: "disable_account", target: "bob", rationale: "credential theft" }, mcp);
    expect(JSON.parse(proposal.content)).toMatchObject({ applied: true, action_id: expect.any(String) });
    const closing = await callTool("update_case", { case_id: world.caseB, status: "closed", reason: "done" }, mcp);
    expect(closing.error?.code).toBe("forbidden");
    const illegal = await callTool("update_case", { case_id: world.caseB, status: "on_hold", reason: "wait" }, mcp);
    expect(illegal.ok).toBe(true);
    expect((await getCase(db(), world.caseB))!.status).toBe("on_hold");
  });
});
