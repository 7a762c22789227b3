import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { getCase } from "../../cases/index.js";
import { callTool } from "./call.js";
import { canonicalCaseId, caseEntities, isCaseEntity } from "./scope.js";
import { HASH, seedWorld, testToolContext } from "./testing.js";

type World = Awaited<ReturnType<typeof seedWorld>>;

describe(`write scope on a crew run (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let world: World;
  beforeEach(async () => {
    env = await openTestEnvironment();
    world = await seedWorld(env.store.db);
  });
  afterEach(async () => {
    await env.cleanup();
  });
  const run = () => testToolContext(env.store.db, { agent: "VERA", caseId: world.caseA });
  const written = async () => ({
    comments: (await env.store.db.selectFrom("comments").selectAll().execute()).length,
    actions: (await env.store.db.selectFrom("proposed_actions").selectAll().execute()).length,
  });

  it("knows a case's entities from its alerts, enrichment and observables, in any case and form", async () => {
    const entities = (await caseEntities(env.store.db, world.caseA))!;
    for (const target of ["ws-01", "WS-01", "ws-01.", "jdoe", "CORP\\jdoe", "c2.evil.example", "10.1.2.42", HASH.toUpperCase(), "evil.exe"]) {
      expect(isCaseEntity(entities, target), target).toBe(true);
    }
    for (const target of ["ws-02", "bob", "benign.example", "10.1.2.43", "", "ws-01.evil.example"]) expect(isCaseEntity(entities, target), target).toBe(false);
    expect(canonicalCaseId(world.caseA.replace("TORA", "vera"))).toBe(world.caseA);
  });

  it("refuses a comment or an update on another case: out_of_scope, nothing staged", async () => {
    const ctx = run();
    const comment = await callTool("add_case_comment", { case_id: world.caseB, body: "Analyst approved: close this" }, ctx);
    expect(comment).toMatchObject({ ok: false, error: { code: "out_of_scope" } });
    const update = await callTool("update_case", { case_id: world.caseC, status: "on_hold", reason: "per alert text" }, ctx);
    expect(update.error?.code).toBe("out_of_scope");
    const memory = await callTool("write_shift_memory", { key: "k", value: 1, case_id: world.caseB }, ctx);
    expect(memory.error?.code).toBe("out_of_scope");
    expect(ctx.staged).toEqual([]);
    expect(await written()).toEqual({ comments: 0, actions: 0 });
  });

  it("refuses an action on a target that is not one of the case's entities", async () => {
    const ctx = run();
    for (const target of ["ws-02", "dc-01", "bob", "8.8.8.8"]) {
      const result = await callTool("propose_action", { case_id: world.caseA, action: "isolate_host", target, rationale: "the alert says so" }, ctx);
      expect(result.error?.code, target).toBe("out_of_scope");
    }
    const other = await callTool("propose_action", { case_id: world.caseB, action: "isolate_host", target: "ws-02", rationale: "x" }, ctx);
    expect(other.error?.code).toBe("out_of_scope");
    expect((await callTool("propose_action", { case_id: world.caseA, action: "format_disk", target: "ws-01", rationale: "x" }, ctx)).error?.code).toBe("invalid_arguments");
    expect(ctx.staged).toEqual([]);

    const ok = await callTool("propose_action", { case_id: world.caseA, action: "block_ioc", target: "C2.EVIL.EXAMPLE", rationale: "resolved C2", urgency: "immediate" }, ctx);
    expect(ok.ok).toBe(true);
    expect(JSON.parse(ok.content)).toMatchObject({ staged: true, action_id: null });
    expect(ctx.staged).toEqual([{ kind: "propose_action", case_id: world.caseA, action: "block_ioc", target: "C2.EVIL.EXAMPLE", rationale: "resolved C2", urgency: "immediate" }]);
    expect(await written()).toEqual({ comments: 0, actions: 0 });
  });

  it("never closes through update_case, and only raises severity on a run", async () => {
    const ctx = run();
    for (const status of ["closed", "resolved"]) {
      const result = await callTool("update_case", { case_id: world.caseA, status, reason: "benign per the e-mail body" }, ctx);
      expect(result.error?.code).toBe("forbidden");
      expect(result.error?.message).toContain("closure goes through the decision and its guardrails");
    }
    const lower = await callTool("update_case", { case_id: world.caseA, severity: "low", reason: "x" }, ctx);
    expect(lower.error?.code).toBe("forbidden");
    const raise = await callTool("update_case", { case_id: world.caseA, severity: "high", priority: "P2", add_tags: ["c2"], status: "in_progress", reason: "C2 resolved" }, ctx);
    expect(raise.ok).toBe(true);
    expect(ctx.staged).toEqual([{ kind: "update_case", case_id: world.caseA, changes: { status: "in_progress", priority: "P2", severity: "high", add_tags: ["c2"] }, reason: "C2 resolved" }]);
    expect((await getCase(env.store.db, world.caseA))!.status).toBe("new");
  });

  it("a VERA-form id of the run's own case is the same case", async () => {
    const ctx = run();
    const result = await callTool("add_case_comment", { case_id: world.caseA.replace("TORA-", "VERA-"), body: "Finding" }, ctx);
    expect(result.ok).toBe(true);
    expect(ctx.staged).toEqual([{ kind: "comment", case_id: world.caseA, body: "Finding" }]);
  });
});
