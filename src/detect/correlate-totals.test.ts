import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectionToAlertInput } from "./alert-input.js";
import { createDetector, type DetectionAlert, type Detector, type DetectorOptions } from "./engine.js";

// One alert per group per window, with the window's total on it (issue 13 item 1): `detect` (batch) writes the
// total once; the live path raises the alert when the threshold is crossed and revises its count afterwards.

const T0 = Date.parse("2026-03-01T00:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const RULES = `title: failed
id: 66666666-0000-4000-8000-000000000001
name: failed
logsource: {product: nightshift_test}
detection:
  selection: {Action: failed}
  condition: selection
level: low
---
title: many failures
id: 66666666-0000-4000-8000-000000000002
correlation:
  type: event_count
  rules: [failed]
  group-by: [Host]
  timespan: 10m
  condition: {gte: 5}
level: high
---
title: many accounts
id: 66666666-0000-4000-8000-000000000003
correlation:
  type: value_count
  rules: [failed]
  group-by: [Host]
  timespan: 10m
  condition: {field: User, gte: 3}
level: high
`;

let dir: string | undefined;
async function detector(options: Partial<DetectorOptions> = {}): Promise<Detector> {
  if (dir === undefined) {
    dir = await mkdtemp(join(tmpdir(), "correlate-totals-"));
    await writeFile(join(dir, "rules.yml"), RULES);
  }
  return createDetector({ ruleDirs: [dir], ...options });
}
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

let record = 0;
const failed = (host: string, minutes: number, user = "u") => ({ time: at(minutes), Action: "failed", Host: host, User: user });
const feed = (d: Detector, events: Record<string, unknown>[]): DetectionAlert[] =>
  events.flatMap((event) => d.process(event, { file: "events.jsonl", record: ++record }));
const counts = (alerts: DetectionAlert[]) => alerts.map((a) => [a.rule.title, a.correlation?.group["Host"], a.correlation?.value]);
/** 200 failures, one every 3 seconds: all within one 10-minute window. */
const burst = (host: string) => Array.from({ length: 200 }, (_, i) => failed(host, i * 0.05));
const BATCH = { batch: true, correlationLimits: { latenessMs: Number.POSITIVE_INFINITY } } as const;

describe("correlation totals, batch (nightshift detect)", () => {
  it("writes one alert per window at the end of the input, with the window's total", async () => {
    const d = await detector(BATCH);
    expect(feed(d, burst("h"))).toEqual([]);
    const alerts = d.flush();
    expect(counts(alerts)).toEqual([["many failures", "h", 200]]);
    // Its event is the one that crossed the threshold; its events are the first and the most recent ones.
    expect(alerts[0]!.time).toBe(at(4 * 0.05));
    expect(alerts[0]!.events).toHaveLength(100);
    expect(alerts[0]!.events![0]!.time).toBe(at(0));
    expect(alerts[0]!.events!.at(-1)!.time).toBe(at(199 * 0.05));
    expect(d.flush()).toEqual([]);
  });

  it("counts distinct values over the whole window (value_count)", async () => {
    const d = await detector(BATCH);
    feed(d, ["a", "b", "c", "d", "a", "e"].map((user, i) => failed("spray", i, user)));
    expect(counts(d.flush())).toEqual([
      ["many accounts", "spray", 5],
      ["many failures", "spray", 6],
    ]);
  });

  it("writes a held alert with the count it reached when its group is forgotten (memory caps lose no alert)", async () => {
    const d = await detector({ ...BATCH, correlationLimits: { latenessMs: Number.POSITIVE_INFINITY, groups: 1 } });
    const early = feed(d, [...[0, 1, 2, 3, 4, 5].map((m) => failed("first", m)), ...[0, 1].map((m) => failed("second", m))]);
    expect(counts(early)).toEqual([["many failures", "first", 6]]);
    feed(d, [2, 3, 4].map((m) => failed("second", m)));
    expect(counts(d.flush())).toEqual([["many failures", "second", 5]]);
  });
});

describe("correlation totals, live path", () => {
  it("raises the alert when the threshold is crossed, then revises the same alert's count", async () => {
    const d = await detector();
    const events = burst("h");
    const raised = feed(d, events.slice(0, 20));
    expect(counts(raised)).toEqual([["many failures", "h", 5]]);
    expect(counts(d.revisions())).toEqual([["many failures", "h", 20]]);
    expect(d.revisions()).toEqual([]);
    expect(feed(d, events.slice(20))).toEqual([]);
    const [revised] = d.revisions();
    expect(revised!.correlation?.value).toBe(200);
    // The same alert: its key (rule, group, first event) does not move as its events roll.
    expect(detectionToAlertInput(revised!).source_id).toBe(detectionToAlertInput(raised[0]!).source_id);
    expect(revised!.time).toBe(raised[0]!.time);
    expect(revised!.events).toHaveLength(100);
  });

  it("keeps counting the window across saved state (one detect job, then the next)", async () => {
    const first = await detector();
    const raised = feed(first, [0, 1, 2, 3, 4, 5].map((m) => failed("h", m)));
    first.revisions();
    const saved = JSON.parse(JSON.stringify(first.saveState())) as unknown;
    const next = await detector();
    next.restoreState(saved);
    expect(feed(next, [6, 7].map((m) => failed("h", m)))).toEqual([]);
    const [revised] = next.revisions();
    expect(revised!.correlation?.value).toBe(8);
    expect(detectionToAlertInput(revised!).source_id).toBe(detectionToAlertInput(raised[0]!).source_id);
  });

  it("restores a state saved before windows kept totals (the count goes on from what was absorbed)", async () => {
    const d = await detector();
    feed(d, [0, 1, 2, 3, 4].map((m) => failed("h", m)));
    const state = d.saveState() as { correlations: Record<string, { alerted?: Record<string, unknown>[] }[]> };
    const group = state.correlations["66666666-0000-4000-8000-000000000002"]![0]!;
    group.alerted = group.alerted!.map(({ from, to }) => ({ from, to, absorbed: 2 }));
    d.restoreState(state);
    expect(feed(d, [failed("h", 6)])).toEqual([]);
    // No completing event was saved: the window still counts, but there is no alert to revise.
    expect(d.revisions()).toEqual([]);
    expect(d.saveState()).toMatchObject({ correlations: { "66666666-0000-4000-8000-000000000002": [{ alerted: [{ absorbed: 3, value: 3 }] }] } });
  });
});
