import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, systemClock } from "../../core/index.js";
import { attachAlert } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { testStoreKind, useTestEnvironment } from "../../../test/support/store.js";
import { approveAction, getAction, requestAction } from "../approvals/index.js";
import { DefenderActionSettings, createDefenderConnector } from "../connectors/index.js";
import { defenderSettings, startFakeDefender, type FakeDefender } from "../connectors/defender/testing.js";
import { DEFAULT_POLICY } from "../policy/index.js";
import { executeAction } from "./index.js";

const root = path.resolve(import.meta.dirname, "../../..");

describe(`a response action across kill -9 and restart (${testStoreKind()})`, () => {
  const { db, env } = useTestEnvironment();
  let mde: FakeDefender;
  beforeEach(async () => {
    mde = await startFakeDefender();
  });
  afterEach(async () => mde.close());

  it("the worker dies after Defender acted and before it answered: the restarted worker finds the action by key and never isolates twice", async () => {
    const alert = await storedAlert(db(), { host: "ws-042" });
    const caseId = (await attachAlert(db(), alert, { windowMinutes: 60 }, systemClock)).caseId;
    const requested = await requestAction(db(), { case_id: caseId, action: "isolate_host", args: { host: "ws-042" }, requested_by: { kind: "agent", name: "ARIA" }, rationale: "C2 beacon" }, { policy: DEFAULT_POLICY, clock: systemClock });
    await approveAction(db(), requested.id, { name: "alice", role: "analyst" }, systemClock);
    mde.hang.machineActions = true;
    // tsx as a loader in this one process (its CLI would run the script in a grandchild that a kill misses).
    const tsx = pathToFileURL(path.join(root, "node_modules/tsx/dist/loader.mjs")).href;
    const child = spawn(process.execPath, ["--import", tsx, path.join(root, "test/support/respond-executor.ts"), env().home, env().config.database_url ?? "", requested.id, mde.url], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (mde.actions.size > 0) {
            clearInterval(timer);
            resolve();
          }
        }, 50);
        child.once("exit", (code) => {
          clearInterval(timer);
          reject(new Error(`executor exited early (${code})`));
        });
      });
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    expect(await getAction(db(), requested.id)).toMatchObject({ status: "executing", attempts: 1, remote_ref: null });
    mde.hang.machineActions = false;
    const later = fixedClock(new Date(Date.now() + 10 * 60_000));
    const connector = createDefenderConnector(DefenderActionSettings.parse(defenderSettings(mde.url)), { redact: (t) => t });
    const resumed = await executeAction(db(), requested.id, { connectors: [connector], clock: later, sleep: async () => {} });
    expect(resumed).toMatchObject({ status: "in_progress", attempts: 2, remote_ref: "ma-1" });
    expect(mde.requests.filter((r) => r.method === "POST" && r.path.endsWith("/isolate"))).toHaveLength(1);
    expect(mde.actions.size).toBe(1);
  });
});
