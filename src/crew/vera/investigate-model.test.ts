import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock, ToraOutput, VeraOutput, type FailureKind, type RunFailure, type TraceEntry } from "../../core/index.js";
import { getCase, listAudit, listComments, transitionCase } from "../../cases/index.js";
import { fromJson, runUntilIdle } from "../../store/index.js";
import { emptyUsage, getTrace, listRuns } from "../runs/store.js";
import type { AgentOutcome, AgentSpec, ModelSettings, RunAgentOptions } from "../runtime/types.js";
import type { StagedEffect } from "../tools/tool.js";
import { dnsLookup, intelMatch } from "../testing/fixtures.js";
import { getToraDecision } from "../tora/handler.js";
import { loadVeraInput } from "./augment.js";
import { investigateDeterministic } from "./deterministic.js";
import { getVeraDecision, VERA_DECIDED_WITHOUT_MODEL_TAG, VERA_FALLBACK_ANALYST, VERA_MODEL_FAILED_TAG, veraHandlers, type VeraHandlerOptions } from "./handler.js";
import type { VeraProposal } from "./model.js";
import { connections, storeEvents, triagedCase } from "./testing.js";

const MODEL: ModelSettings = {
  base_url: "http://127.0.0.1:9/v1",
  model: "fake-llm",
  context_window: 32_768,
  max_output_tokens: 1024,
  temperature: 0,
  timeout_ms: 1000,
  structured_output: "json_schema",
  stream: false,
  cost: { input_per_mtok: 0, output_per_mtok: 0 },
  headers: {},
};

type Turn = { ok: true; output: VeraProposal; staged?: StagedEffect[] } | { ok: false; failure: RunFailure } | { throws: string };

/** A runAgent stand-in: each call takes the next scripted turn; records the specs it was given. */
function fakeRuntime(turns: Turn[]) {
  const specs: AgentSpec<unknown>[] = [];
  const runAgent = async <O,>(spec: AgentSpec<O>, options: RunAgentOptions): Promise<AgentOutcome<O>> => {
    specs.push(spec as AgentSpec<unknown>);
    const turn = turns.shift();
    if (!turn) throw new Error("no scripted turn left");
    if ("throws" in turn) throw new Error(turn.throws);
    const trace: TraceEntry[] = [
      { seq: 0, kind: "request", at: options.clock.now().toISOString(), latency_ms: null, tokens_in: 100, tokens_out: null, tokens_estimated: false, cost: null, data: { task: spec.task } },
    ];
    const input = { agent: spec.agent, tier: spec.tier, case_id: spec.caseId, system: spec.system, task: spec.task, data: spec.data, tools: [], output: spec.output.name, prompt_version: spec.promptVersion, model: { model: options.model.model }, max_steps: spec.maxSteps };
    const base = { usage: { ...emptyUsage(), requests: 1, tokens_in: 100 }, trace, analyst: `model:${options.model.model}`, input };
    if (!turn.ok) return { ok: false, failure: turn.failure, ...base };
    options.toolContext.staged.push(...(turn.staged ?? []));
    return { ok: true, output: turn.output as O, ...base };
  };
  return { runAgent, specs };
}

function proposalOf(output: VeraOutput, patch: Partial<VeraProposal> = {}): VeraProposal {
  const { nova_feed: _nf, vera_id: _id, severity_delta: _d, ...rest } = structuredClone(output);
  return { ...rest, ...patch };
}

const fail = (kind: FailureKind, retryable: boolean, message = `${kind} happened`): Turn => ({ ok: false, failure: { kind, message, retryable } });
const C2 = { threat_intel: { verdict: "malicious" as const, matches: [intelMatch("c2.example", 45)] } };

