import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDetector, type DetectionAlert, type Detector, type DetectorOptions } from "./engine.js";

// Correlation judged by each event's own time, per group, whatever the arrival order (issue 13 item 1).

const T0 = Date.parse("2026-03-01T00:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
  folders.clear();
});

const folders = new Map<string, string>();
async function detectorWith(text: string, options: Partial<DetectorOptions> = {}): Promise<Detector> {
  let dir = folders.get(text);
  if (dir === undefined) {
    dir = await mkdtemp(join(tmpdir(), "correlate-order-"));
    dirs.push(dir);
    await writeFile(join(dir, "rules.yml"), text);
    folders.set(text, dir);
  }
  return createDetector({ ruleDirs: [dir], ...options });
}

let record = 0;
function feed(detector: Detector, events: Record<string, unknown>[]): DetectionAlert[] {
  return events.flatMap((event) => detector.process(event, { file: "events.jsonl", record: ++record }));
}

const base = (name: string, n: number, selection: string) => `title: ${name}
id: 44444444-0000-4000-8000-00000000000${n}
name: ${name}
logsource: {product: nightshift_test}
detection:
  selection: ${selection}
  condition: selection
level: low
`;
const BASES = [base("failed", 1, "{Action: failed}"), base("step_a", 2, "{Cmd: a}"), base("step_b", 3, "{Cmd: b}"), base("step_c", 4, "{Cmd: c}")].join("---\n");

const correlation = (type: string, rules: string, condition: string, timespan = "10m") => `${BASES}---
title: ${type} correlation
id: 55555555-0000-4000-8000-000000000001
correlation:
  type: ${type}
  rules: ${rules}
  group-by: [Host]
  timespan: ${timespan}
${condition ? `  condition: ${condition}\n` : ""}level: high
`;

/** A deterministic shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const groupsFired = (alerts: DetectionAlert[]) => [...new Set(alerts.map((a) => String(a.correlation?.group["Host"])))].sort();

interface Case {
  name: string;
  rules: string;
  events: Record<string, unknown>[];
  /** Hosts whose events satisfy the correlation in some window (by construction of `events`). */
  fires: string[];
}

const failed = (host: string, minutes: number, user = "u") => ({ time: at(minutes), Action: "failed", Host: host, User: user });
const step = (host: string, minutes: number, cmd: string) => ({ time: at(minutes), Cmd: cmd, Host: host });

const CASES: Case[] = [
  {
    name: "event_count",
    rules: correlation("event_count", "[failed]", "{gte: 5}"),
    events: [
      ...[0, 1, 2, 3, 4].map((m) => failed("burst", m)), // 5 in 4 minutes
      ...[0, 3, 6, 9, 12, 15, 18].map((m) => failed("slow", m)), // never 5 in 10 minutes
      ...[50, 51, 52, 53, 54].map((m) => failed("late", m)), // ahead of the others, within the default lateness
      ...[0, 30, 31, 32, 33, 60, 34].map((m) => failed("split", m)),
    ],
    fires: ["burst", "late", "split"],
  },
  {
    name: "value_count",
    rules: correlation("value_count", "[failed]", "{field: User, gte: 3}"),
    events: [
      failed("spray", 0, "a"), failed("spray", 1, "b"), failed("spray", 2, "a"), failed("spray", 4, "c"),
      failed("same", 0, "a"), failed("same", 1, "a"), failed("same", 2, "a"), failed("same", 3, "b"),
      failed("apart", 0, "a"), failed("apart", 8, "b"), failed("apart", 16, "c"),
    ],
    fires: ["spray"],
  },
  {
    name: "temporal",
    rules: correlation("temporal", "[step_a, step_b, step_c]", "", "5m"),
    events: [
      step("all", 0, "c"), step("all", 1, "a"), step("all", 2, "b"),
      step("two", 0, "a"), step("two", 1, "b"), step("two", 2, "a"),
      step("spread", 0, "a"), step("spread", 4, "b"), step("spread", 8, "c"),
    ],
    fires: ["all"],
  },
  {
    name: "temporal_ordered",
    rules: correlation("temporal_ordered", "[step_a, step_b, step_c]", "", "5m"),
    events: [
      step("ordered", 0, "a"), step("ordered", 1, "b"), step("ordered", 2, "c"),
      step("reversed", 0, "c"), step("reversed", 1, "b"), step("reversed", 2, "a"),
      step("noisy", 0, "b"), step("noisy", 1, "a"), step("noisy", 2, "c"), step("noisy", 3, "b"), step("noisy", 4, "c"),
      step("ahead", 50, "a"), step("ahead", 51, "b"), step("ahead", 52, "c"),
    ],
    fires: ["ahead", "noisy", "ordered"],
  },
];

describe("correlation whatever the arrival order", () => {
  for (const { name, rules, events, fires } of CASES) {
    it(`${name}: the same groups fire in time order, reversed and in 20 shuffled orders (batch and live lateness)`, async () => {
      const byTime = [...events].sort((a, b) => String(a["time"]).localeCompare(String(b["time"])));
      const orders = [byTime, [...byTime].reverse(), ...Array.from({ length: 20 }, (_, seed) => shuffled(events, seed + 1))];
      // As `nightshift detect` runs (nothing expires by time), then with the live path's default lateness.
      for (const options of [{ correlationLimits: { latenessMs: Number.POSITIVE_INFINITY }, batch: true }, {}]) {
        for (const [index, order] of orders.entries()) {
          const detector = await detectorWith(rules, options);
          const alerts = [...feed(detector, order), ...detector.flush()];
          expect(groupsFired(alerts), `order #${index}`).toEqual(fires);
          // One alert per group per window: each of these groups has one burst.
          expect(alerts.length, `order #${index}`).toBe(fires.length);
        }
      }
    });
  }

  it("counts a group's events that arrive long after newer events of other groups (a second file, a backfill)", async () => {
    const detector = await detectorWith(correlation("event_count", "[failed]", "{gte: 5}"), { correlationLimits: { latenessMs: 60_000 } });
    expect(feed(detector, [failed("other", 600)])).toEqual([]);
    const alerts = feed(detector, [0, 1, 2, 3, 4].map((m) => failed("backfilled", m)));
    expect(alerts.map((a) => [a.correlation?.group, a.correlation?.value])).toEqual([[{ Host: "backfilled" }, 5]]);
  });

  it("counts a backfill into a group whose clock is ahead (the group's clock follows its latest arrival)", async () => {
    const detector = await detectorWith(correlation("event_count", "[failed]", "{gte: 5}"), { correlationLimits: { latenessMs: 60_000 } });
    expect(feed(detector, [failed("h", 600), failed("h", 601)])).toEqual([]);
    expect(feed(detector, [0, 1, 2, 3, 4].map((m) => failed("h", m))).map((a) => a.correlation?.value)).toEqual([5]);
  });

  it("raises one alert per group per window, not one per threshold's worth of events", async () => {
    const detector = await detectorWith(correlation("event_count", "[failed]", "{gte: 5}"));
    // 200 failures, one every 3 seconds (10 minutes), then a second burst an hour later.
    const burst = (start: number) => Array.from({ length: 200 }, (_, i) => failed("h", start + i * 0.05));
    const first = feed(detector, burst(0));
    expect(first).toHaveLength(1);
    expect(first[0]!.correlation?.value).toBe(5);
    expect(feed(detector, burst(60))).toHaveLength(1);
  });
});
