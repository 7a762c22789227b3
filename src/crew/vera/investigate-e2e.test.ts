import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock, VeraOutput } from "../../core/index.js";
import { getCase } from "../../cases/index.js";
import { runUntilIdle } from "../../store/index.js";
import { startScriptedServer, type ScriptedServer } from "../model/scripted-server.js";
import { replayRun } from "../runs/replay.js";
import { exportRun, getTrace, listRuns } from "../runs/store.js";
import { runAgent } from "../runtime/agent.js";
import { ModelSettings } from "../runtime/types.js";
import { ALERT_TIME } from "../testing/fixtures.js";
import { toolsFor } from "../tools/registry.js";
import { loadVeraInput } from "./augment.js";
import { investigateDeterministic } from "./deterministic.js";
import { getVeraDecision, veraHandlers } from "./handler.js";
import { macroTree, storeEvents, triagedCase, wordMacro } from "./testing.js";

/** VERA end to end: the real runtime and tools over HTTP to the scripted server, through the queue. */
describe(`VERA on a scripted model, end to end (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let server: ScriptedServer | null = null;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 50);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await env.cleanup();
  });

  it("the model reads events around the trigger and the process tree, then answers; the decision lands with its trace", async () => {
    const db = env.store.db;
    await storeEvents(db, macroTree());
    const caseId = await triagedCase(db, clock, wordMacro());
    const input = await loadVeraInput(db, caseId, clock);
    const { nova_feed: _nf, vera_id: _id, severity_delta: _d, ...answer } = investigateDeterministic(input, input.now);
    answer.narrative = "Scripted model: WINWORD spawned encoded PowerShell on WS-042.";

    server = await startScriptedServer({
      apiKey: "sk-vera",
      script: [
        { kind: "tool_calls", calls: [{ name: "events_around", arguments: { host: "WS-042", time: ALERT_TIME, window_minutes: 10, limit: 20 } }] },
        { kind: "tool_calls", calls: [{ name: "process_tree", arguments: { host: "WS-042", process_id: 4242, time: ALERT_TIME } }] },
        { kind: "message", content: JSON.stringify(answer) },
      ],
    });
    const model = ModelSettings.parse({ base_url: server.url, model: "qwen-test", api_key: "sk-vera", context_window: 65_536 });
    const handlers = veraHandlers({ clock, model, runAgent, tools: toolsFor("VERA"), maxSteps: 6 });
    const stats = await runUntilIdle(db, { handlers, clock });
    expect(stats).toEqual({ processed: 1, failed: 0 });

    const requests = server.requests.map((r) => r.body);
    expect(requests).toHaveLength(3);
    expect(server.requests.every((r) => r.authorization === "Bearer sk-vera")).toBe(true);
    expect(requests[0]!.messages[0]).toMatchObject({ role: "system", content: expect.stringContaining("You are VERA") });
    expect(String(requests[0]!.messages[1]!.content)).toContain(`Investigate case ${caseId}`);
    const offered = requests[0]!.tools!.map((t) => t.function.name);
    expect(offered).toEqual(expect.arrayContaining(["events_around", "process_tree", "propose_action"]));
    const toolText = (i: number) => requests[i]!.messages.filter((m) => m.role === "tool").map((m) => JSON.stringify(m.content)).join("\n");
    expect(toolText(1)).toContain("WINWORD.EXE /n invoice.docm");
    expect(toolText(2)).toContain("{AAAAAAAA-0000-0000-0000-000000000003}");

    const decision = (await getVeraDecision(db, caseId))!;
    expect(decision).toMatchObject({ analyst: "model:qwen-test", verdict: answer.verdict });
    expect(VeraOutput.parse(decision.output).narrative).toContain("Scripted model");
    const c = (await getCase(db, caseId))!;
    expect(c.crew_verdict).toBe(answer.verdict);

    const [saved] = await listRuns(db, { caseId, agent: "VERA" });
    expect(saved).toMatchObject({ status: "succeeded", decision_id: decision.id, prompt_version: "vera.v1" });
    expect(saved!.usage.requests).toBe(3);
    const calls = (await getTrace(db, saved!.id)).filter((e) => e.kind === "tool_call").map((e) => e.data.tool ?? e.data.name);
    expect(calls).toEqual(["events_around", "process_tree"]);

    // `runs export` then `runs replay`: checked against the proposal VERA's model spec asked for, it reproduces.
    const report = await replayRun(await exportRun(db, saved!.id), { clock });
    expect(report.differences).toEqual([]);
    expect(report.reproduced).toBe(true);
    expect(report.replayed.tool_calls.map((c) => c.name)).toEqual(["events_around", "process_tree"]);
  });
});
