import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { RunExport, ValidationError } from "../../core/index.js";
import { exportRun, getRun, getRunInput, getTrace, listRuns, runSummary, saveRun } from "./store.js";
import { sampleInput, sampleRun, sampleTrace } from "./testing.js";

describe(`crew run store (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const count = async (table: "agent_runs" | "trace_entries") =>
    Number((await env.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

  it("round-trips a run, its input and a trace longer than one insert batch", async () => {
    const run = sampleRun();
    const trace = sampleTrace(457).reverse();
    await saveRun(env.store.db, run, sampleInput(), trace);

    expect(await getRun(env.store.db, run.id)).toEqual(run);
    expect(await getRunInput(env.store.db, run.id)).toEqual(sampleInput());
    const stored = await getTrace(env.store.db, run.id);
    expect(stored).toHaveLength(457);
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 457 }, (_, i) => i));
    expect(stored).toEqual([...trace].sort((a, b) => a.seq - b.seq));
    expect(stored[3]!.data.full).toEqual({ events: [], nul: "a\u0000b" });

    const exported = await exportRun(env.store.db, run.id);
    expect(RunExport.parse(exported)).toEqual(exported);
    expect(exported).toMatchObject({ format: "nightshift.run.v1", run, input: sampleInput() });
    expect(exported.trace).toHaveLength(457);
    expect((await exportRun(env.store.db, run.id, { trace: false })).trace).toEqual([]);
    expect(await getRun(env.store.db, "run-unknown")).toBeNull();
    await expect(exportRun(env.store.db, "run-unknown")).rejects.toThrow(/run run-unknown not found/);
  });

  it("keeps a failed run's failure and the deterministic fallback recorded beside it", async () => {
    const failed = sampleRun({
      id: "run-f",
      status: "failed",
      decision_id: null,
      failure: { kind: "credit_exhausted", message: "402 insufficient credit", retryable: true },
      fallback: { verdict: "ESCALATED", analyst: "deterministic" },
    });
    await saveRun(env.store.db, failed, sampleInput(), sampleTrace(2));
    expect(await getRun(env.store.db, "run-f")).toEqual(failed);
  });

  it("writes nothing when any part is invalid, naming the field", async () => {
    const badTrace = sampleTrace(3);
    (badTrace[2] as { kind: string }).kind = "telepathy";
    const error = await saveRun(env.store.db, sampleRun(), sampleInput(), badTrace).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["trace.2.kind"]);

    const duplicate = sampleTrace(3).map((entry) => ({ ...entry, seq: 1 }));
    const dupError = (await saveRun(env.store.db, sampleRun(), sampleInput(), duplicate).catch((e: unknown) => e)) as ValidationError;
    expect(dupError.issues.map((i) => i.path)).toEqual(["trace.1.seq", "trace.2.seq"]);

    const noFailure = (await saveRun(env.store.db, sampleRun({ status: "failed" }), sampleInput(), []).catch((e: unknown) => e)) as ValidationError;
    expect(noFailure.issues).toEqual([{ path: "run.failure", message: "a failed run records its failure" }]);

    const badRun = (await saveRun(env.store.db, { ...sampleRun(), agent: "HAL" as "TORA" }, sampleInput(), []).catch((e: unknown) => e)) as ValidationError;
    expect(badRun.issues.map((i) => i.path)).toEqual(["run.agent"]);
    expect(await count("agent_runs")).toBe(0);
    expect(await count("trace_entries")).toBe(0);
  });

  it("is all-or-nothing inside the caller's transaction", async () => {
    await expect(
      env.store.db.transaction().execute(async (trx) => {
        await saveRun(trx, sampleRun(), sampleInput(), sampleTrace(300));
        expect(await getTrace(trx, "run-1")).toHaveLength(300);
        throw new Error("the decision failed to commit");
      }),
    ).rejects.toThrow("the decision failed to commit");
    expect(await count("agent_runs")).toBe(0);
    expect(await count("trace_entries")).toBe(0);

    // A second save of the same run id fails on the primary key; the trace of the first stays as it was.
    await saveRun(env.store.db, sampleRun(), sampleInput(), sampleTrace(4));
    await expect(saveRun(env.store.db, sampleRun(), sampleInput(), sampleTrace(9))).rejects.toThrow();
    expect(await count("trace_entries")).toBe(4);
  });

  it("lists newest first with filters and summarises a case's runs", async () => {
    const caseId = "TORA-20261124-0007";
    await saveRun(env.store.db, sampleRun({ id: "r1", case_id: caseId, started_at: "2026-11-24T10:00:00.000Z", decision_id: null, status: "failed", failure: { kind: "timeout", message: "no answer in 120 s", retryable: true } }), sampleInput(), []);
    await saveRun(env.store.db, sampleRun({ id: "r2", case_id: caseId, started_at: "2026-11-24T10:05:00.000Z", attempt: 2 }), sampleInput(), []);
    await saveRun(
      env.store.db,
      sampleRun({ id: "r3", case_id: caseId, agent: "VERA", tier: 2, started_at: "2026-11-24T10:06:00.000Z", usage: { ...sampleRun().usage, estimated: true, tokens_in: 5000, cost: 0.01 } }),
      sampleInput(),
      [],
    );
    await saveRun(env.store.db, sampleRun({ id: "other", case_id: "TORA-20261124-0008", started_at: "2026-11-24T11:00:00.000Z" }), sampleInput(), []);

    expect((await listRuns(env.store.db)).map((r) => r.id)).toEqual(["other", "r3", "r2", "r1"]);
    expect((await listRuns(env.store.db, { caseId })).map((r) => r.id)).toEqual(["r3", "r2", "r1"]);
    expect((await listRuns(env.store.db, { caseId, agent: "TORA" })).map((r) => r.id)).toEqual(["r2", "r1"]);
    expect((await listRuns(env.store.db, { status: "failed" })).map((r) => r.id)).toEqual(["r1"]);
    expect((await listRuns(env.store.db, { limit: 2, offset: 1 })).map((r) => r.id)).toEqual(["r3", "r2"]);
    await expect(listRuns(env.store.db, { agent: "HAL" as "TORA" })).rejects.toBeInstanceOf(ValidationError);

    const summary = await runSummary(env.store.db, caseId);
    expect(summary).toMatchObject({ runs: 3, succeeded: 2, failed: 1, running: 0, tokens_in: 1800 + 1800 + 5000, tokens_out: 720, tokens_estimated: true });
    expect(summary.cost).toBeCloseTo(0.0042 * 2 + 0.01, 10);
    expect(summary.failures).toEqual([{ run_id: "r1", agent: "TORA", attempt: 1, at: "2026-11-24T10:00:02.000Z", kind: "timeout", message: "no answer in 120 s", retryable: true }]);
    expect(summary.latest?.id).toBe("r3");
    expect(summary.items.map((i) => i.id)).toEqual(["r1", "r2", "r3"]);
    expect(await runSummary(env.store.db, "TORA-20261124-0099")).toMatchObject({ runs: 0, failures: [], latest: null, items: [], cost: 0 });
  });
});
