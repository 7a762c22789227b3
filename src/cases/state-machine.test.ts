import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { ConflictError, NotFoundError, ValidationError, fixedClock, type CaseStatus } from "../core/index.js";
import { assignCase, attachAlert, flagForHumanVerification, getCase, listAudit, transitionCase, updateCaseTriage, verifyAuditChain } from "./index.js";
import { storedAlert } from "./test-alerts.js";

const human = { kind: "human", name: "ana" } as const;
const tora = { kind: "agent", name: "TORA" } as const;
const vera = { kind: "agent", name: "VERA" } as const;
const STATUSES: CaseStatus[] = ["new", "in_progress", "on_hold", "resolved", "closed"];
// Written out again (not imported) so that a change to the implementation's table fails here.
const LEGAL = new Set([
  "new>in_progress",
  "new>on_hold",
  "new>resolved",
  "new>closed",
  "in_progress>on_hold",
  "in_progress>resolved",
  "in_progress>closed",
  "on_hold>in_progress",
  "on_hold>resolved",
  "on_hold>closed",
  "resolved>closed",
  "resolved>in_progress",
  "closed>in_progress",
]);
const decided = { verdict: "false_positive", rationale: "known scanner" } as const;

describe(`case state machine (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let clock: ReturnType<typeof fixedClock>;
  beforeEach(async () => {
    env = await openTestEnvironment();
    clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function newCase(host = "ws-01"): Promise<string> {
    const alert = await storedAlert(env.store.db, { host });
    return (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
  }

  /** A case in the given status, reached by a human along legal moves. */
  async function caseIn(status: CaseStatus, host: string): Promise<string> {
    const id = await newCase(host);
    if (status !== "new") await transitionCase(env.store.db, id, { to: status, actor: human, ...decided }, clock);
    return id;
  }

  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
  it.each(pairs)("%s → %s is legal only when the workflow says so", async (from, to) => {
    const id = await caseIn(from, `${from}-${to}`);
    const auditBefore = (await listAudit(env.store.db, { caseId: id })).length;
    const move = transitionCase(env.store.db, id, { to, actor: human, ...decided }, clock);
    if (LEGAL.has(`${from}>${to}`)) {
      const moved = await move;
      expect(moved.status).toBe(to);
      expect((await getCase(env.store.db, id))!.status).toBe(to);
      const events = await listAudit(env.store.db, { caseId: id });
      expect(events).toHaveLength(auditBefore + 1);
      expect(events.at(-1)).toMatchObject({ action: "case.transition", actor: human, data: { from, to } });
    } else {
      await expect(move).rejects.toBeInstanceOf(ConflictError);
      expect((await getCase(env.store.db, id))!.status).toBe(from);
      expect(await listAudit(env.store.db, { caseId: id })).toHaveLength(auditBefore);
    }
  });

  it("lets only a human reopen a closed case; anyone may reopen a resolved one", async () => {
    const closed = await caseIn("closed", "a");
    await expect(transitionCase(env.store.db, closed, { to: "in_progress", actor: tora }, clock)).rejects.toBeInstanceOf(ConflictError);
    const reopened = await transitionCase(env.store.db, closed, { to: "in_progress", actor: human }, clock);
    expect(reopened).toMatchObject({ status: "in_progress", verdict: null, verdict_rationale: null, closed_at: null, outcome: "escalated" });
    const resolved = await caseIn("resolved", "b");
    expect((await transitionCase(env.store.db, resolved, { to: "in_progress", actor: vera }, clock)).status).toBe("in_progress");
  });

  it("closes or resolves only with a verdict and a rationale, and writes nothing otherwise", async () => {
    const id = await newCase();
    for (const to of ["closed", "resolved"] as const) {
      const missingBoth = transitionCase(env.store.db, id, { to, actor: human }, clock);
      await expect(missingBoth).rejects.toSatisfy(
        (e: unknown) => e instanceof ValidationError && e.issues.map((i) => i.path).sort().join() === "rationale,verdict",
      );
      await expect(
        transitionCase(env.store.db, id, { to, actor: human, verdict: "true_positive", rationale: "   " }, clock),
      ).rejects.toSatisfy((e: unknown) => e instanceof ValidationError && e.issues.map((i) => i.path).join() === "rationale");
    }
    expect(await getCase(env.store.db, id)).toMatchObject({ status: "new", verdict: null, acknowledged_at: null });
    expect(await listAudit(env.store.db, { caseId: id })).toHaveLength(1);
    const closed = await transitionCase(env.store.db, id, { to: "closed", actor: tora, verdict: "true_positive", rationale: " confirmed " }, clock);
    expect(closed).toMatchObject({ status: "closed", verdict: "true_positive", verdict_rationale: "confirmed", outcome: "closed" });
  });

  it("puts an agent's close of a case needing human verification on hold; a human may close it", async () => {
    const id = await newCase();
    const held = await transitionCase(env.store.db, id, { to: "on_hold", actor: vera, needsHumanVerification: true }, clock);
    expect(held).toMatchObject({ status: "on_hold", needs_human_verification: true, held_for_human: false });
    for (const to of ["closed", "resolved"] as const) {
      const attempt = await transitionCase(env.store.db, id, { to, actor: vera, ...decided }, clock);
      expect(attempt).toMatchObject({ status: "on_hold", held_for_human: true, verdict: null, closed_at: null, resolved_at: null });
    }
    const events = await listAudit(env.store.db, { caseId: id });
    expect(events.at(-1)!.data).toMatchObject({ requested: "resolved", to: "on_hold", held_for_human: true, verdict: "false_positive" });
    await expect(
      transitionCase(env.store.db, id, { to: "in_progress", actor: tora, needsHumanVerification: false }, clock),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(transitionCase(env.store.db, id, { to: "closed", actor: { kind: "system", name: "auto" }, ...decided }, clock)).resolves.toMatchObject({
      status: "on_hold",
      held_for_human: true,
    });
    const closed = await transitionCase(env.store.db, id, { to: "closed", actor: human, ...decided }, clock);
    expect(closed).toMatchObject({ status: "closed", verdict: "false_positive", held_for_human: false });
  });

  it("flags a case already on hold for a human once, audited; an agent's close is then held", async () => {
    const id = await newCase();
    await transitionCase(env.store.db, id, { to: "on_hold", actor: vera }, clock);
    expect((await getCase(env.store.db, id))!.needs_human_verification).toBe(false);
    const flagged = await flagForHumanVerification(env.store.db, id, vera, "VERA: HOLD", clock);
    expect(flagged).toMatchObject({ status: "on_hold", needs_human_verification: true });
    await flagForHumanVerification(env.store.db, id, vera, "VERA: HOLD", clock);
    expect((await listAudit(env.store.db, { caseId: id })).filter((e) => e.action === "case.flagged_for_human")).toHaveLength(1);
    expect((await transitionCase(env.store.db, id, { to: "closed", actor: tora, ...decided }, clock)).status).toBe("on_hold");
    await expect(flagForHumanVerification(env.store.db, "TORA-20990101-0001", vera, "x", clock)).rejects.toBeInstanceOf(NotFoundError);
    expect((await verifyAuditChain(env.store.db)).ok).toBe(true);
  });

  it("holds an agent's close that itself flags the case, and an agent cannot close a flagged case it escalated", async () => {
    const fresh = await newCase("a");
    const held = await transitionCase(env.store.db, fresh, { to: "closed", actor: tora, needsHumanVerification: true, ...decided }, clock);
    expect(held).toMatchObject({ status: "on_hold", held_for_human: true, needs_human_verification: true });

    const working = await newCase("b");
    await transitionCase(env.store.db, working, { to: "in_progress", actor: tora, needsHumanVerification: true }, clock);
    expect((await transitionCase(env.store.db, working, { to: "closed", actor: vera, ...decided }, clock)).status).toBe("on_hold");

    const resolved = await caseIn("resolved", "c");
    await expect(
      transitionCase(env.store.db, resolved, { to: "closed", actor: tora, needsHumanVerification: true, ...decided }, clock),
    ).rejects.toThrow(/human verification/);
  });

  it("sets the workflow timestamps", async () => {
    const id = await newCase();
    const created = (await getCase(env.store.db, id))!;
    expect(created).toMatchObject({ acknowledged_at: null, escalated_at: null, resolved_at: null, closed_at: null });
    const triaged = await transitionCase(env.store.db, id, { to: "in_progress", actor: tora, assignee: tora }, clock);
    expect(triaged.acknowledged_at).not.toBeNull();
    expect(triaged.acknowledged_at! > created.created_at).toBe(true);
    expect(triaged.escalated_at).toBeNull();
    expect(triaged.assignee).toEqual(tora);
    expect(triaged.updated_at).toBe(triaged.acknowledged_at);

    const escalated = await assignCase(env.store.db, id, vera, tora, clock);
    expect(escalated.escalated_at).not.toBeNull();
    expect(escalated.assignee).toEqual(vera);
    expect(escalated.acknowledged_at).toBe(triaged.acknowledged_at);

    const held = await transitionCase(env.store.db, id, { to: "on_hold", actor: vera, assignee: { kind: "agent", name: "ARIA" } }, clock);
    expect(held.escalated_at).toBe(escalated.escalated_at);
    expect(held.updated_at > escalated.updated_at).toBe(true);

    const resolved = await transitionCase(env.store.db, id, { to: "resolved", actor: human, ...decided }, clock);
    expect(resolved.resolved_at).toBe(resolved.updated_at);
    expect(resolved.closed_at).toBeNull();
    const closed = await transitionCase(env.store.db, id, { to: "closed", actor: human, ...decided, suppressionId: "sup-1" }, clock);
    expect(closed.closed_at).toBe(closed.updated_at);
    expect(closed.resolved_at).toBe(resolved.resolved_at);
    expect(closed.outcome).toBe("suppressed");
    expect(await verifyAuditChain(env.store.db)).toMatchObject({ ok: true });
  });

  it("escalates when a transition hands the case straight to a higher tier", async () => {
    const id = await newCase();
    const moved = await transitionCase(env.store.db, id, { to: "in_progress", actor: tora, assignee: vera, crewVerdict: "ESCALATED" }, clock);
    expect(moved.escalated_at).toBe(moved.updated_at);
    expect(moved.crew_verdict).toBe("ESCALATED");
    const audit = await listAudit(env.store.db, { caseId: id });
    expect(audit.at(-1)!.data).toMatchObject({ from: "new", to: "in_progress", assignee: vera, crew_verdict: "ESCALATED" });
  });

  it("refuses unknown cases and unknown fields", async () => {
    await expect(transitionCase(env.store.db, "TORA-20261124-9999", { to: "in_progress", actor: human }, clock)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const id = await newCase();
    await expect(
      transitionCase(env.store.db, id, { to: "in_progress", actor: human, colour: "red" } as never, clock),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(transitionCase(env.store.db, id, { to: "done" as CaseStatus, actor: human }, clock)).rejects.toSatisfy(
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.path === "to",
    );
  });

  it("updates triage fields and audits what changed", async () => {
    const id = await newCase();
    const updated = await updateCaseTriage(
      env.store.db,
      id,
      { priority: "P2", severity: "high", confidence: 72, crewVerdict: "ESCALATED", tags: ["dns"], attack: { tactics: ["command-and-control"], techniques: ["T1071.004"] }, title: "DNS C2" },
      tora,
      clock,
    );
    expect(updated).toMatchObject({
      priority: "P2",
      severity: "high",
      confidence: 72,
      crew_verdict: "ESCALATED",
      tags: ["dns"],
      // Tactics are stored and shown by their canonical ATT&CK name, with the id beside (core/attack.ts).
      attack: { tactics: ["Command and Control"], tactic_ids: ["TA0011"], techniques: ["T1071.004"] },
      title: "DNS C2",
      status: "new",
    });
    expect(updated.acknowledged_at).not.toBeNull();
    const event = (await listAudit(env.store.db, { caseId: id })).at(-1)!;
    expect(event.action).toBe("case.updated");
    expect(event.data).toMatchObject({ changes: { severity: { from: "medium", to: "high" }, confidence: { from: null, to: 72 } } });

    const again = await updateCaseTriage(env.store.db, id, { severity: "high" }, tora, clock);
    expect(again.updated_at).toBe(updated.updated_at);
    expect((await listAudit(env.store.db, { caseId: id })).length).toBe(2);

    await expect(updateCaseTriage(env.store.db, id, { confidence: 150, priority: "P9" as "P1" }, tora, clock)).rejects.toSatisfy(
      (e: unknown) => e instanceof ValidationError && e.issues.map((i) => i.path).sort().join() === "confidence,priority",
    );
    expect((await getCase(env.store.db, id))!.confidence).toBe(72);
    await expect(updateCaseTriage(env.store.db, "TORA-20261124-9999", { title: "x" }, tora, clock)).rejects.toBeInstanceOf(NotFoundError);
  });
});
