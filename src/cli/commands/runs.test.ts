import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lastLine, runCli } from "../../../test/support/cli.js";
import { cliEnvironment } from "../../../test/support/environment.js";
import { testStoreKind } from "../../../test/support/store.js";
import { openApp } from "../../app/index.js";
import { RunExport } from "../../core/index.js";
import { saveRun } from "../../crew/runs/index.js";
import { sampleInput, sampleRun, sampleTrace } from "../../crew/runs/testing.js";

describe(`nightshift runs list / show / export (${testStoreKind()})`, () => {
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  beforeEach(async () => {
    cli = await cliEnvironment();
    const app = await openApp({ env: cli.env });
    try {
      await saveRun(app.store.db, sampleRun({ id: "run-ok", case_id: "TORA-20261124-0001" }), sampleInput(), sampleTrace(5));
      await saveRun(
        app.store.db,
        sampleRun({
          id: "run-failed",
          case_id: "TORA-20261124-0002",
          agent: "VERA",
          tier: 2,
          status: "failed",
          decision_id: null,
          started_at: "2026-11-24T11:00:00.000Z",
          failure: { kind: "credit_exhausted", message: "402: insufficient credit on the account", retryable: true },
        }),
        sampleInput(),
        [
          ...sampleTrace(1),
          { seq: 1, kind: "error", at: "2026-11-24T11:00:01.000Z", latency_ms: 80, tokens_in: null, tokens_out: null, tokens_estimated: false, cost: null, data: { kind: "credit_exhausted", message: "402: insufficient credit on the account", retryable: true } },
        ],
      );
    } finally {
      await app.close();
    }
  });
  afterEach(async () => {
    await cli.cleanup();
  });

  it("lists runs as a table or JSON, filtered by case, agent and failure", async () => {
    const table = await runCli(["runs", "list"], cli.env);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trim().split("\n");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^run-failed\s+TORA-20261124-0002\s+VERA\s+failed\s+1\s+1800\/240\s+2026-11-24T11:00:00.000Z\s+credit_exhausted: 402/);
    expect(rows[2]).toMatch(/^run-ok\s+TORA-20261124-0001\s+TORA\s+succeeded/);

    const ids = async (args: string[]) => {
      const res = await runCli(["runs", "list", "--json", ...args], cli.env);
      expect(res.code, res.stderr).toBe(0);
      return (JSON.parse(lastLine(res.stdout)) as { runs: { id: string }[] }).runs.map((r) => r.id);
    };
    expect(await ids(["--failed"])).toEqual(["run-failed"]);
    expect(await ids(["--agent", "tora", "--case", "TORA-20261124-0001"])).toEqual(["run-ok"]);

    const bad = await runCli(["runs", "list", "--agent", "HAL"], cli.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--agent: one of TORA, VERA");
  });

  it("shows a readable trace: kinds, tokens, latency, tool names and arguments, errors", async () => {
    const ok = await runCli(["runs", "show", "run-ok"], cli.env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("run run-ok · TORA (tier 1) · model:qwen3-32b · tora.v1 · succeeded · attempt 1");
    expect(ok.stdout).toContain("largest request 1100 of cap 26214");
    const lines = ok.stdout.split("\n");
    expect(lines.find((l) => /^\s+1\s+response/.test(l))).toMatch(/900 in \/ 120 out~\s+451 ms\s+tool calls: search_events\(\{"host":"ws-1","size":50\}\); finish tool-calls/);
    expect(lines.find((l) => /^\s+2\s+tool_call/.test(l))).toContain('search_events {"host":"ws-1","size":50}');
    expect(lines.find((l) => /^\s+3\s+tool_result/.test(l))).toContain("search_events · ok · 4 tokens in context · handle r-1");
    expect(lines.find((l) => /^\s+4\s+output/.test(l))).toContain("verdict ESCALATED (confidence 72)");

    const failed = await runCli(["runs", "show", "run-failed", "--data"], cli.env);
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain("failure credit_exhausted (retryable): 402: insufficient credit on the account");
    expect(failed.stdout).toMatch(/\s+1\s+error\s+80 ms\s+credit_exhausted: 402: insufficient credit/);
    expect(failed.stdout).toContain('{"kind":"credit_exhausted","message":"402: insufficient credit on the account","retryable":true}');

    const missing = await runCli(["runs", "show", "run-nope"], cli.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("run run-nope not found");
  });

  it("exports a run as nightshift.run.v1 to stdout or a file", async () => {
    const out = await runCli(["runs", "export", "run-ok"], cli.env);
    expect(out.code, out.stderr).toBe(0);
    const exported = RunExport.parse(JSON.parse(out.stdout));
    expect(exported.run).toEqual(sampleRun({ id: "run-ok", case_id: "TORA-20261124-0001" }));
    expect(exported.trace).toEqual(sampleTrace(5));

    const file = path.join(cli.env.NIGHTSHIFT_HOME!, "run.json");
    const written = await runCli(["runs", "export", "run-failed", "--out", file], cli.env);
    expect(written.code, written.stderr).toBe(0);
    const fromFile = RunExport.parse(JSON.parse(readFileSync(file, "utf8")));
    expect(fromFile.run.failure?.kind).toBe("credit_exhausted");
    expect(fromFile.trace.map((e) => e.kind)).toEqual(["request", "error"]);

    writeFileSync(file, JSON.stringify({ ...fromFile, format: "nightshift.run.v0" }));
    const notExport = await runCli(["runs", "replay", file], cli.env);
    expect(notExport.code).toBe(2);
    expect(notExport.stderr).toContain("format");
  });
});
