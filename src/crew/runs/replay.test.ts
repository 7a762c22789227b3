import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import type { AgentRun, RunExport } from "../../core/index.js";
import { startScriptedServer, type ScriptedServer, type ScriptedTurn } from "../model/scripted-server.js";
import { runAgent } from "../runtime/agent.js";
import { TestOutput, testOptions, testSettings, testSpec, testTools, validAnswer, type ToolLog } from "../runtime/test-fixtures.js";
import type { AgentOutcome, AgentSpec, ModelSettingsInput } from "../runtime/types.js";
import { dnsLookup, toraInput } from "../testing/fixtures.js";
import { triageDeterministic } from "../tora/deterministic.js";
import { toolsFor } from "../tools/index.js";
import { toraAgentSpec } from "../tora/model.js";
import { replayRun } from "./replay.js";
import { exportRun, saveRun } from "./store.js";

/** A run recorded by the real runtime against the scripted server, saved, then exported as `runs export` does. */
describe(`replay of recorded runs (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let server: ScriptedServer;
  beforeEach(async () => {
    env = await openTestEnvironment();
    server = await startScriptedServer();
  });
  afterEach(async () => {
    await server.close();
    await env.cleanup();
  });

  async function record<O>(spec: AgentSpec<O>, script: ScriptedTurn[], settings: Partial<ModelSettingsInput> = {}, id = "run-rec"): Promise<RunExport> {
    server.script([...script]);
    const options = testOptions(testSettings({ base_url: server.url, ...settings }));
    options.toolContext.caseId = spec.caseId;
    options.toolContext.db = env.store.db;
    const outcome: AgentOutcome<O> = await runAgent(spec, options);
    const run: AgentRun = {
      id,
      case_id: spec.caseId,
      agent: spec.agent,
      tier: spec.tier,
      analyst: outcome.analyst,
      prompt_version: spec.promptVersion,
      status: outcome.ok ? "succeeded" : "failed",
      attempt: 1,
      failure: outcome.ok ? null : outcome.failure,
      decision_id: null,
      fallback: null,
      usage: outcome.usage,
      started_at: "2026-11-24T10:00:00.000Z",
      finished_at: "2026-11-24T10:00:05.000Z",
    };
    await saveRun(env.store.db, run, outcome.input, outcome.trace);
    return exportRun(env.store.db, id);
  }

  const investigate: ScriptedTurn[] = [
    { kind: "tool_calls", calls: [{ name: "search_events", arguments: { host: "ws-042", size: 3 } }, { name: "get_asset", arguments: { host: "ws-042" } }] },
    { kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "missing" } }, { name: "no_such_tool", arguments: {} }] },
    { kind: "message", content: JSON.stringify({ ...validAnswer(), confidence: "high" }) },
    { kind: "message", content: JSON.stringify(validAnswer({ summary: "beaconing to c2.example confirmed by 3 events" })) },
  ];

  it("reproduces a run's tool calls and output without running a real tool, and reports divergence", async () => {
    const log: ToolLog = { calls: [] };
    const exported = await record(testSpec(testTools(log)), investigate);
    expect(exported.run.status).toBe("succeeded");
    expect(log.calls.map((c) => c.tool)).toEqual(["search_events", "get_asset", "get_asset"]);
    expect(exported.trace.map((e) => e.kind)).toContain("repair");

    const replayLog: ToolLog = { calls: [] };
    const options = { tools: testTools(replayLog), outputs: { test_output: TestOutput } };
    const report = await replayRun(exported, options);
    expect(report.differences).toEqual([]);
    expect(report.reproduced).toBe(true);
    expect(report.replayed.tool_calls).toEqual([
      { name: "search_events", args: { host: "ws-042", size: 3 } },
      { name: "get_asset", args: { host: "ws-042" } },
      { name: "get_asset", args: { host: "missing" } },
      { name: "no_such_tool", args: {} },
    ]);
    expect(report.replayed.output).toEqual(validAnswer({ summary: "beaconing to c2.example confirmed by 3 events" }));
    expect(report.replayed.requests).toBe(4);
    expect(replayLog.calls).toEqual([]);
    expect(report.summary).toContain("reproduced");

    // Today's code allows fewer steps than the recording used: the replay fails and says where.
    const fewerSteps = await replayRun({ ...exported, input: { ...exported.input, max_steps: 1 } }, options);
    expect(fewerSteps.reproduced).toBe(false);
    expect(fewerSteps.differences).toEqual(
      expect.arrayContaining([
        "tool call 3: recorded get_asset {\"host\":\"missing\"}, replayed nothing",
        "outcome: recorded succeeded, replayed failed",
        expect.stringMatching(/^failure: recorded none, replayed step_limit/),
      ]),
    );
    expect(fewerSteps.summary).toContain("DIVERGED");

    // A recording whose output differs from what the responses produce today.
    const tampered = exported.trace.map((e) => (e.kind === "output" ? { ...e, data: { output: { ...validAnswer(), confidence: 12 } } } : e));
    const outputDiff = await replayRun({ ...exported, trace: tampered }, options);
    expect(outputDiff.differences).toEqual(["output differs in confidence, summary"]);
  });

  it("replays a failed run (credit exhausted mid-run) and a streamed run whose server left usage out and wrote a call in its text", async () => {
    const failed = await record(testSpec(testTools({ calls: [] })), [investigate[0]!, { kind: "error", status: 402, body: { error: { message: "insufficient credit", type: "insufficient_quota" } } }], {}, "run-402");
    expect(failed.run.failure?.kind, failed.run.failure?.message).toBe("credit_exhausted");
    // The crew stage records header names only (never values); a replay needs none of them.
    const stageRecorded = { ...failed, input: { ...failed.input, model: { ...(failed.input.model as object), headers: ["authorization"] } } };
    const again = await replayRun(stageRecorded, { outputs: { test_output: TestOutput } });
    expect(again.differences).toEqual([]);
    expect(again.replayed).toMatchObject({ status: "failed", failure: { kind: "credit_exhausted" } });

    const quirky = await record(
      testSpec(testTools({ calls: [] })),
      [
        { kind: "tool_call_in_text", call: { name: "get_asset", arguments: { host: "ws-042" } }, where: "reasoning", usage: null },
        { kind: "message", content: JSON.stringify(validAnswer()), usage: null },
      ],
      { stream: true },
      "run-stream",
    );
    expect(quirky.run.usage.estimated).toBe(true);
    const replayed = await replayRun(quirky, { outputs: { test_output: TestOutput } });
    expect(replayed.differences).toEqual([]);
    expect(replayed.replayed.tool_calls).toEqual([{ name: "get_asset", args: { host: "ws-042" } }]);
    expect(replayed.replayed.output).toEqual(validAnswer());
  });

  it("replays a TORA run on the real SOC tools from its export file with `nightshift runs replay`, exit 1 when it diverges", async () => {
    const item = dnsLookup();
    const input = toraInput("TORA-20261124-0042", item);
    const { nova_feed: _feed, ...proposal } = triageDeterministic(input);
    const exported = await record(
      toraAgentSpec(input, toolsFor("TORA")),
      [{ kind: "tool_calls", calls: [{ name: "get_asset", arguments: { host: "ws-042" } }] }, { kind: "message", content: JSON.stringify(proposal) }],
      {},
      "run-tora",
    );
    expect(exported.run.status, JSON.stringify(exported.run.failure)).toBe("succeeded");
    expect(exported.input.output).toBe("tora_output");
    expect(exported.trace.filter((e) => e.kind === "tool_result").map((e) => e.data.tool)).toEqual(["get_asset"]);
    const file = path.join(env.home, "run.json");
    writeFileSync(file, JSON.stringify(exported));
    const ok = await runCli(["runs", "replay", file], { NIGHTSHIFT_HOME: env.home });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("replay of run run-tora: reproduced");
    expect(ok.stdout).toContain("tool calls: get_asset");

    const diverging = exported.trace.map((e) => (e.kind === "tool_call" ? { ...e, data: { ...e.data, arguments: { host: "ws-999" } } } : e));
    writeFileSync(file, JSON.stringify({ ...exported, trace: diverging }));
    const bad = await runCli(["runs", "replay", file, "--json"], { NIGHTSHIFT_HOME: env.home });
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { reproduced: boolean; differences: string[] };
    expect(report.reproduced).toBe(false);
    expect(report.differences).toEqual(['tool call 1: recorded get_asset {"host":"ws-999"}, replayed get_asset {"host":"ws-042"}']);
  });
});
