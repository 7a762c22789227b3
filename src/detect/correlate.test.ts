import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.js";
import { createDetector, type DetectionAlert, type Detector, type DetectorOptions } from "./engine.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

async function detectorWith(files: Record<string, string>, options: Partial<DetectorOptions> = {}): Promise<Detector> {
  const dir = await mkdtemp(join(tmpdir(), "correlate-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return createDetector({ ruleDirs: [dir], ...options });
}

let record = 0;
function feed(detector: Detector, events: Record<string, unknown>[]): DetectionAlert[] {
  return events.flatMap((event) => detector.process(event, { file: "events.jsonl", record: ++record }));
}
const titles = (alerts: DetectionAlert[]) => alerts.map((a) => a.rule.title);

/** A base rule on a product no logsource mapping claims, so it runs on the plain test events. */
function baseRule(name: string, id: string, selection: string, extra = ""): string {
  return `title: ${name} rule
id: ${id}
name: ${name}
logsource: {product: nightshift_test}
detection:
  selection: ${selection}
  condition: selection
level: low
tags: [attack.credential-access, attack.t1110]
${extra}`;
}

const FAILED = baseRule("failed_login", "11111111-0000-4000-8000-000000000001", "{Action: failed}");
const SUCCESS = baseRule("successful_login", "11111111-0000-4000-8000-000000000002", "{Action: success}");

function countCorrelation(condition: string, extra = "", timespan = "10m"): string {
  return `title: Many failed logins
id: 22222222-0000-4000-8000-000000000001
author: Nightshift
level: high
tags: [attack.t1110.001]
${extra}
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: ${timespan}
  condition: ${condition}
`;
}

/** One minute of lateness: windows judged at close wait for event time to pass close + 1 minute. */
const MINUTE_LATE = { correlationLimits: { latenessMs: 60_000 } };

const failed = (minutes: number, user = "alice", more: Record<string, unknown> = {}) => ({ time: at(minutes), Action: "failed", User: user, ...more });

describe("event_count", () => {
  it("fires once when the count is reached within the timespan, per group, with the correlation's identity", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 3}")}` });
    expect(detector.rulesLoaded).toBe(2);
    const alerts = feed(detector, [failed(0), failed(1, "bob"), failed(2), failed(3, "bob")]);
    expect(alerts).toEqual([]);
    const third = feed(detector, [failed(4)]);
    expect(third).toHaveLength(1);
    const alert = third[0]!;
    expect(alert.rule).toEqual({ id: "22222222-0000-4000-8000-000000000001", title: "Many failed logins", level: "high", author: "Nightshift", tags: ["attack.t1110.001"] });
    expect(alert.time).toBe(at(4));
    expect(alert.event).toMatchObject({ User: "alice", time: at(4) });
    expect(alert.correlation).toEqual({ type: "event_count", group: { User: "alice" }, value: 3, timespan: "10m", rules: ["failed_login"] });
    expect(alert.events?.map((e) => e.time)).toEqual([at(0), at(2), at(4)]);
    expect(alert.events?.every((e) => e.rule.id === "11111111-0000-4000-8000-000000000001")).toBe(true);
    expect(alert.attack.techniques).toEqual(expect.arrayContaining(["T1110.001", "T1110"]));
    // The window was consumed: a fourth event alone does not fire again.
    expect(feed(detector, [failed(5)])).toEqual([]);
  });

  it("slides with event time instead of fixed buckets, and never counts events out of the window", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 3}")}` });
    // Fixed 10-minute buckets would split 9 | 12, 15; a sliding window [5m, 15m] holds 9, 12, 15.
    expect(feed(detector, [failed(0), failed(9), failed(12)])).toEqual([]);
    expect(titles(feed(detector, [failed(15)]))).toEqual(["Many failed logins"]);

    const sparse = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 3}")}` });
    expect(feed(sparse, [failed(0), failed(11), failed(22), failed(33)])).toEqual([]);
  });

  it("keeps base rules silent unless the correlation says generate: true", async () => {
    const quiet = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 2}")}` });
    expect(feed(quiet, [failed(0)])).toEqual([]);
    const loud = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 2}", "generate: true")}` });
    expect(titles(feed(loud, [failed(0)]))).toEqual(["failed_login rule"]);
    expect(titles(feed(loud, [failed(1)]))).toEqual(["failed_login rule", "Many failed logins"]);
    // A rule no correlation refers to alerts as before.
    const standalone = await detectorWith({ "rules.yml": FAILED });
    expect(titles(feed(standalone, [failed(0)]))).toEqual(["failed_login rule"]);
  });

  it("does not count events that lack a group-by field", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 2}")}` });
    expect(feed(detector, [{ time: at(0), Action: "failed" }, { time: at(1), Action: "failed" }])).toEqual([]);
  });

  it("accepts a range condition and judges it when the window closes", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gt: 1, lte: 3}")}` }, MINUTE_LATE);
    expect(feed(detector, [failed(0), failed(1), failed(2, "bob")])).toEqual([]);
    // alice: 2 events in [0, 10m] → in range; bob: 1 → not. The window closes when event time passes 10m + lateness.
    const closed = feed(detector, [{ time: at(12), Action: "noise" }]);
    expect(closed.map((a) => a.correlation?.group)).toEqual([{ User: "alice" }]);
    expect(closed[0]!.correlation?.value).toBe(2);
    expect(closed[0]!.time).toBe(at(1));

    const tooMany = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gt: 1, lte: 3}")}` });
    feed(tooMany, [failed(0), failed(1), failed(2), failed(3)]);
    expect(tooMany.flush()).toEqual([]);
  });
});

