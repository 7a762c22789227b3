import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApp, type App } from "../../src/app/index.js";
import { fromJson } from "../../src/store/index.js";
import type { RunUsage } from "../../src/core/index.js";
import { startScriptedServer, type ScriptedServer } from "../../src/crew/model/scripted-server.js";
import { analystScript, toraAnswer, veraAnswer } from "../../src/crew/testing/analyst-script.js";
import { cliEnvironment } from "../support/environment.js";
import { lastLine, runCli, type CliResult } from "../support/cli.js";
import { testStoreKind } from "../support/store.js";

interface CaseLine {
  id: string;
  status: string;
  crew_verdict: string | null;
  tags: string[];
}

function cases(result: CliResult): Map<string, CaseLine> {
  const lines = result.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as CaseLine);
  return new Map(lines.map((c) => [c.id, c]));
}

/**
 * `NIGHTSHIFT_MODEL_URL` pointed at an OpenAI-compatible server runs the demo shift through both tiers on the
 * model. The scripted model works tools first, then answers with the deterministic analyst's decision for the
 * same case: the shift must end exactly as the offline shift does, every decision made by the model path.
 */
describe(`demo shift on a model endpoint (${testStoreKind()})`, () => {
  let offline: Awaited<ReturnType<typeof cliEnvironment>>;
  let online: Awaited<ReturnType<typeof cliEnvironment>>;
  let server: ScriptedServer;
  let reader: App;
  let offlineRun: CliResult;
  let onlineRun: CliResult;

  beforeAll(async () => {
    offline = await cliEnvironment();
    online = await cliEnvironment();
    server = await startScriptedServer({ model: "scripted-analyst", apiKey: "sk-test-demo" });
    // The script reads the case as the crew does, through its own connection to the same database.
    reader = await openApp({ env: online.env });
    server.script(analystScript({ db: reader.store.db, answers: { TORA: toraAnswer, VERA: veraAnswer } }));
    offlineRun = await runCli(["demo", "--once"], offline.env);
    onlineRun = await runCli(["demo", "--once"], {
      ...online.env,
      NIGHTSHIFT_MODEL_URL: server.url,
      NIGHTSHIFT_MODEL: "scripted-analyst",
      NIGHTSHIFT_MODEL_KEY: "sk-test-demo",
    });
  }, 600_000);

  afterAll(async () => {
    await reader?.close();
    await server?.close();
    await offline?.cleanup();
    await online?.cleanup();
  });

  it("works the whole shift on the model, both tiers, every run succeeded and every decision from the model", async () => {
    expect(onlineRun.code, onlineRun.stderr).toBe(0);
    const db = reader.store.db;
    const runs = await db.selectFrom("agent_runs").select(["agent", "status", "analyst", "case_id", "usage"]).execute();
    const decisions = await db.selectFrom("decisions").select(["agent", "analyst", "case_id"]).execute();
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.filter((r) => r.status !== "succeeded")).toEqual([]);
    expect(new Set(runs.map((r) => r.analyst))).toEqual(new Set(["model:scripted-analyst"]));
    expect(new Set(decisions.map((d) => d.analyst))).toEqual(new Set(["model:scripted-analyst"]));
    const summary = JSON.parse(lastLine(onlineRun.stdout)) as { cases: number };
    expect(decisions.filter((d) => d.agent === "TORA")).toHaveLength(summary.cases);
    const vera = decisions.filter((d) => d.agent === "VERA");
    expect(vera.length).toBeGreaterThan(0);
    expect(runs.filter((r) => r.agent === "VERA")).toHaveLength(vera.length);
    // Both tiers used tools before answering, and the key went to the server.
    expect(server.requests.some((r) => (r.body.messages ?? []).some((m) => m.role === "tool"))).toBe(true);
    expect(new Set(server.requests.map((r) => r.authorization))).toEqual(new Set(["Bearer sk-test-demo"]));
    for (const run of runs) {
      const usage = fromJson<RunUsage>(run.usage, null as never);
      expect(usage.largest_request_tokens, run.case_id).toBeLessThanOrEqual(usage.request_cap_tokens);
      expect(usage.requests, run.case_id).toBeGreaterThan(1);
    }
  });

  it("ends the shift exactly as the offline analyst does: same cases, statuses and verdicts", async () => {
    expect(offlineRun.code, offlineRun.stderr).toBe(0);
    const a = cases(await runCli(["cases", "export"], offline.env));
    const b = cases(await runCli(["cases", "export"], online.env));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [id, c] of a) {
      const other = b.get(id)!;
      expect({ id, status: other.status, crew_verdict: other.crew_verdict }).toEqual({ id, status: c.status, crew_verdict: c.crew_verdict });
    }
  });
});