describe(`VERA on a model: the investigation stage (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 250);
  const pastQueue = () => fixedClock("2001-01-01T00:00:00.000Z");
  const futureQueue = () => fixedClock("2999-01-01T00:00:00.000Z");
  const db = () => env.store.db;

  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  /** A beaconing C2 case TORA escalated: VERA's deterministic verdict is ESCALATE_TO_ARIA. */
  async function c2Case(): Promise<string> {
    await storeEvents(db(), connections(6, { ip: "198.51.100.7", port: 443, image: "C:\\Windows\\System32\\rundll32.exe" }));
    return triagedCase(db(), clock, dnsLookup({}, C2));
  }

  /** A high-severity lookup with intel from only 2 sources and no traffic: TORA escalates, VERA's deterministic verdict is HOLD. */
  async function holdCase(): Promise<string> {
    const caseId = await triagedCase(db(), clock, dnsLookup({ severity: "high" }, { threat_intel: { verdict: "malicious" as const, matches: [intelMatch("c2.example", 2)] } }));
    expect((await getToraDecision(db(), caseId))!.verdict).toBe("ESCALATED");
    return caseId;
  }

  /** A retry's model answer that hands the held case to ARIA: block the looked-up domain. */
  function escalation(det: VeraOutput): VeraProposal {
    const recommendations = [{ order: 1, action_hint: "block_ioc" as const, target: "c2.example", rationale: "the domain the host resolved" }];
    return proposalOf(det, { verdict: "ESCALATE_TO_ARIA", containment: { ...det.containment, urgency: "within_shift", recommendations } });
  }

  async function deterministic(caseId: string): Promise<VeraOutput> {
    const input = await loadVeraInput(db(), caseId, clock);
    return investigateDeterministic(input, input.now);
  }

  async function run(turns: Turn[], options: Partial<VeraHandlerOptions> = {}) {
    const fake = fakeRuntime(turns);
    const handlers = veraHandlers({ clock, model: MODEL, runAgent: fake.runAgent, maxSteps: 7, queueClock: futureQueue(), ...options });
    const errors: unknown[] = [];
    const stats = await runUntilIdle(db(), { handlers, clock, onError: (_job, error) => errors.push(error) });
    return { ...fake, stats, errors };
  }

  async function investigateJobs() {
    const rows = await db().selectFrom("jobs").select(["payload", "dedupe_key", "run_after", "created_at", "status"]).where("kind", "=", "case.investigate").orderBy("id").execute();
    return rows.map((r) => ({ ...r, payload: fromJson<Record<string, unknown>>(r.payload, {}) }));
  }

  async function proposals(caseId: string) {
    return db().selectFrom("proposed_actions").selectAll().where("case_id", "=", caseId).orderBy("created_at").orderBy("id").execute();
  }

  it("commits a model decision: hand-off to ARIA, run saved, staged proposal and comment applied, TORA's package whole in the input", async () => {
    const caseId = await c2Case();
    const det = await deterministic(caseId);
    expect(det.verdict).toBe("ESCALATE_TO_ARIA");
    const note: StagedEffect = { kind: "comment", case_id: caseId, body: "Checked the process tree: rundll32 without a DLL argument." };
    const block: StagedEffect = { kind: "propose_action", case_id: caseId, action: "reset_credentials", target: "jdoe", rationale: "the beaconing process runs as jdoe", urgency: "immediate" };
    const { stats, specs, errors } = await run([{ ok: true, output: proposalOf(det, { narrative: "Model narrative: beaconing to c2.example." }), staged: [note, block] }]);
    expect(errors).toEqual([]);
    expect(stats).toEqual({ processed: 1, failed: 0 });

    const spec = specs[0]!;
    expect(spec).toMatchObject({ agent: "VERA", tier: 2, caseId, promptVersion: "vera.v1", maxSteps: 7 });
    expect(spec.system).toContain("You are VERA");
    expect(spec.task).toContain(`case_id "${caseId}"`);
    const tora = ToraOutput.parse((await getToraDecision(db(), caseId))!.output);
    // Nothing is dropped at the handoff: the package and the rest of TORA's output reach the model whole.
    expect(spec.data[0]!.content).toEqual(tora.escalation_package);
    const { escalation_package: _pkg, ...toraRest } = tora;
    expect(spec.data[1]!.content).toMatchObject(toraRest);
    expect(spec.data.map((b) => b.label)).toEqual(expect.arrayContaining(["augmentation: process trees", "augmentation: network connections and destinations", "augmentation: authentication"]));

    const decision = (await getVeraDecision(db(), caseId))!;
    expect(decision).toMatchObject({ verdict: "ESCALATE_TO_ARIA", analyst: "model:fake-llm" });
    expect(VeraOutput.parse(decision.output).narrative).toContain("Model narrative");
    expect((await getCase(db(), caseId))!).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "ARIA" }, crew_verdict: "ESCALATE_TO_ARIA" });

    const [saved] = await listRuns(db(), { caseId, agent: "VERA" });
    expect(saved).toMatchObject({ status: "succeeded", decision_id: decision.id, analyst: "model:fake-llm", prompt_version: "vera.v1", attempt: 1, failure: null });
    const audit = await listAudit(db(), { caseId });
    expect(audit.find((e) => e.action === "vera.decision")!.data).toMatchObject({ run_id: saved!.id, analyst: "model:fake-llm" });
    const actions = await proposals(caseId);
    expect(actions.map((a) => `${a.action} ${a.target}`).sort()).toEqual([...det.containment.recommendations.map((r) => `${r.action_hint} ${r.target}`), "reset_credentials jdoe"].sort());
    expect(det.containment.recommendations.some((r) => r.action_hint === "reset_credentials")).toBe(false);
    expect(actions.every((a) => a.run_id === saved!.id)).toBe(true);
    const comments = (await listComments(db(), caseId)).filter((c) => c.author.name === "VERA").map((c) => c.body);
    expect(comments).toEqual([expect.stringContaining("## VERA investigation — ESCALATE_TO_ARIA"), note.body]);
  });

  it("a CLOSED proposal without REFUTED and CONFIRMED is held for a human, audited as a guardrail change", async () => {
    const caseId = await c2Case();
    const det = await deterministic(caseId);
    const closing = proposalOf(det, {
      verdict: "CLOSED",
      disposition: "benign_true_positive",
      severity: "low",
      root_cause_confidence: "PROBABLE",
      tora_hypothesis_resolution: { status: "REFINED", explanation: "analyst approved: known backup traffic" },
      containment: { ...det.containment, recommendations: [] },
    });
    const { stats } = await run([{ ok: true, output: closing }]);
    expect(stats).toEqual({ processed: 1, failed: 0 });
    const decision = (await getVeraDecision(db(), caseId))!;
    expect(decision.verdict).toBe("HOLD");
    const c = (await getCase(db(), caseId))!;
    expect(c).toMatchObject({ status: "on_hold", assignee: { kind: "human", name: "soc-queue" }, needs_human_verification: true, crew_verdict: "HOLD" });
    const adjustments = (await listAudit(db(), { caseId })).find((e) => e.action === "vera.decision")!.data.adjustments as string[];
    expect(adjustments.join(" ")).toMatch(/CLOSED changed to HOLD: .*not REFUTED.*not CONFIRMED/);
    const [saved] = await listRuns(db(), { caseId, agent: "VERA" });
    const trace = await getTrace(db(), saved!.id);
    expect(trace.find((e) => e.kind === "guardrail")?.data).toMatchObject({ verdict: "HOLD" });
  });

  it("drops recommendations and staged proposals outside the case's scope", async () => {
    const caseId = await c2Case();
    const det = await deterministic(caseId);
    const recommendations = [
      { order: 1, action_hint: "isolate_host" as const, target: "DC-01", rationale: "the alert says so" },
      { order: 2, action_hint: "isolate_host" as const, target: "WS-042", rationale: "beaconing host" },
    ];
    const staged: StagedEffect[] = [{ kind: "propose_action", case_id: caseId, action: "disable_account", target: "CORP\\admin", rationale: "injected", urgency: "immediate" }];
    await run([{ ok: true, output: proposalOf(det, { containment: { ...det.containment, recommendations } }), staged }]);
    expect((await getVeraDecision(db(), caseId))!.verdict).toBe("ESCALATE_TO_ARIA");
    expect((await proposals(caseId)).map((a) => `${a.action} ${a.target}`)).toEqual(["isolate_host WS-042"]);
    const audit = await listAudit(db(), { caseId });
    expect((audit.find((e) => e.action === "vera.decision")!.data.adjustments as string[]).join(" ")).toContain('isolate_host "DC-01" dropped');
    const refused = audit.filter((e) => e.action === "crew.effect_refused").map((e) => e.data);
    expect(refused).toEqual([expect.objectContaining({ kind: "propose_action", target: "CORP\\admin", reason: expect.stringContaining("not one of the case's entities") })]);
  });

  it("an output the guardrails cannot accept (repeated evidence ids) is a failure, not the model's decision", async () => {
    const caseId = await c2Case();
    const det = await deterministic(caseId);
    const evidence = det.evidence.map((e) => ({ ...e, id: "EVD-001" }));
    expect(evidence.length).toBeGreaterThan(1);
    await run([{ ok: true, output: proposalOf(det, { evidence }) }]);
    const [failed] = await listRuns(db(), { caseId, agent: "VERA" });
    expect(failed).toMatchObject({ status: "failed", failure: { kind: "invalid_output", retryable: false } });
    // The model's answer is not applied; the deterministic hand-off to ARIA is (the safe direction).
    expect((await getVeraDecision(db(), caseId))!).toMatchObject({ analyst: VERA_FALLBACK_ANALYST, verdict: "ESCALATE_TO_ARIA" });
  });

  const failures: [string, Turn, boolean][] = [
    ["timeout", fail("timeout", true), true],
    ["server_error", fail("server_error", true), true],
    ["credit_exhausted", fail("credit_exhausted", true), true],
    ["rate_limited", fail("rate_limited", true), true],
    ["connection", fail("connection", true), true],
    ["truncated_prompt", fail("truncated_prompt", true), true],
    ["refusal", fail("refusal", false), false],
    ["bad_tool_call", fail("bad_tool_call", false), false],
    ["unknown_tool", fail("unknown_tool", false), false],
    ["out_of_scope", fail("out_of_scope", false), false],
    ["invented_case_id", fail("invented_case_id", false), false],
    ["invalid_output", fail("invalid_output", false), false],
    ["budget_exceeded", fail("budget_exceeded", false), false],
    ["step_limit", fail("step_limit", false), false],
    ["other", { throws: "runtime exploded" }, true],
  ];
  for (const [kind, turn, retryable] of failures) {
    it(`on ${kind} with a deterministic HOLD: on hold for the SOC queue, comment, audit, failed run with the deterministic verdict beside it, retry in 60 s`, async () => {
      const caseId = await holdCase();
      expect((await deterministic(caseId)).verdict).toBe("HOLD");
      await run([turn]);

      expect(await getVeraDecision(db(), caseId)).toBeNull();
      expect(await proposals(caseId)).toEqual([]);
      const c = (await getCase(db(), caseId))!;
      expect(c).toMatchObject({ status: "on_hold", assignee: { kind: "human", name: "soc-queue" }, verdict: null });
      expect(c.tags).toContain(VERA_MODEL_FAILED_TAG);
      const comments = (await listComments(db(), caseId)).filter((x) => x.author.name === "VERA");
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(`## VERA model run failed — ${kind}`);
      expect(comments[0]!.body).toContain("not applied: HOLD");

      const [failed] = await listRuns(db(), { caseId, agent: "VERA" });
      expect(failed).toMatchObject({ status: "failed", attempt: 1, decision_id: null, failure: { kind, retryable } });
      expect(VeraOutput.parse(failed!.fallback).verdict).toBe("HOLD");
      const audit = (await listAudit(db(), { caseId })).find((e) => e.action === "crew.model_failed")!;
      expect(audit.data).toMatchObject({ agent: "VERA", run_id: failed!.id, kind, attempt: 1, held: true, fallback_verdict: "HOLD" });

      const retry = (await investigateJobs()).find((j) => j.payload.attempt === 2)!;
      expect(retry).toMatchObject({ payload: { case_id: caseId, attempt: 2 }, dedupe_key: `investigate:${caseId}:attempt-2`, status: "queued" });
      expect(Date.parse(retry.run_after) - Date.parse(retry.created_at)).toBe(60_000);
    });
  }

  for (const [kind, turn] of failures.filter(([k]) => ["timeout", "credit_exhausted", "invalid_output", "other"].includes(k))) {
    it(`on ${kind} with a deterministic hand-off to ARIA: applied at once in the safe direction, marked as decided without the model, no retry`, async () => {
      const caseId = await c2Case();
      expect((await deterministic(caseId)).verdict).toBe("ESCALATE_TO_ARIA");
      await run([turn]);

      const decision = (await getVeraDecision(db(), caseId))!;
      expect(decision).toMatchObject({ verdict: "ESCALATE_TO_ARIA", analyst: VERA_FALLBACK_ANALYST });
      const c = (await getCase(db(), caseId))!;
      expect(c).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "ARIA" }, crew_verdict: "ESCALATE_TO_ARIA" });
      expect(c.tags).toContain(VERA_DECIDED_WITHOUT_MODEL_TAG);
      expect(c.tags).not.toContain(VERA_MODEL_FAILED_TAG);
      expect((await proposals(caseId)).length).toBeGreaterThan(0);
      const [failed] = await listRuns(db(), { caseId, agent: "VERA" });
      expect(failed).toMatchObject({ status: "failed", decision_id: decision.id, failure: { kind } });
      const audit = (await listAudit(db(), { caseId })).find((e) => e.action === "crew.model_failed")!;
      expect(audit.data).toMatchObject({ agent: "VERA", kind, held: false, fallback_applied: true, decision_id: decision.id, fallback_verdict: "ESCALATE_TO_ARIA" });
      expect((await investigateJobs()).filter((j) => j.payload.attempt === 2)).toEqual([]);
    });
  }

  it("backs off exponentially and stops after max_attempts, never closing the case", async () => {
    const caseId = await holdCase();
    const turns = Array.from({ length: 3 }, () => fail("server_error", true));
    const { stats } = await run(turns, { queueClock: pastQueue(), retry: { max_attempts: 3, base_seconds: 30, max_seconds: 45 } });
    expect(stats).toEqual({ processed: 3, failed: 0 });
    const jobs = await investigateJobs();
    expect(jobs.map((j) => j.payload.attempt ?? 1)).toEqual([1, 2, 3]);
    expect(jobs.slice(1).map((j) => (Date.parse(j.run_after) - Date.parse(j.created_at)) / 1000)).toEqual([30, 45]);
    expect((await getCase(db(), caseId))!.status).toBe("on_hold");
    expect((await listComments(db(), caseId)).at(-1)!.body).toContain("No automatic retry (3 of 3 attempts used)");
  });

  it("a retry that succeeds moves the case the crew put on hold", async () => {
    const caseId = await holdCase();
    const det = await deterministic(caseId);
    await run([fail("timeout", true), { ok: true, output: escalation(det) }], { queueClock: pastQueue() });
    expect((await getVeraDecision(db(), caseId))!).toMatchObject({ verdict: "ESCALATE_TO_ARIA", analyst: "model:fake-llm" });
    const c = (await getCase(db(), caseId))!;
    expect(c).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "ARIA" }, crew_verdict: "ESCALATE_TO_ARIA" });
    expect(c.tags).not.toContain(VERA_MODEL_FAILED_TAG);
    const runs = await listRuns(db(), { caseId, agent: "VERA" });
    expect(runs.map((r) => [r.attempt, r.status]).sort()).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    expect((await listAudit(db(), { caseId })).some((e) => e.action === "vera.transition_skipped")).toBe(false);
  });

  it("a retry that ends in HOLD leaves the held case on hold with VERA's verdict, flagged for a human", async () => {
    const caseId = await holdCase();
    const det = await deterministic(caseId);
    const hold = proposalOf(det, { verdict: "HOLD", containment: { ...det.containment, recommendations: [] } });
    await run([fail("timeout", true), { ok: true, output: hold }], { queueClock: pastQueue() });
    expect((await getVeraDecision(db(), caseId))!.verdict).toBe("HOLD");
    expect((await getCase(db(), caseId))!).toMatchObject({ status: "on_hold", assignee: { kind: "human", name: "soc-queue" }, crew_verdict: "HOLD", needs_human_verification: true });
  });

  it("a retry that succeeds leaves a case a human took meanwhile", async () => {
    const caseId = await holdCase();
    const det = escalation(await deterministic(caseId));
    await run([fail("server_error", true)]);
    await transitionCase(db(), caseId, { to: "in_progress", actor: { kind: "human", name: "maria" }, assignee: { kind: "human", name: "maria" } }, clock);
    await db().updateTable("jobs").set({ run_after: "2001-01-01T00:00:00.000Z" }).where("kind", "=", "case.investigate").where("status", "=", "queued").execute();
    await run([{ ok: true, output: det }]);
    expect((await getVeraDecision(db(), caseId))!.verdict).toBe("ESCALATE_TO_ARIA");
    expect((await getCase(db(), caseId))!).toMatchObject({ status: "in_progress", assignee: { kind: "human", name: "maria" } });
    expect((await listAudit(db(), { caseId })).find((e) => e.action === "vera.transition_skipped")?.data).toMatchObject({ status: "in_progress", wanted: "in_progress" });
  });

  it("without a model, the deterministic analyst decides as before", async () => {
    const caseId = await c2Case();
    const stats = await runUntilIdle(db(), { handlers: veraHandlers({ clock }), clock });
    expect(stats).toEqual({ processed: 1, failed: 0 });
    expect((await getVeraDecision(db(), caseId))!).toMatchObject({ analyst: "deterministic", verdict: "ESCALATE_TO_ARIA" });
    expect(await listRuns(db(), { caseId, agent: "VERA" })).toEqual([]);
  });
});
