import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { listAlerts } from "../query.js";
import { advanceCheckpoint } from "./checkpoint.js";
import { runConnector } from "./runner.js";
import { startConnectorScheduler } from "./scheduler.js";
import { listConnectorStatus, loadState } from "./state.js";
import type { Checkpoint, Connector } from "./types.js";

/** A connector over a fixed list, one alert per page: enough to drive the framework without HTTP. */
function listConnector(alerts: Record<string, unknown>[], name = "list"): Connector & { pulls: Checkpoint[] } {
  const pulls: Checkpoint[] = [];
  return {
    name,
    kind: "test",
    intervalSeconds: 3600,
    pulls,
    async pull(checkpoint) {
      pulls.push(checkpoint);
      const index = typeof checkpoint.cursor === "number" ? checkpoint.cursor : 0;
      const alert = alerts[index];
      if (!alert) return { alerts: [], checkpoint, more: false };
      const next = advanceCheckpoint(checkpoint, [{ id: String(alert.source_id), time: String(alert.time) }], index + 1);
      return { alerts: [alert], checkpoint: next, more: index + 1 < alerts.length };
    },
  };
}

describe(`connector runner (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00Z");
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("counts an alert the generic schema refuses as rejected, keeps going, and names the field in health", async () => {
    const c = listConnector([
      { title: "one", source: "test", source_id: "1", time: "2026-11-24T11:00:00Z" },
      { title: "two", source: "test", source_id: "2", time: "2026-11-24T11:01:00Z", severity: "bogus" },
      { title: "three", source: "test", source_id: "3", time: "2026-11-24T11:02:00Z" },
    ]);
    const summary = await runConnector(env.store.db, c, { clock });
    expect(summary).toMatchObject({ pages: 3, created: 2, rejected: 1, error: null, caught_up: true });
    expect((await listAlerts(env.store.db, {})).map((a) => a.title).sort()).toEqual(["one", "three"]);
    const [status] = await listConnectorStatus(env.store.db, [{ name: "list", kind: "test" }], clock);
    expect(status).toMatchObject({ created: 2, rejected: 1, fetched: 3, lag_seconds: 3480, last_success: "2026-11-24T12:00:00.000Z" });
    expect(status!.last_error).toMatch(/^rejected alert: severity: expected one of/);
  });

  it("stops after maxPages and resumes from the committed checkpoint", async () => {
    const alerts = Array.from({ length: 5 }, (_, i) => ({ title: `a${i}`, source: "test", source_id: String(i), time: `2026-11-24T11:0${i}:00Z` }));
    const first = await runConnector(env.store.db, listConnector(alerts), { clock, maxPages: 2 });
    expect(first).toMatchObject({ pages: 2, created: 2, caught_up: false });
    const again = listConnector(alerts);
    const second = await runConnector(env.store.db, again, { clock });
    expect(second).toMatchObject({ created: 3, duplicates: 0, caught_up: true });
    expect(again.pulls[0]).toMatchObject({ cursor: 2, time: "2026-11-24T11:01:00.000Z", seen: ["1"] });
    expect((await loadState(env.store.db, "list")).checkpoint.cursor).toBe(5);
  });

  it("lists configured connectors that never ran with empty health, and stored ones no longer configured", async () => {
    await runConnector(env.store.db, listConnector([], "old"), { clock });
    const statuses = await listConnectorStatus(env.store.db, [{ name: "new", kind: "wazuh" }], clock);
    expect(statuses.map((s) => [s.name, s.kind, s.last_run, s.lag_seconds])).toEqual([
      ["new", "wazuh", null, null],
      ["old", "test", "2026-11-24T12:00:00.000Z", null],
    ]);
    // A cursor without a status of its own (here a page number) says nothing about its state.
    expect(statuses.map((s) => s.state)).toEqual([null, null]);
  });

  it("the scheduler runs each connector at start and stops cleanly", async () => {
    const a = listConnector([{ title: "x", source: "test", source_id: "x", time: "2026-11-24T11:00:00Z" }], "a");
    const b = listConnector([{ title: "y", source: "test", source_id: "y", time: "2026-11-24T11:00:00Z" }], "b");
    const runs: string[] = [];
    let resolveBoth!: () => void;
    const both = new Promise<void>((resolve) => (resolveBoth = resolve));
    const scheduler = startConnectorScheduler(env.store.db, [{ connector: a }, { connector: b }], {
      clock,
      onRun: (summary) => {
        runs.push(`${summary.name}:${summary.created}`);
        if (runs.length === 2) resolveBoth();
      },
    });
    await both;
    await scheduler.stop();
    expect(runs.sort()).toEqual(["a:1", "b:1"]);
  });
});
