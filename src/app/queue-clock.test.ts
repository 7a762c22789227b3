import path from "node:path";
import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { ingestAlerts, ingestEvents, listAlerts } from "../ingest/index.js";
import { runUntilIdle } from "../store/index.js";
import { pipelineHandlers, type App } from "./app.js";

/*
 * The worker claims jobs by real time. A domain clock ahead of it (a replay of a shift dated later than
 * today) must not hold the hand-offs back: every job is queued on real time.
 */
describe(`pipeline hand-offs under a domain clock ahead of real time (${testStoreKind()})`, () => {
  const { env } = useTestEnvironment();
  const ahead = () => fixedClock(new Date(Date.now() + 400 * 86_400_000));

  function app(clock: ReturnType<typeof fixedClock>): App {
    const { config, store } = env();
    return { config, store, clock, journalDir: path.join(config.home, "journal"), close: async () => {} };
  }

  it("an alert ingested at a later date is enriched, grouped and triaged", async () => {
    const clock = ahead();
    const db = env().store.db;
    await ingestAlerts(db, [{ title: "DNS query for a listed domain", source: "zeek-dns", source_id: "q1", host: "ws-1", time: clock.now().toISOString() }], { via: "api", clock });
    await runUntilIdle(db, { handlers: pipelineHandlers(app(clock)), clock });
    const [alert] = await listAlerts(db);
    expect(alert?.stage).toBe("grouped");
    expect(alert?.case_id).toMatch(/^TORA-/);
  });

  it("raw events stored at a later date are run through detection and their alerts grouped", async () => {
    const clock = ahead();
    const db = env().store.db;
    const event = {
      EventID: 1,
      Channel: "Microsoft-Windows-Sysmon/Operational",
      Computer: "fs-1",
      UtcTime: clock.now().toISOString().replace("T", " ").replace("Z", ""),
      Image: "C:\\Windows\\System32\\vssadmin.exe",
      CommandLine: "vssadmin.exe delete shadows /all /quiet",
    };
    await ingestEvents(db, [event], { origin: { file: "test" }, clock });
    await runUntilIdle(db, { handlers: pipelineHandlers(app(clock)), clock });
    const alerts = await listAlerts(db);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => a.case_id !== null)).toBe(true);
  });
});
