import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { lastLine, runCli } from "../../../test/support/cli.js";
import { cliEnvironment } from "../../../test/support/environment.js";
import { testStoreKind } from "../../../test/support/store.js";
import { NEW_USER_EVTX, testRuleDir } from "../../app/testing.js";

interface Summary {
  files: number;
  events: number;
  stored: number;
  duplicates: number;
  errors: number;
  alerts: number;
  untimed: number;
}

describe(`nightshift ingest logs (${testStoreKind()})`, () => {
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  let rules: ReturnType<typeof testRuleDir>;
  beforeEach(async () => {
    cli = await cliEnvironment();
    rules = testRuleDir(["userCreation", "memberAddedToGlobalGroup"]);
    // The sample is from 2016; retention counts from arrival, so the default 30 days keeps it for the second run.
    const config = { detect: { builtin_rules: false, rules: [rules.dir] } };
    writeFileSync(path.join(cli.env.NIGHTSHIFT_HOME!, "nightshift.yaml"), stringify(config));
  });
  afterEach(async () => {
    await cli.cleanup();
    rules.remove();
  });

  it("stores an EVTX file, queues its detections for the crew, and reports all duplicates the second time", async () => {
    const evtx = NEW_USER_EVTX();
    const missing = path.join(cli.env.NIGHTSHIFT_HOME!, "no-such.evtx");
    const refused = await runCli(["ingest", "logs", evtx, missing], cli.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(missing);
    expect(refused.stdout).toBe("");

    const first = await runCli(["ingest", "logs", evtx], cli.env);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(lastLine(first.stdout)) as Summary;
    expect(Object.keys(summary)).toEqual(["files", "events", "stored", "duplicates", "errors", "alerts", "untimed"]);
    expect(summary.files).toBe(1);
    expect(summary.events).toBeGreaterThan(0);
    // Nothing was stored by the refused run: every event is new now.
    expect(summary).toMatchObject({ stored: summary.events, duplicates: 0, errors: 0, alerts: 2, untimed: 0 });

    const second = await runCli(["ingest", "logs", evtx], cli.env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(lastLine(second.stdout))).toEqual({ ...summary, stored: 0, duplicates: summary.events, alerts: 0 });
  });

  it("exits 1 on a file it cannot read, after storing the rest, and counts events without a time", async () => {
    const home = cli.env.NIGHTSHIFT_HOME!;
    const fake = path.join(home, "not-really.evtx");
    writeFileSync(fake, "this is a text file, not an event log\n");
    const untimed = path.join(home, "untimed.jsonl");
    writeFileSync(untimed, `${JSON.stringify({ EventID: 4720, Channel: "Security", when: "yesterday" })}\n${JSON.stringify({ EventID: 1, Channel: "x", "@timestamp": "2026-01-01T00:00:00Z" })}\n`);
    const result = await runCli(["ingest", "logs", fake, untimed], cli.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not-really.evtx");
    expect(result.stderr).toMatch(/1 event without a time/);
    expect(JSON.parse(lastLine(result.stdout))).toMatchObject({ files: 2, events: 2, stored: 2, errors: 1, untimed: 1 });
  });
});
