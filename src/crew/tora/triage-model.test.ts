import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertAlertRow } from "../../../test/support/alerts.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { TRIAGE_JOB, type JobInput, fixedClock, ToraOutput, type FailureKind, type RunFailure, type TraceEntry } from "../../core/index.js";
import { attachAlert, getCase, listAudit, listComments, transitionCase } from "../../cases/index.js";
import { fromJson, runUntilIdle } from "../../store/index.js";
import { emptyUsage, getRun, listRuns } from "../runs/store.js";
import type { AgentOutcome, AgentSpec, ModelSettings, RunAgentOptions } from "../runtime/types.js";
import type { StagedEffect } from "../tools/tool.js";
import { dnsLookup, intelMatch, makeAlert, signedVendorProcess, toraInput, type Item } from "../testing/fixtures.js";
import { triageDeterministic } from "./deterministic.js";
import type { ToraProposal } from "./model.js";
import { DECIDED_WITHOUT_MODEL_TAG, FALLBACK_ANALYST, getToraDecision, MODEL_FAILED_TAG, toraHandlers, type ToraHandlerOptions } from "./handler.js";

const MODEL: ModelSettings = ModelSettingsFor("fake-llm");
function ModelSettingsFor(model: string): ModelSettings {
  return {
    base_url: "http://127.0.0.1:9/v1",
    model,
    context_window: 32_768,
    max_output_tokens: 1024,
    temperature: 0,
    timeout_ms: 1000,
    structured_output: "json_schema",
    stream: false,
    cost: { input_per_mtok: 0, output_per_mtok: 0 },
    headers: {},
  };
}

type Turn = { ok: true; output: ToraProposal; staged?: StagedEffect[] } | { ok: false; failure: RunFailure } | { throws: string };

