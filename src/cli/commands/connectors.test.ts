import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { lastLine, runCli } from "../../../test/support/cli.js";
import { cliEnvironment } from "../../../test/support/environment.js";
import { testStoreKind } from "../../../test/support/store.js";
import { startFakeIndexer, wazuhDoc, type FakeIndexer } from "../../ingest/connectors/wazuh/testing.js";

const root = path.resolve(import.meta.dirname, "../../..");
const PASSWORD = "cli-Wazuh-pass-42";

describe(`nightshift connectors (${testStoreKind()})`, () => {
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  let indexer: FakeIndexer;
  let env: Record<string, string>;
  beforeEach(async () => {
    cli = await cliEnvironment();
    indexer = await startFakeIndexer({ username: "reader", password: PASSWORD });
    const config = {
      connectors: { sources: [{ name: "wazuh-lab", kind: "wazuh", url: indexer.url, username: "reader", password: "${WAZUH_PW}", page_size: 2 }] },
    };
    writeFileSync(path.join(cli.env.NIGHTSHIFT_HOME!, "nightshift.yaml"), stringify(config));
    env = { ...cli.env, WAZUH_PW: PASSWORD };
  });
  afterEach(async () => {
    await indexer.close();
    await cli.cleanup();
  });

  it("a run killed mid-pull loses nothing and duplicates nothing when run again; status reports health", async () => {
    const docs = Array.from({ length: 5 }, (_, i) => wazuhDoc(`2026-11-24T10:00:0${i}.000+0000`));
    indexer.docs.push(...docs);
    const secondPage = indexer.hold(2);
    const child = spawn(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "src/cli/main.ts"), "connectors", "run", "--once"], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    const exited = new Promise<string | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await secondPage;
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const run = await runCli(["connectors", "run", "--once"], env);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(lastLine(run.stdout)) as { created: number; duplicates: number; errors: number; connectors: { name: string; caught_up: boolean }[] };
    // The killed run committed page one (2 alerts) with its checkpoint; the rest arrive now, once.
    expect(summary).toMatchObject({ created: 3, duplicates: 0, errors: 0, connectors: [{ name: "wazuh-lab", caught_up: true }] });

    const status = await runCli(["connectors", "status"], env);
    expect(status.code, status.stderr).toBe(0);
    const [line] = status.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ name: "wazuh-lab", kind: "wazuh", fetched: 5, created: 5, duplicates: 0, last_error: null, checkpoint_time: "2026-11-24T10:00:04.000Z" });
    expect(typeof line!.lag_seconds).toBe("number");
  });

  it("fails with the refused credentials named and the password nowhere in the output", async () => {
    indexer.docs.push(wazuhDoc("2026-11-24T10:00:00.000+0000"));
    const run = await runCli(["connectors", "run", "wazuh-lab", "--once"], { ...env, WAZUH_PW: "not-the-password" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/wazuh-lab: .*HTTP 401 — credentials refused/);
    expect(run.stdout + run.stderr).not.toContain("not-the-password");
    expect(JSON.parse(lastLine(run.stdout))).toMatchObject({ created: 0, errors: 1 });
    const missing = await runCli(["connectors", "run", "--once"], cli.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("connectors.sources[0].password: ${WAZUH_PW} is not set");
  });
});
