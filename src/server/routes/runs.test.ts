import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock, RunExport } from "../../core/index.js";
import { attachAlert } from "../../cases/index.js";
import { saveRun } from "../../crew/runs/index.js";
import { sampleInput, sampleRun, sampleTrace } from "../../crew/runs/testing.js";
import { getAlert } from "../../ingest/index.js";
import { createTestClient, type TestClient } from "../testing.js";

const NOW = "2026-11-24T10:00:00.000Z";

describe(`runs routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  const clock = fixedClock(NOW, 1000);

  async function newCase(sourceId: string): Promise<string> {
    const res = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", json: { title: "C2 beacon", source: "zeek", source_id: sourceId, host: `ws-${sourceId}` } });
    const { ids } = (await res.json()) as { ids: string[] };
    return (await attachAlert(env.store.db, (await getAlert(env.store.db, ids[0]!))!, { windowMinutes: 240 }, clock)).caseId;
  }

  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("serves a case's run summary, on the case view too, and one run exported with or without its trace", async () => {
    const caseId = await newCase("1");
    const other = await newCase("2");
    const failure = { kind: "server_error" as const, message: "HTTP 503 from the model", retryable: true };
    await saveRun(env.store.db, sampleRun({ id: "run-a", case_id: caseId, status: "failed", failure, decision_id: null }), sampleInput(), sampleTrace(3));
    await saveRun(env.store.db, sampleRun({ id: "run-b", case_id: caseId, attempt: 2, started_at: "2026-11-24T10:10:00.000Z" }), sampleInput(), sampleTrace(6));

    const summaryRes = await client.request(`/api/v1/cases/${caseId}/runs`, { as: "viewer" });
    expect(summaryRes.status).toBe(200);
    const summary = (await summaryRes.json()) as { runs: number; failed: number; tokens_in: number; failures: { run_id: string; kind: string }[]; items: { id: string }[] };
    expect(summary).toMatchObject({ runs: 2, failed: 1, tokens_in: 3600 });
    expect(summary.failures).toEqual([expect.objectContaining({ run_id: "run-a", kind: "server_error" })]);
    expect(summary.items.map((i) => i.id)).toEqual(["run-a", "run-b"]);

    const view = (await (await client.request(`/api/v1/cases/${caseId}`, { as: "viewer" })).json()) as { id: string; runs: unknown };
    expect(view.runs).toEqual(summary);
    const empty = (await (await client.request(`/api/v1/cases/${other}`, { as: "viewer" })).json()) as { runs: { runs: number; latest: unknown } };
    expect(empty.runs).toMatchObject({ runs: 0, latest: null });

    const full = await client.request("/api/v1/runs/run-b", { as: "viewer" });
    expect(full.status).toBe(200);
    const exported = RunExport.parse(await full.json());
    expect(exported.run).toEqual(sampleRun({ id: "run-b", case_id: caseId, attempt: 2, started_at: "2026-11-24T10:10:00.000Z" }));
    expect(exported.trace).toEqual(sampleTrace(6));
    expect(exported.input).toEqual(sampleInput());
    const bare = RunExport.parse(await (await client.request("/api/v1/runs/run-b?trace=false", { as: "viewer" })).json());
    expect(bare.trace).toEqual([]);
    expect(bare.run.id).toBe("run-b");

    const listed = (await (await client.request(`/api/v1/runs?case_id=${caseId}&status=failed`, { as: "viewer" })).json()) as { runs: { id: string }[] };
    expect(listed.runs.map((r) => r.id)).toEqual(["run-a"]);
  });

  it("needs a viewer token, answers 404 for unknown runs and cases and 400 for bad parameters", async () => {
    const caseId = await newCase("1");
    await saveRun(env.store.db, sampleRun({ case_id: caseId }), sampleInput(), []);
    for (const path of [`/api/v1/cases/${caseId}/runs`, "/api/v1/runs/run-1", "/api/v1/runs"]) {
      expect((await client.request(path)).status, path).toBe(401);
      expect((await client.request(path, { as: "viewer" })).status, path).toBe(200);
    }
    expect((await client.request("/api/v1/runs/run-404", { as: "viewer" })).status).toBe(404);
    expect((await client.request("/api/v1/cases/TORA-20261124-9999/runs", { as: "viewer" })).status).toBe(404);
    const badFlag = await client.request("/api/v1/runs/run-1?trace=maybe", { as: "viewer" });
    expect(badFlag.status).toBe(400);
    expect(((await badFlag.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(["trace"]);
    expect((await client.request("/api/v1/runs?agent=HAL", { as: "viewer" })).status).toBe(400);
  });

  it("documents the routes in the OpenAPI document", async () => {
    const doc = (await (await client.request("/api/docs", { as: "viewer" })).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/cases/{id}/runs", "/api/v1/runs", "/api/v1/runs/{id}"]));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["RunExport", "CaseRunSummary", "RunBrief"]));
  });
});