describe("lt / lte conditions", () => {
  const rules = `${FAILED}---\n${countCorrelation("{lt: 3}")}`;

  it("fires when the window closes with fewer events, using the window's last event", async () => {
    const detector = await detectorWith({ "rules.yml": rules }, MINUTE_LATE);
    expect(feed(detector, [failed(0), failed(4)])).toEqual([]);
    expect(feed(detector, [{ time: at(10.5), Action: "noise" }])).toEqual([]); // within the 1-minute lateness
    const alerts = feed(detector, [{ time: at(11.5), Action: "noise" }]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.correlation?.value).toBe(2);
    expect(alerts[0]!.event).toMatchObject({ time: at(4) });
    expect(alerts[0]!.events).toHaveLength(2);
  });

  it("does not fire when the count reaches the bound, and flush() closes open windows at end of input", async () => {
    const busy = await detectorWith({ "rules.yml": rules });
    feed(busy, [failed(0), failed(1), failed(2)]);
    expect(busy.flush()).toEqual([]);

    const quiet = await detectorWith({ "rules.yml": rules });
    feed(quiet, [failed(0)]);
    expect(quiet.flush().map((a) => a.correlation?.value)).toEqual([1]);
    expect(quiet.flush()).toEqual([]);
  });
});

describe("value_count, value_sum, value_avg, value_percentile", () => {
  const valueCorrelation = (type: string, field: string, condition: string, groupBy = "[Host]") => `title: ${type} correlation
correlation:
  type: ${type}
  rules: [failed_login]
  group-by: ${groupBy}
  timespan: 1h
  condition: {field: ${field}, ${condition}}
`;

  it("value_count counts distinct values per group", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${valueCorrelation("value_count", "User", "gte: 3")}` });
    const same = [0, 1, 2, 3].map((m) => failed(m, "alice", { Host: "h1" }));
    expect(feed(detector, same)).toEqual([]);
    expect(feed(detector, [failed(4, "bob", { Host: "h2" }), failed(5, "bob", { Host: "h1" })])).toEqual([]);
    const alerts = feed(detector, [failed(6, "carol", { Host: "h1" })]);
    expect(alerts.map((a) => [a.correlation?.group, a.correlation?.value])).toEqual([[{ Host: "h1" }, 3]]);
  });

  it("value_count with several fields counts distinct combinations", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${valueCorrelation("value_count", "[User, Src]", "gte: 2")}` });
    expect(feed(detector, [failed(0, "a", { Host: "h", Src: "1" }), failed(1, "a", { Host: "h", Src: "1" })])).toEqual([]);
    expect(feed(detector, [failed(2, "a", { Host: "h", Src: "2" })])).toHaveLength(1);
  });

  it("value_sum adds a numeric field (numeric strings too), skipping events without it", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${valueCorrelation("value_sum", "Bytes", "gt: 1000")}` });
    expect(feed(detector, [failed(0, "a", { Host: "h", Bytes: 600 }), failed(1, "a", { Host: "h" }), failed(2, "a", { Host: "h", Bytes: "300" })])).toEqual([]);
    const alerts = feed(detector, [failed(3, "a", { Host: "h", Bytes: 200 })]);
    expect(alerts.map((a) => a.correlation?.value)).toEqual([1100]);
  });

  it("value_avg compares the window's average", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${valueCorrelation("value_avg", "Bytes", "gt: 500")}` });
    expect(feed(detector, [failed(0, "a", { Host: "h", Bytes: 400 })])).toEqual([]);
    expect(feed(detector, [failed(1, "a", { Host: "h", Bytes: 500 })])).toEqual([]);
    const alerts = feed(detector, [failed(2, "a", { Host: "h", Bytes: 900 })]);
    expect(alerts.map((a) => a.correlation?.value)).toEqual([600]);
  });

  it("value_percentile fires for an event whose value is rare in its group's window", async () => {
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${valueCorrelation("value_percentile", "Image", "lte: 5")}` });
    const common = Array.from({ length: 20 }, (_, i) => failed(i * 0.5, "a", { Host: "h", Image: "svchost.exe" }));
    expect(feed(detector, common)).toEqual([]);
    const rare = feed(detector, [failed(11, "a", { Host: "h", Image: "evil.exe" })]);
    expect(rare).toHaveLength(1);
    expect(rare[0]!.correlation?.value).toBeCloseTo(100 / 21);
    expect(feed(detector, [failed(12, "a", { Host: "h", Image: "svchost.exe" })])).toEqual([]);
  });
});

describe("temporal and temporal_ordered", () => {
  const recon = ["a", "b", "c"].map((x, i) => baseRule(`recon_${x}`, `33333333-0000-4000-8000-00000000000${i}`, `{Cmd: ${x}}`)).join("---\n");
  const temporal = (type: string) => `title: Recon ${type}
correlation:
  type: ${type}
  rules: [recon_a, recon_b, recon_c]
  group-by: [Host, User]
  timespan: 5m
`;
  const cmd = (minutes: number, c: string, user = "u") => ({ time: at(minutes), Cmd: c, Host: "h", User: user });

  it("temporal fires when every rule matched within the timespan, in any order, for the same group", async () => {
    const detector = await detectorWith({ "base.yml": recon, "mr.yml": temporal("temporal") });
    expect(feed(detector, [cmd(0, "c"), cmd(1, "a"), cmd(1.5, "b", "other")])).toEqual([]);
    const alerts = feed(detector, [cmd(2, "b")]);
    expect(alerts.map((a) => [a.rule.title, a.correlation?.value])).toEqual([["Recon temporal", 3]]);

    const slow = await detectorWith({ "base.yml": recon, "mr.yml": temporal("temporal") });
    expect(feed(slow, [cmd(0, "a"), cmd(3, "b"), cmd(6, "c")])).toEqual([]);
  });

  it("temporal_ordered needs the rules' order", async () => {
    const ordered = await detectorWith({ "base.yml": recon, "mr.yml": temporal("temporal_ordered") });
    expect(feed(ordered, [cmd(0, "b"), cmd(1, "a"), cmd(2, "c")])).toEqual([]);
    expect(titles(feed(ordered, [cmd(3, "b"), cmd(4, "c")]))).toEqual(["Recon temporal_ordered"]);
  });
});

describe("aliases, chaining and references across files", () => {
  it("groups on aliased fields named differently in each rule (spec example)", async () => {
    const rules = `title: Internal error
name: internal_error
logsource: {product: nightshift_test}
detection:
  selection: {http.response.status_code: 500}
  condition: selection
---
title: New connection
name: new_network_connection
logsource: {product: nightshift_test}
detection:
  selection: {event.category: network, event.type: connection, event.outcome: success}
  condition: selection
---
title: Error then connection back
correlation:
  type: temporal
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip: {internal_error: destination.ip, new_network_connection: source.ip}
    remote_ip: {internal_error: source.ip, new_network_connection: destination.ip}
`;
    const error = { time: at(0), http: { response: { status_code: 500 } }, source: { ip: "203.0.113.9" }, destination: { ip: "10.0.0.5" } };
    const connection = (src: string, dst: string) => ({
      time: new Date(T0 + 4000).toISOString(),
      event: { category: "network", type: "connection", outcome: "success" },
      source: { ip: src },
      destination: { ip: dst },
    });
    const detector = await detectorWith({ "mr.yml": rules });
    expect(feed(detector, [error, connection("203.0.113.9", "10.0.0.5")])).toEqual([]); // same direction: no
    const alerts = feed(detector, [connection("10.0.0.5", "203.0.113.9")]);
    expect(alerts.map((a) => a.correlation?.group)).toEqual([{ internal_ip: "10.0.0.5", remote_ip: "203.0.113.9" }]);
  });

  it("chains correlations (spec brute-force example) with base rules in another file; only the outermost alerts", async () => {
    const outer = `title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
  type: temporal_ordered
  rules: [multiple_failed_login, successful_login]
  group-by: [User]
  timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10m
  condition: {gte: 3}
`;
    const detector = await detectorWith({ "correlations/mr_bruteforce.yml": outer, "base/failed.yml": FAILED, "base/success.yml": SUCCESS });
    expect(detector.rulesLoaded).toBe(4);
    const success = (minutes: number, user = "alice") => ({ time: at(minutes), Action: "success", User: user });
    expect(feed(detector, [success(0), failed(1), failed(2), failed(3), success(4, "bob")])).toEqual([]);
    const alerts = feed(detector, [success(5)]);
    expect(alerts.map((a) => [a.rule.id, a.rule.level, a.correlation?.group, a.time])).toEqual([
      ["b180ead8-d58f-40b2-ae54-c8940995b9b6", "high", { User: "alice" }, at(5)],
    ]);
    expect(alerts[0]!.events?.map((e) => e.rule.id)).toEqual(["a8418a5a-5fc4-46b5-b23b-6c73beb19d41", "11111111-0000-4000-8000-000000000002"]);
  });

  it("skips a correlation whose rule is missing, and correlations built on it, naming the reason", async () => {
    const detector = await detectorWith({
      "a.yml": `title: Orphan\nname: orphan\ncorrelation: {type: event_count, rules: [nope], group-by: [User], timespan: 1m, condition: {gte: 2}}\n`,
      "b.yml": `title: On orphan\ncorrelation: {type: event_count, rules: [orphan], group-by: [User], timespan: 1m, condition: {gte: 2}}\n`,
      "c.yml": `title: Cycle one\nname: one\ncorrelation: {type: event_count, rules: [two], group-by: [User], timespan: 1m, condition: {gte: 2}}\n---\ntitle: Cycle two\nname: two\ncorrelation: {type: event_count, rules: [one], group-by: [User], timespan: 1m, condition: {gte: 2}}\n`,
    });
    expect(detector.rulesLoaded).toBe(0);
    const reasons = detector.rulesSkipped.map((s) => s.reason);
    expect(reasons).toContain("correlation Orphan: refers to nope, which is not loaded");
    expect(reasons).toContain("correlation On orphan: refers to correlation Orphan, which is skipped");
    expect(reasons.some((r) => r.includes("cycle"))).toBe(true);
  });
});

describe("out-of-order events, state and bounds", () => {
  const rules = `${FAILED}---\n${countCorrelation("{gte: 3}")}`;

  it("counts a late event with its group's events; lateness bounds how far back a group keeps them", async () => {
    const detector = await detectorWith({ "rules.yml": rules });
    expect(feed(detector, [failed(0), failed(2)])).toEqual([]);
    expect(feed(detector, [failed(1)]).map((a) => a.correlation?.value)).toEqual([3]);

    // 30m moves alice's clock: with no lateness, 0m and 1m (older than 30m − 10m) are forgotten before 2m arrives.
    const strict = await detectorWith({ "rules.yml": rules }, { correlationLimits: { latenessMs: 0 } });
    expect(feed(strict, [failed(0), failed(1), failed(30), failed(2)])).toEqual([]);
    const lenient = await detectorWith({ "rules.yml": rules });
    expect(feed(lenient, [failed(0), failed(1), failed(30), failed(2)]).map((a) => a.correlation?.value)).toEqual([3]);
  });

  it("saves open windows as JSON and restores them into a new detector", async () => {
    const first = await detectorWith({ "rules.yml": rules });
    feed(first, [failed(0), failed(1)]);
    const saved = JSON.parse(JSON.stringify(first.saveState())) as unknown;
    const second = await detectorWith({ "rules.yml": rules });
    second.restoreState(saved);
    expect(feed(second, [failed(2)]).map((a) => a.correlation?.value)).toEqual([3]);
    const fresh = await detectorWith({ "rules.yml": rules });
    expect(feed(fresh, [failed(2)])).toEqual([]);
  });

  it("rejects a bad state with field-level issues and keeps its windows", async () => {
    const detector = await detectorWith({ "rules.yml": rules });
    feed(detector, [failed(0), failed(1)]);
    const bad = { version: 1, watermark: "soon", correlations: { x: [{ values: {}, entries: [{ t: "x", m: 0 }], refs: [] }] } };
    try {
      detector.restoreState(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).issues.map((i) => i.path);
      expect(paths).toContain("watermark");
      expect(paths).toContain("correlations.x.0.entries.0.t");
    }
    expect(() => detector.restoreState({ version: 2 })).toThrow(ValidationError);
    const key = "22222222-0000-4000-8000-000000000001";
    expect(() => detector.restoreState({ version: 1, watermark: 0, correlations: { [key]: [{ values: { User: "a" }, entries: [{ t: 0, m: 7 }], refs: [] }] } })).toThrow(/invalid correlation state/);
    expect(feed(detector, [failed(2)]).map((a) => a.correlation?.value)).toEqual([3]);
  });

  it("keeps at most the configured groups and event references", async () => {
    const many = await detectorWith({ "rules.yml": `${FAILED}---\n${countCorrelation("{gte: 8}")}` }, { correlationLimits: { groups: 2, eventsPerAlert: 5 } });
    feed(many, ["u1", "u2", "u3", "u4"].map((user, i) => failed(i * 0.1, user)));
    const state = many.saveState() as { correlations: Record<string, unknown[]> };
    expect(Object.values(state.correlations)[0]).toHaveLength(2);
    const alerts = feed(many, Array.from({ length: 8 }, (_, i) => failed(1 + i * 0.1, "u9")));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.correlation?.value).toBe(8);
    expect(alerts[0]!.events).toHaveLength(5);
    expect(alerts[0]!.events?.at(-1)?.time).toBe(at(1.7));
  });

  it("forgets idle groups as event time moves on (at a sweep, once idle since the previous one)", async () => {
    const detector = await detectorWith({ "rules.yml": rules }, { correlationLimits: { latenessMs: 60_000, sweepEvery: 2 } });
    feed(detector, [failed(0, "a"), failed(0, "b")]);
    expect(Object.values((detector.saveState() as { correlations: Record<string, unknown[]> }).correlations)[0]).toHaveLength(2);
    feed(detector, [{ time: at(30), Action: "noise" }, { time: at(40), Action: "noise" }]);
    expect((detector.saveState() as { correlations: Record<string, unknown[]> }).correlations).toEqual({});
  });
});

describe("an event matching several rules of one correlation", () => {
  it("counts once for event_count, once per rule for temporal", async () => {
    const broad = baseRule("any_login", "11111111-0000-4000-8000-000000000009", "{Action|contains: ''}");
    const count = `title: Two logins
correlation: {type: event_count, rules: [failed_login, any_login], group-by: [User], timespan: 10m, condition: {gte: 2}}
`;
    const detector = await detectorWith({ "rules.yml": `${FAILED}---\n${broad}---\n${count}` });
    expect(feed(detector, [failed(0)])).toEqual([]);
    expect(titles(feed(detector, [failed(1)]))).toEqual(["Two logins"]);

    const temporal = count.replace("event_count", "temporal").replace(", condition: {gte: 2}", "");
    const both = await detectorWith({ "rules.yml": `${FAILED}---\n${broad}---\n${temporal}` });
    expect(titles(feed(both, [failed(0)]))).toEqual(["Two logins"]);
  });
});