/** A runAgent stand-in: each call takes the next scripted turn; records the specs it was given. */
function fakeRuntime(turns: Turn[]) {
  const specs: AgentSpec<unknown>[] = [];
  const runAgent = async <O>(spec: AgentSpec<O>, options: RunAgentOptions): Promise<AgentOutcome<O>> => {
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

function proposalOf(output: ToraOutput, patch: Partial<ToraProposal> = {}): ToraProposal {
  const { nova_feed: _nf, ...rest } = structuredClone(output);
  return { ...rest, ...patch };
}

const fail = (kind: FailureKind, retryable: boolean, message = `${kind} happened`): Turn => ({ ok: false, failure: { kind, message, retryable } });

describe(`TORA on a model: the triage stage (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 250);
  // Retries become runnable at once (the worker claims by real time) unless a test says otherwise.
  const pastQueue = () => fixedClock("2001-01-01T00:00:00.000Z");
  const futureQueue = () => fixedClock("2999-01-01T00:00:00.000Z");

  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function caseOf(item: Item): Promise<string> {
    const match = item.enrichment.history.suppression_match;
    if (match) {
      const created = new Date(Date.parse(clock.now().toISOString()) - match.age_days * 86_400_000).toISOString();
      const doc = { id: match.id, author: match.author, reason: match.reason, scope: { rule_id: item.alert.rule?.id }, created_at: created };
      await env.store.db.insertInto("suppressions").values({ id: match.id, doc: JSON.stringify(doc), created_at: created, expires_at: null }).onConflict((oc) => oc.doNothing()).execute();
    }
    await insertAlertRow(env.store.db, item.alert, { enrichment: item.enrichment, stage: "enriched", dedupeKey: `${item.alert.source}:${item.alert.id}` });
    const { caseId } = await attachAlert(env.store.db, item.alert, { windowMinutes: 60 }, clock);
    return caseId;
  }

  /** A case whose deterministic verdict is ESCALATED on a forced rule (high asset). */
  function c2Case(): Item {
    return dnsLookup({}, { asset: { criticality: "high" }, threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } });
  }

  /** A case whose deterministic verdict is CLOSED (a suppressed, vendor-signed process): never applied on a failure. */
  function closableCase(): Item {
    return signedVendorProcess();
  }

  async function run(turns: Turn[], options: Partial<ToraHandlerOptions> = {}, caseId?: string, payload?: JobInput<typeof TRIAGE_JOB>) {
    const fake = fakeRuntime(turns);
    if (caseId) {
      const { enqueue } = await import("../../store/index.js");
      await enqueue(env.store.db, TRIAGE_JOB, payload ?? { case_id: caseId });
    }
    const handlers = toraHandlers({ clock, model: MODEL, runAgent: fake.runAgent, maxSteps: 5, queueClock: futureQueue(), ...options });
    const errors: unknown[] = [];
    const stats = await runUntilIdle(env.store.db, { handlers, clock, onError: (_job, error) => errors.push(error) });
    return { ...fake, stats, errors };
  }

  async function triageJobs() {
    const rows = await env.store.db.selectFrom("jobs").select(["payload", "dedupe_key", "run_after", "created_at", "status"]).where("kind", "=", "case.triage").orderBy("id").execute();
    return rows.map((r) => ({ ...r, payload: fromJson<Record<string, unknown>>(r.payload, {}) }));
  }

  it("commits a model decision through the guardrails, with its run, staged comment and the VERA hand-off", async () => {
    const item = c2Case();
    const caseId = await caseOf(item);
    const det = triageDeterministic(toraInput(caseId, item));
    expect(det.verdict).toBe("ESCALATED");
    const note: StagedEffect = { kind: "comment", case_id: caseId, body: "Checked similar cases: none in 30 days." };
    const { stats, specs } = await run([{ ok: true, output: proposalOf(det, { rationale: "Model rationale: active C2 lookup." }), staged: [note] }], {}, caseId);
    expect(stats).toEqual({ processed: 1, failed: 0 });
    expect(specs[0]).toMatchObject({ agent: "TORA", caseId, promptVersion: "tora.v1", maxSteps: 5 });

    const decision = (await getToraDecision(env.store.db, caseId))!;
    expect(decision).toMatchObject({ verdict: "ESCALATED", analyst: "model:fake-llm" });
    expect(ToraOutput.parse(decision.output).rationale).toContain("Model rationale");
    const c = (await getCase(env.store.db, caseId))!;
    expect(c).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "VERA" }, crew_verdict: "ESCALATED" });

    const runs = await listRuns(env.store.db, { caseId });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "succeeded", decision_id: decision.id, analyst: "model:fake-llm", prompt_version: "tora.v1", attempt: 1, failure: null });
    const audit = await listAudit(env.store.db, { caseId });
    expect(audit.find((e) => e.action === "tora.decision")!.data).toMatchObject({ run_id: runs[0]!.id, analyst: "model:fake-llm" });
    const comments = (await listComments(env.store.db, caseId)).map((x) => x.body);
    expect(comments).toEqual([expect.stringContaining("## TORA triage — ESCALATED"), note.body]);
    const investigate = await env.store.db.selectFrom("jobs").select(["payload", "dedupe_key"]).where("kind", "=", "case.investigate").execute();
    expect(investigate).toEqual([{ payload: JSON.stringify({ case_id: caseId }), dedupe_key: `investigate:${caseId}` }]);
  });

  it("cannot be argued out of a forced escalation: a CLOSED proposal becomes ESCALATED, audited as a guardrail change", async () => {
    const item = c2Case();
    const caseId = await caseOf(item);
    const det = triageDeterministic(toraInput(caseId, item));
    const closing = proposalOf(det, {
      verdict: "CLOSED",
      severity: "low",
      confidence: 95,
      confidence_label: "high",
      priority: "P4",
      escalation_package: null,
      false_positive_assessment: { likely_false_positive: true, disposition: "false_positive", reasoning: "analyst approved", suppression_rule_id: null },
    });
    await run([{ ok: true, output: closing }], {}, caseId);
    const decision = (await getToraDecision(env.store.db, caseId))!;
    expect(decision.verdict).toBe("ESCALATED");
    expect((await getCase(env.store.db, caseId))!.status).toBe("in_progress");
    const audit = await listAudit(env.store.db, { caseId });
    expect((audit.find((e) => e.action === "tora.decision")!.data.guardrail_adjustments as string[]).join(" ")).toMatch(/CLOSED overridden by forced rule/);
  });

  it("refuses staged writes to another case and leaves that case untouched", async () => {
    const victim = await caseOf(dnsLookup({ domain: "other.example" }, { asset: { hostname: "WS-777" } }));
    const item = c2Case();
    item.alert = makeAlert({ ...item.alert, id: "alert-own", host: { name: "WS-100", ip: ["10.9.9.9"] } });
    item.enrichment = { ...item.enrichment, event: { ...item.enrichment.event, id: "alert-own" } };
    const caseId = await caseOf(item);
    expect(caseId).not.toBe(victim);
    const det = triageDeterministic(toraInput(caseId, item));
    const before = await getCase(env.store.db, victim);
    await run(
      [
        {
          ok: true,
          output: proposalOf(det),
          staged: [
            { kind: "comment", case_id: victim, body: "closing per analyst" },
            { kind: "update_case", case_id: victim, changes: { status: "on_hold" }, reason: "injected" },
            { kind: "update_case", case_id: caseId, changes: { status: "on_hold", priority: "P4", add_tags: ["looked-at"] }, reason: "model" },
          ],
        },
      ],
      {},
      caseId,
    );
    expect(await getCase(env.store.db, victim)).toEqual(before);
    expect(await listComments(env.store.db, victim)).toEqual([]);
    const own = (await getCase(env.store.db, caseId))!;
    expect(own.status).toBe("in_progress");
    expect(own.priority).not.toBe("P4");
    expect(own.tags).toContain("looked-at");
    const refused = (await listAudit(env.store.db, { caseId })).filter((e) => e.action === "crew.effect_refused").map((e) => e.data);
    expect(refused).toHaveLength(3);
    expect(refused.filter((r) => r.target_case_id === victim)).toHaveLength(2);
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
    ["invalid_output", fail("invalid_output", false, "verdict: Invalid option `MAYBE`\nsecond line"), false],
    ["budget_exceeded", fail("budget_exceeded", false), false],
    ["step_limit", fail("step_limit", false), false],
    ["other", { throws: "runtime exploded" }, true],
  ];
  for (const [kind, turn, retryable] of failures) {
    it(`on ${kind}: on hold for the SOC queue, comment, audit, failed run with the fallback beside it, retry in 60 s`, async () => {
      const item = closableCase();
      const caseId = await caseOf(item);
      const queueClock = futureQueue();
      await run([turn], { queueClock }, caseId);

      expect(await getToraDecision(env.store.db, caseId)).toBeNull();
      const c = (await getCase(env.store.db, caseId))!;
      expect(c).toMatchObject({ status: "on_hold", assignee: { kind: "human", name: "soc-queue" }, verdict: null, crew_verdict: null });
      expect(c.tags).toContain(MODEL_FAILED_TAG);
      const comments = await listComments(env.store.db, caseId);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(`## TORA model run failed — ${kind}`);
      expect(comments[0]!.body).toContain("not applied: CLOSED");
      expect(comments[0]!.body.split("\n").some((l) => l.includes("second line") && !l.includes("Invalid option"))).toBe(false);

      const [failed] = await listRuns(env.store.db, { caseId });
      expect(failed).toMatchObject({ status: "failed", attempt: 1, decision_id: null, failure: { kind, retryable } });
      expect(ToraOutput.parse(failed!.fallback).verdict).toBe("CLOSED");
      const audit = (await listAudit(env.store.db, { caseId })).find((e) => e.action === "crew.model_failed")!;
      expect(audit.data).toMatchObject({ agent: "TORA", run_id: failed!.id, kind, attempt: 1, held: true, fallback_verdict: "CLOSED" });

      const retry = (await triageJobs()).find((j) => j.payload.attempt === 2)!;
      expect(retry).toMatchObject({ payload: { case_id: caseId, attempt: 2 }, dedupe_key: `triage:${caseId}:attempt-2`, status: "queued" });
      expect(Date.parse(retry.run_after) - Date.parse(retry.created_at)).toBe(60_000);
    });
  }

  for (const [kind, turn] of failures.filter(([k]) => ["timeout", "credit_exhausted", "invalid_output", "other"].includes(k))) {
    it(`on ${kind} with a deterministic escalation: applied at once in the safe direction, marked as decided without the model, no retry`, async () => {
      const item = c2Case();
      const caseId = await caseOf(item);
      const det = triageDeterministic(toraInput(caseId, item));
      expect(det.verdict).toBe("ESCALATED");
      expect(["P1", "P2"]).toContain(det.priority);
      await run([turn], { queueClock: futureQueue() }, caseId);

      const decision = (await getToraDecision(env.store.db, caseId))!;
      expect(decision).toMatchObject({ verdict: "ESCALATED", analyst: FALLBACK_ANALYST });
      expect(ToraOutput.parse(decision.output).rationale).toMatch(/^Decided without the model/);
      const c = (await getCase(env.store.db, caseId))!;
      expect(c).toMatchObject({ status: "in_progress", assignee: { kind: "agent", name: "VERA" }, crew_verdict: "ESCALATED", priority: det.priority });
      expect(c.tags).toContain(DECIDED_WITHOUT_MODEL_TAG);
      expect(c.tags).not.toContain(MODEL_FAILED_TAG);
      const [failed] = await listRuns(env.store.db, { caseId });
      expect(failed).toMatchObject({ status: "failed", decision_id: decision.id, failure: { kind } });
      const audit = (await listAudit(env.store.db, { caseId })).find((e) => e.action === "crew.model_failed")!;
      expect(audit.data).toMatchObject({ kind, held: false, fallback_applied: true, decision_id: decision.id, fallback_verdict: "ESCALATED" });
      const investigate = await env.store.db.selectFrom("jobs").select("dedupe_key").where("kind", "=", "case.investigate").execute();
      expect(investigate).toEqual([{ dedupe_key: `investigate:${caseId}` }]);
      expect((await triageJobs()).filter((j) => j.payload.attempt === 2)).toEqual([]);
      expect((await listComments(env.store.db, caseId)).map((x) => x.body)).toEqual([
        expect.stringContaining("## TORA triage — ESCALATED"),
        expect.stringContaining("decided without the model"),
      ]);
    });
  }

  it("backs off exponentially and stops after max_attempts, never closing the case", async () => {
    const caseId = await caseOf(closableCase());
    const turns = Array.from({ length: 4 }, () => fail("server_error", true));
    const { stats } = await run(turns, { queueClock: pastQueue(), retry: { max_attempts: 4, base_seconds: 30, max_seconds: 100 } }, caseId);
    expect(stats).toEqual({ processed: 4, failed: 0 });
    const jobs = await triageJobs();
    expect(jobs.map((j) => j.payload.attempt ?? 1)).toEqual([1, 2, 3, 4]);
    expect(jobs.slice(1).map((j) => (Date.parse(j.run_after) - Date.parse(j.created_at)) / 1000)).toEqual([30, 60, 100]);
    const runs = await listRuns(env.store.db, { caseId });
    expect(runs.map((r) => r.attempt).sort()).toEqual([1, 2, 3, 4]);
    const c = (await getCase(env.store.db, caseId))!;
    expect(c.status).toBe("on_hold");
    const last = (await listComments(env.store.db, caseId)).at(-1)!.body;
    expect(last).toContain("No automatic retry (4 of 4 attempts used)");
  });

  it("retries a failure of the model's own answer once only", async () => {
    const caseId = await caseOf(closableCase());
    await run([fail("invalid_output", false), fail("invented_case_id", false)], { queueClock: pastQueue() }, caseId);
    const jobs = await triageJobs();
    expect(jobs.map((j) => j.payload.attempt ?? 1)).toEqual([1, 2]);
    const audit = (await listAudit(env.store.db, { caseId })).filter((e) => e.action === "crew.model_failed").map((e) => e.data);
    expect(audit.map((a) => a.retry_at === null)).toEqual([false, true]);
    expect(String(audit[1]!.no_retry_reason)).toContain("already failed that way once");
  });

  it("a retry that succeeds moves the case the crew put on hold", async () => {
    const item = closableCase();
    const caseId = await caseOf(item);
    const det = triageDeterministic(toraInput(caseId, item));
    expect(det.verdict).toBe("CLOSED");
    await run([fail("timeout", true), { ok: true, output: proposalOf(det) }], { queueClock: pastQueue() }, caseId);
    const decision = (await getToraDecision(env.store.db, caseId))!;
    expect(decision.analyst).toBe("model:fake-llm");
    const c = (await getCase(env.store.db, caseId))!;
    expect(c).toMatchObject({ status: "closed", crew_verdict: "CLOSED" });
    expect(c.tags).not.toContain(MODEL_FAILED_TAG);
    const runs = await listRuns(env.store.db, { caseId });
    expect(runs.map((r) => [r.attempt, r.status]).sort()).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    expect((await listAudit(env.store.db, { caseId })).some((e) => e.action === "tora.transition_skipped")).toBe(false);
  });

  it("a retry that succeeds leaves a case a human took meanwhile", async () => {
    const item = closableCase();
    const caseId = await caseOf(item);
    const det = triageDeterministic(toraInput(caseId, item));
    await run([fail("server_error", true)], { queueClock: futureQueue() }, caseId);
    await transitionCase(env.store.db, caseId, { to: "in_progress", actor: { kind: "human", name: "maria" }, assignee: { kind: "human", name: "maria" } }, clock);
    await env.store.db.updateTable("jobs").set({ run_after: "2001-01-01T00:00:00.000Z" }).where("kind", "=", "case.triage").where("status", "=", "queued").execute();
    await run([{ ok: true, output: proposalOf(det) }]);
    expect((await getToraDecision(env.store.db, caseId))!.verdict).toBe("CLOSED");
    expect((await getCase(env.store.db, caseId))!).toMatchObject({ status: "in_progress", assignee: { kind: "human", name: "maria" } });
    const skipped = (await listAudit(env.store.db, { caseId })).find((e) => e.action === "tora.transition_skipped");
    expect(skipped?.data).toMatchObject({ status: "in_progress", wanted: "closed" });
  });

  it("a failure on a case a human is working leaves its status alone", async () => {
    const caseId = await caseOf(closableCase());
    await transitionCase(env.store.db, caseId, { to: "in_progress", actor: { kind: "human", name: "maria" }, assignee: { kind: "human", name: "maria" } }, clock);
    await run([fail("timeout", true)], {}, caseId);
    expect((await getCase(env.store.db, caseId))!).toMatchObject({ status: "in_progress", assignee: { kind: "human", name: "maria" } });
    const audit = (await listAudit(env.store.db, { caseId })).find((e) => e.action === "crew.model_failed")!;
    expect(audit.data).toMatchObject({ held: false, status: "in_progress" });
  });

  it("is idempotent under a redelivered job: one failed run, one comment, one retry per attempt", async () => {
    const caseId = await caseOf(closableCase());
    const fake = fakeRuntime([fail("timeout", true), fail("timeout", true)]);
    const entry = toraHandlers({ clock, model: MODEL, runAgent: fake.runAgent, queueClock: futureQueue() })[TRIAGE_JOB.kind]!;
    // The job as the worker hands it over, payload validated (the attempt defaulted).
    const job = { id: "j1", kind: TRIAGE_JOB.kind, payload: TRIAGE_JOB.payload.parse({ case_id: caseId }), attempts: 1 };
    for (let i = 0; i < 2; i++) {
      const prepared = await entry.prepare!(env.store.db, job);
      await env.store.db.transaction().execute((trx) => entry.handle(trx, job, prepared));
    }
    expect(await listRuns(env.store.db, { caseId })).toHaveLength(1);
    expect(await listComments(env.store.db, caseId)).toHaveLength(1);
    expect((await triageJobs()).filter((j) => j.payload.attempt === 2)).toHaveLength(1);
  });

  it("does not run the model again on a case already decided", async () => {
    const item = c2Case();
    const caseId = await caseOf(item);
    const det = triageDeterministic(toraInput(caseId, item));
    const first = await run([{ ok: true, output: proposalOf(det) }], {}, caseId);
    expect(first.specs).toHaveLength(1);
    const { enqueue } = await import("../../store/index.js");
    await enqueue(env.store.db, TRIAGE_JOB, { case_id: caseId, attempt: 2 });
    const second = await run([{ ok: true, output: proposalOf(det) }]);
    expect(second.specs).toHaveLength(0);
    expect(second.stats).toEqual({ processed: 1, failed: 0 });
    const decisions = await env.store.db.selectFrom("decisions").select("id").where("case_id", "=", caseId).execute();
    expect(decisions).toHaveLength(1);
    const [only] = await listRuns(env.store.db, { caseId });
    expect(await getRun(env.store.db, only!.id)).toMatchObject({ status: "succeeded" });
  });
});
