import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lastLine, runCli } from "../../../test/support/cli.js";
import { cliEnvironment } from "../../../test/support/environment.js";
import { testStoreKind } from "../../../test/support/store.js";
import { openApp } from "../../app/index.js";
import { listAudit } from "../../cases/index.js";
import { listSuppressions } from "../../context/index.js";
import { systemClock } from "../../core/index.js";
import { publishAnalysis, type Analysis } from "../../nova/index.js";
import { formatAnalysis } from "./nova.js";

const ANALYSIS: Analysis = {
  schema_version: 1,
  id: "NOVA-night-20260302",
  shift: "night",
  since: "2026-03-01T00:00:00.000Z",
  until: "2026-03-02T00:00:00.000Z",
  analyst: "deterministic",
  counts: { cases: 3, tora_decisions: 3, vera_decisions: 0 },
  patterns: [
    { id: "P1", type: "recurring_false_positive", title: "updater judged benign in 3 cases", evidence: ["TORA-20260301-0001"], confidence: "medium", what_would_confirm: "a sample review", details: {} },
  ],
  open_questions: [],
  proposals: [
    {
      id: "NOVA-night-20260302-R1",
      kind: "suppression",
      pattern: "P1",
      summary: "Suppress updater.exe on WS-1",
      evidence: ["TORA-20260301-0001"],
      suppression: { scope: { host: "ws-1", process_name: "updater.exe" }, expires_at: "2099-01-01T00:00:00.000Z", reason: "recurring false positive" },
      details: {},
    },
    { id: "NOVA-night-20260302-R2", kind: "cmdb_record", pattern: "P1", summary: "Add LAB-9 to the CMDB", evidence: ["TORA-20260301-0002"], details: {} },
  ],
};

describe(`nightshift nova (${testStoreKind()})`, () => {
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  beforeEach(async () => {
    cli = await cliEnvironment();
  });
  afterEach(async () => {
    await cli.cleanup();
  });

  async function token(role: string, name: string): Promise<string> {
    const created = await runCli(["token", "create", "--role", role, "--name", name], cli.env);
    expect(created.code, created.stderr).toBe(0);
    return lastLine(created.stdout);
  }

  it("runs an analysis, lists proposals, and lets only an analyst or admin token decide them, audited", async () => {
    const run = await runCli(["nova", "run", "--json", "--shift", "night"], cli.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(lastLine(run.stdout))).toMatchObject({ id: expect.stringMatching(/^NOVA-night-\d{8}$/), patterns: [], proposals: [] });
    const bad = await runCli(["nova", "run", "--since", "yesterday"], cli.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("since");

    const app = await openApp({ env: cli.env });
    try {
      await publishAnalysis(app.store.db, ANALYSIS, systemClock);
    } finally {
      await app.close();
    }
    const listed = await runCli(["nova", "proposals", "list", "--status", "proposed", "--json"], cli.env);
    expect(listed.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(["NOVA-night-20260302-R1", "NOVA-night-20260302-R2"]);

    const id = "NOVA-night-20260302-R1";
    const noToken = await runCli(["nova", "proposals", "accept", id], { ...cli.env, NIGHTSHIFT_TOKEN: "" });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("analyst or admin API token");
    const viewer = await runCli(["nova", "proposals", "accept", id, "--token", await token("viewer", "wallboard")], cli.env);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain("only an analyst or admin");

    const accepted = await runCli(["nova", "proposals", "accept", id, "--note", "confirmed with IT"], { ...cli.env, NIGHTSHIFT_TOKEN: await token("analyst", "bob") });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(lastLine(accepted.stdout))).toMatchObject({ id, status: "accepted", decided_by: "bob", suppression_id: `SUP-${id}` });
    const rejected = await runCli(["nova", "proposals", "reject", "NOVA-night-20260302-R2"], { ...cli.env, NIGHTSHIFT_TOKEN: await token("admin", "carol") });
    expect(JSON.parse(lastLine(rejected.stdout))).toMatchObject({ status: "rejected", decided_by: "carol", suppression_id: null });

    const check = await openApp({ env: cli.env });
    try {
      const [suppression] = await listSuppressions(check.store.db);
      expect(suppression).toMatchObject({ id: `SUP-${id}`, author: "bob", scope: { host: "ws-1", process_name: "updater.exe" }, expires_at: "2099-01-01T00:00:00.000Z" });
      expect(suppression!.reason).toContain(`NOVA proposal ${id}`);
      expect(suppression!.reason).toContain("confirmed with IT");
      const audit = (await listAudit(check.store.db, {})).filter((e) => e.action.startsWith("nova."));
      expect(audit.map((e) => [e.action, e.actor.name])).toEqual([
        ["nova.proposal.accepted", "bob"],
        ["nova.proposal.rejected", "carol"],
      ]);
    } finally {
      await check.close();
    }
  });
});

describe("formatAnalysis", () => {
  it("prints patterns, questions and proposals, with no control character from alert contents", () => {
    const hostile = { ...ANALYSIS, proposals: [{ ...ANALYSIS.proposals[0]!, summary: "Suppress evil\u001b]0;pwned\u0007.exe" }] };
    const text = formatAnalysis(hostile);
    expect(text).toContain("P1 [recurring_false_positive, medium] updater judged benign in 3 cases");
    expect(text).toContain("NOVA-night-20260302-R1 [suppression, from P1] Suppress evil\uFFFD]0;pwned\uFFFD.exe");
    expect(text.includes("\u001b") || text.includes("\u0007")).toBe(false);
  });
});
