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
    expect(Object.keys(summary)).toEqual(["files", "events", "stored", "duplicates", "errors", "alerts"]);
    expect(summary.files).toBe(1);
    expect(summary.events).toBeGreaterThan(0);
    // Nothing was stored by the refused run: every event is new now.
    expect(summary).toMatchObject({ stored: summary.events, duplicates: 0, errors: 0, alerts: 2 });

    const second = await runCli(["ingest", "logs", evtx], cli.env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(lastLine(second.stdout))).toEqual({ ...summary, stored: 0, duplicates: summary.events, alerts: 0 });
  });
});
