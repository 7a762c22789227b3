import { appendFileSync, closeSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { withMapping } from "../common.js";
import { runConnector } from "../runner.js";
import { loadState } from "../state.js";
import { tailCursorOf } from "../tail/connector.js";
import type { Connector } from "../types.js";
import { kind } from "./index.js";
import { eveAlert, eveAnomaly, eveFlow, line } from "./testing.js";

const at = (second: number) => `2026-11-24T10:00:${String(second).padStart(2, "0")}.000100+0000`;
const alertAt = (second: number, sid = 2024897) => line(eveAlert({ timestamp: at(second), flow_id: 1000 + second }, { signature_id: sid }));

describe(`suricata connector over a real eve.json (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  let eve: string;
  const clock = fixedClock("2026-11-24T10:05:00Z");
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-suricata-"));
    eve = path.join(dir, "eve.json");
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  function connector(over: Record<string, unknown> = {}): Connector {
    const settings = kind.settings.parse({ name: "suricata-dmz", kind: "suricata", path: eve, sensor: "ids-dmz-01", max_lines: 4, ...over });
    const built = kind.create(settings, { redact: (t) => t });
    return withMapping(built, settings.mapping);
  }
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, ...extra });
  const stored = async () => (await listAlerts(env.store.db, { limit: 500 })).map((a) => a.source_id!).sort();

  it("stores alert events only, through pages, each once; flow and stats events are skipped, junk is rejected", async () => {
    writeFileSync(eve, [alertAt(1), line(eveFlow()), alertAt(2), "{\"event_type\":\"stats\",\"timestamp\":\"2026-11-24T10:00:03+0000\",\"stats\":{}}\n", "garbage\n", alertAt(4), line(eveAnomaly()), alertAt(5)].join(""));
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 4, duplicates: 0, rejected: 0, caught_up: true, pages: 2 });
    const state = await loadState(env.store.db, "suricata-dmz");
    expect(Number(state.row?.rejected)).toBe(1);
    expect(tailCursorOf(state.checkpoint, eve).recent_rejections).toEqual([{ file: eve, line: 5, reason: expect.stringMatching(/^not JSON/) }]);
    expect(state.checkpoint.time).toBe("2026-11-24T10:00:05.000Z");
    const again = await run(connector());
    expect(again).toMatchObject({ created: 0, duplicates: 0, fetched: 0 });
  });

  it("follows a SIGHUP reopen: the renamed eve.json is finished, the new one read from 0, every alert once", async () => {
    writeFileSync(eve, alertAt(1) + alertAt(2));
    await run(connector());
    const suricata = openSync(eve, "a");
    writeSync(suricata, alertAt(3));
    renameSync(eve, `${eve}.1`);
    writeSync(suricata, alertAt(4));
    // Suricata reopens on SIGHUP: the new eve.json gets the next events.
    closeSync(suricata);
    writeFileSync(eve, alertAt(5));
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 3, duplicates: 0 });
    expect(await stored()).toHaveLength(5);
    appendFileSync(eve, alertAt(6));
    expect(await run(connector())).toMatchObject({ created: 1, duplicates: 0 });
  });

  it("a crash between fetch and commit on page 2 loses and duplicates nothing", async () => {
    writeFileSync(eve, Array.from({ length: 10 }, (_, i) => alertAt(i + 1)).join(""));
    const crashed = await run(connector(), { beforeCommit: (_t, page) => { if (page === 2) throw new Error("power cut"); } });
    expect(crashed).toMatchObject({ created: 4, error: "power cut" });
    expect(await run(connector())).toMatchObject({ error: null, created: 6, duplicates: 0 });
    expect(await stored()).toEqual(Array.from({ length: 10 }, (_, i) => `${1000 + i + 1}:1:2024897:${at(i + 1)}`).sort());
  });

  it("applies the mapping tables: priority by native severity, sensor renamed to the CMDB host", async () => {
    writeFileSync(eve, alertAt(1) + line(eveAlert({ timestamp: at(2), flow_id: 7 }, { severity: 3 })));
    await run(connector({ mapping: { priority: { "1": "P1" }, hosts: { "ids-dmz-01": "sensor-dmz-01.corp" } }, event_types: ["alert", "anomaly"] }));
    const alerts = await listAlerts(env.store.db, { limit: 10 });
    const bySeverity = Object.fromEntries(alerts.map((a) => [a.severity, a]));
    expect(bySeverity.high).toMatchObject({ priority: "P1", host: { name: "sensor-dmz-01.corp" } });
    expect(bySeverity.low?.priority).toBeUndefined();
  });

  it("clock skew cannot lose or duplicate: the position is a byte offset, never a time window", async () => {
    // Nightshift's clock says 10:05; the sensor's clock runs 2 h ahead, then 10 min behind after an NTP fix.
    const ahead = (n: number) => line(eveAlert({ timestamp: `2026-11-24T12:05:0${n}.000000+0000`, flow_id: 500 + n }));
    const behind = (n: number) => line(eveAlert({ timestamp: `2026-11-24T09:55:0${n}.000000+0000`, flow_id: 600 + n }));
    writeFileSync(eve, ahead(1) + ahead(2) + behind(1));
    expect(await run(connector())).toMatchObject({ created: 3, duplicates: 0 });
    appendFileSync(eve, behind(2) + ahead(3) + behind(3));
    expect(await run(connector())).toMatchObject({ created: 3, duplicates: 0 });
    expect(await run(connector())).toMatchObject({ created: 0, duplicates: 0 });
    expect(await stored()).toHaveLength(6);
    // The high-water mark (the lag in health) is the vendor's newest time, even ahead of ours.
    expect((await loadState(env.store.db, "suricata-dmz")).checkpoint.time).toBe("2026-11-24T12:05:03.000Z");
  });

  it("validates its settings with field paths", () => {
    const result = kind.settings.safeParse({ name: "s", kind: "suricata", start_at: "middle" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["path", "start_at"]));
  });
});
