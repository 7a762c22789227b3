import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../../test/support/store.js";
import { INVESTIGATE_JOB, VeraOutput, fixedClock } from "../../core/index.js";
import { getCase, listAudit, listComments, transitionCase, verifyAuditChain } from "../../cases/index.js";
import { enqueue, fromJson, runUntilIdle } from "../../store/index.js";
import { dnsLookup, intelMatch } from "../testing/fixtures.js";
import { loadVeraInput } from "./augment.js";
import { investigateDeterministic } from "./deterministic.js";
import { commitVeraDecision, getVeraDecision, investigateCase, veraHandlers } from "./handler.js";
import { after, connections, phishingCredentials, storeEvents, sysmon, triagedCase } from "./testing.js";

const C2 = { threat_intel: { verdict: "malicious" as const, matches: [intelMatch("c2.example", 45)] } };

describe(`investigateCase (${testStoreKind()})`, () => {
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 100);
  const { db } = useTestEnvironment();

  async function c2Case(): Promise<string> {
    await storeEvents(db(), connections(6, { ip: "198.51.100.7", port: 443, image: "C:\\Windows\\System32\\rundll32.exe" }));
    return triagedCase(db(), clock, dnsLookup({}, C2));
  }

  async function proposals(caseId: string) {
    const rows = await db().selectFrom("proposed_actions").selectAll().where("case_id", "=", caseId).orderBy("created_at").execute();
    return rows.map((r) => ({ ...r, doc: fromJson<Record<string, unknown>>(r.doc, {}) }));
  }

  it("escalates to ARIA: decision, six steps, proposals, assignment, priority, comment and the journal hand-off", async () => {
    const caseId = await c2Case();
    expect((await getCase(db(), caseId))!).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "VERA" } });

    const decision = await investigateCase(db(), caseId, clock);
    expect(decision).toMatchObject({ case_id: caseId, agent: "VERA", tier: 2, verdict: "ESCALATE_TO_ARIA", analyst: "deterministic" });
    const output = VeraOutput.parse(decision.output);
    expect(output.nova_feed.duration_ms).toBe(decision.duration_ms);
    expect(await getVeraDecision(db(), caseId)).toEqual(decision);

    const c = (await getCase(db(), caseId))!;
    expect(c).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "ARIA" }, priority: "P1", severity: output.severity, crew_verdict: "ESCALATE_TO_ARIA" });
    expect(c.tags).toEqual(expect.arrayContaining(["vera:escalate_to_aria", "root-cause:confirmed"]));

    const proposed = await proposals(caseId);
    expect(proposed.map((p) => `${p.action} ${p.target}`)).toEqual(output.containment.recommendations.map((r) => `${r.action_hint} ${r.target}`));
    expect(proposed.every((p) => p.status === "proposed" && p.proposed_by === "VERA" && p.doc.decision_id === decision.id)).toBe(true);

    const audit = await listAudit(db(), { caseId });
    const vera = audit.filter((e) => e.actor.name === "VERA");
    expect(vera.filter((e) => e.action === "vera.step").map((e) => e.data.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(vera.find((e) => e.action === "vera.decision")!.data).toMatchObject({ decision_id: decision.id, verdict: "ESCALATE_TO_ARIA", adjustments: [] });
    expect(vera.map((e) => e.action)).toContain("case.assigned");
    expect((await verifyAuditChain(db())).ok).toBe(true);

    const comments = (await listComments(db(), caseId)).filter((x) => x.author.name === "VERA");
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toMatch(/^## VERA investigation — ESCALATE_TO_ARIA · root cause CONFIRMED/);
    expect(comments[0]!.body).toContain("`isolate_host` `WS-042`");

    const journal = await db().selectFrom("jobs").select(["payload", "dedupe_key"]).where("kind", "=", "journal.post").execute();
    expect(journal.map((j) => fromJson(j.payload, {}))).toContainEqual({ decision_id: decision.id });
  });

  it("is idempotent: a case VERA decided is not decided twice", async () => {
    const caseId = await c2Case();
    const first = await investigateCase(db(), caseId, clock);
    const second = await investigateCase(db(), caseId, clock);
    const input = await loadVeraInput(db(), caseId, clock);
    const third = await commitVeraDecision(db(), caseId, investigateDeterministic(input, input.now), { analyst: "model" }, clock);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await db().selectFrom("decisions").select("id").where("agent", "=", "VERA").execute()).toHaveLength(1);
    expect(await proposals(caseId)).toHaveLength(VeraOutput.parse(first.output).containment.recommendations.length);
    expect((await listComments(db(), caseId)).filter((x) => x.author.name === "VERA")).toHaveLength(1);
  });

  it("closes a refuted dead lookup with its disposition and rationale", async () => {
    await storeEvents(db(), [
      sysmon(22, after(0), { Image: "C:\\Program Files\\Google\\Chrome\\chrome.exe", QueryName: "c2.example", QueryStatus: "9003" }),
      ...connections(3, { ip: "142.250.1.1", port: 443, image: "C:\\Program Files\\Google\\Chrome\\chrome.exe", start: 2 }),
    ]);
    const caseId = await triagedCase(db(), clock, dnsLookup({ rcode: "NXDOMAIN" }, C2));
    const decision = await investigateCase(db(), caseId, clock);
    expect(decision.verdict).toBe("CLOSED");
    const c = (await getCase(db(), caseId))!;
    expect(c).toMatchObject({ status: "closed", verdict: "false_positive", crew_verdict: "CLOSED" });
    expect(c.verdict_rationale).toMatch(/NXDOMAIN/);
    expect(await proposals(caseId)).toEqual([]);
  });

  it("puts a HOLD on hold for soc-queue, flagged for human verification", async () => {
    const caseId = await triagedCase(db(), clock, dnsLookup({ rcode: "NXDOMAIN" }, { ...C2, asset: { telemetry: [], edr_present: false }, meta: { telemetry: [] } }));
    const decision = await investigateCase(db(), caseId, clock);
    expect(decision.verdict).toBe("HOLD");
    expect((await getCase(db(), caseId))!).toMatchObject({ status: "on_hold", assignee: { kind: "human", name: "soc-queue" }, needs_human_verification: true, crew_verdict: "HOLD", verdict: null });
  });

  it("guards any analyst's proposal: a closure of a credential-harvest case lands on hold, never closed", async () => {
    const caseId = await triagedCase(db(), clock, phishingCredentials());
    const input = await loadVeraInput(db(), caseId, clock);
    const honest = investigateDeterministic(input, input.now);
    const lying: VeraOutput = {
      ...honest,
      verdict: "CLOSED",
      disposition: "false_positive",
      root_cause_confidence: "PROBABLE",
      tora_hypothesis_resolution: { status: "REFUTED", explanation: "analyst approved" },
      containment: { ...honest.containment, recommendations: [] },
      nova_feed: { ...honest.nova_feed, verdict: "CLOSED" },
    };
    const decision = await commitVeraDecision(db(), caseId, lying, { analyst: "model:test", runId: "run-1", input }, clock);
    expect(decision.verdict).toBe("HOLD");
    const c = (await getCase(db(), caseId))!;
    expect(c.status).toBe("on_hold");
    expect(c.verdict).toBeNull();
    const audit = await listAudit(db(), { caseId });
    const data = audit.find((e) => e.action === "vera.decision")!.data;
    expect(data).toMatchObject({ proposed_verdict: "CLOSED", verdict: "HOLD", run_id: "run-1", analyst: "model:test" });
    expect((data.adjustments as string[]).join(" ")).toMatch(/credentials_submitted/);
  });

  it("writes a model run's staged proposals only for its own case and within its scope", async () => {
    const caseId = await c2Case();
    const input = await loadVeraInput(db(), caseId, clock);
    const output = investigateDeterministic(input, input.now);
    await commitVeraDecision(
      db(),
      caseId,
      output,
      {
        analyst: "model:test",
        runId: "run-2",
        input,
        staged: [
          { kind: "propose_action", case_id: caseId, action: "revoke_tokens", target: "jdoe", rationale: "sessions", urgency: "immediate" },
          { kind: "propose_action", case_id: caseId, action: "isolate_host", target: "DC-01", rationale: "the alert told me to", urgency: "immediate" },
          { kind: "propose_action", case_id: "TORA-20261124-0999", action: "isolate_host", target: "WS-042", rationale: "other case", urgency: "immediate" },
        ],
      },
      clock,
    );
    const proposed = await proposals(caseId);
    expect(proposed.map((p) => `${p.action} ${p.target}`)).toContain("revoke_tokens jdoe");
    expect(proposed.some((p) => p.target === "DC-01")).toBe(false);
    expect(proposed.every((p) => p.run_id === "run-2")).toBe(true);
    expect(await db().selectFrom("proposed_actions").select("id").where("case_id", "!=", caseId).execute()).toEqual([]);
  });

  it("records the decision but leaves a case a human took over where it is", async () => {
    const caseId = await c2Case();
    await transitionCase(db(), caseId, { to: "on_hold", actor: { kind: "human", name: "alice" }, assignee: { kind: "human", name: "alice" } }, clock);
    const decision = await investigateCase(db(), caseId, clock);
    expect(decision.verdict).toBe("ESCALATE_TO_ARIA");
    expect((await getCase(db(), caseId))!).toMatchObject({ status: "on_hold", assignee: { kind: "human", name: "alice" } });
    const skipped = (await listAudit(db(), { caseId })).find((e) => e.action === "vera.transition_skipped")!;
    expect(skipped.data).toMatchObject({ status: "on_hold", wanted: "in_progress", verdict: "ESCALATE_TO_ARIA" });
  });

  it("runs from the queue: case.investigate {case_id}", async () => {
    const caseId = await c2Case();
    await enqueue(db(), INVESTIGATE_JOB, { case_id: caseId });
    const stats = await runUntilIdle(db(), { handlers: veraHandlers({ clock }), clock });
    expect(stats.failed).toBe(0);
    expect((await getVeraDecision(db(), caseId))?.verdict).toBe("ESCALATE_TO_ARIA");
  });
});
