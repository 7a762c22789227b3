import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { createDetector } from "../detect/index.js";
import { ingestEvents, listAlerts, reviseAlerts } from "../ingest/index.js";
import { runUntilIdle } from "../store/index.js";
import { detectionHandlers } from "./detection.js";

// The live path's correlation alert carries its window's total (issue 13 item 1): raised once when the threshold
// is crossed, its count revised as later batches of events fall in its window; never a second alert.

const CLOCK = fixedClock("2026-11-24T10:00:00.000Z");
const RULES = `title: failed logon
id: 77777777-0000-4000-8000-000000000001
name: failed_logon
logsource: {product: nightshift_test}
detection:
  selection: {Action: failed}
  condition: selection
level: low
---
title: brute force
id: 77777777-0000-4000-8000-000000000002
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [Host]
  timespan: 10m
  condition: {gte: 3}
level: high
`;

const failed = (second: number) => ({ time: new Date(Date.parse("2026-11-24T09:00:00Z") + second * 1000).toISOString(), Action: "failed", Host: "dc1", Seq: second });
type Correlated = { raw: { correlation: { value: number }; events: unknown[] }; description?: string };

describe(`correlation alert totals on the live path (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(join(tmpdir(), "detection-totals-"));
    writeFileSync(join(dir, "rules.yml"), RULES);
  });
  afterEach(async () => {
    await env.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores one alert per window and revises its count as later events arrive", async () => {
    const shared = createDetector({ ruleDirs: [dir] });
    const handlers = detectionHandlers({ detector: () => shared, clock: CLOCK });
    const deliver = async (seconds: number[]) => {
      await ingestEvents(env.store.db, seconds.map(failed), { origin: { file: "api" }, clock: CLOCK });
      await runUntilIdle(env.store.db, { handlers, clock: CLOCK });
    };
    await deliver([0, 10, 20, 30]);
    let alerts = await listAlerts(env.store.db);
    expect(alerts).toHaveLength(1);
    // Raised at the third failure, stored with the job's fourth.
    expect((alerts[0] as unknown as Correlated).raw.correlation.value).toBe(4);
    const id = alerts[0]!.id;

    await deliver([40, 50, 60]);
    await deliver([70]);
    alerts = await listAlerts(env.store.db);
    expect(alerts.map((a) => a.id)).toEqual([id]);
    const revised = alerts[0] as unknown as Correlated;
    expect(revised.raw.correlation.value).toBe(8);
    expect(revised.raw.events).toHaveLength(8);
    expect(revised.description).toMatch(/reached 8 within 10m for Host=dc1/);
    expect(alerts[0]!.duplicates).toBe(0);

    // Past the window (10 minutes from its first event): a new window, a new alert.
    await deliver([700, 710, 720]);
    expect((await listAlerts(env.store.db)).map((a) => (a as unknown as Correlated).raw.correlation.value).sort()).toEqual([3, 8]);
  });

  it("validates revisions before writing any, and skips one whose alert is not stored", async () => {
    await expect(reviseAlerts(env.store.db, [{ title: "x" }])).rejects.toThrow(/invalid alert revisions/);
    expect(await reviseAlerts(env.store.db, [{ title: "x", time: CLOCK.now().toISOString(), source: "sigma", source_id: "nowhere" }])).toBe(0);
  });
});
