import { describe, expect, it } from "vitest";
import { normaliseEvent } from "./engine.js";
import { TIME_FIELDS, eventTime } from "./time.js";

const ISO = "2024-01-02T03:04:05.123Z";

describe("eventTime: the documented time field of each format", () => {
  it.each([
    ["EVTX", { TimeCreated_SystemTime: "2024-01-02T03:04:05.123456Z" }],
    ["ECS @timestamp", { "@timestamp": "2024-01-02T03:04:05.123Z" }],
    ["Winlogbeat winlog.time_created", { winlog: { time_created: "2024-01-02T03:04:05.123Z" } }],
    ["Sysmon UtcTime (UTC, no zone)", { UtcTime: "2024-01-02 03:04:05.123" }],
    ["NXLog EventTime", { EventTime: "2024-01-02 03:04:05.123" }],
    ["CloudTrail eventTime", { eventTime: "2024-01-02T03:04:05.123Z" }],
    ["Okta published", { published: "2024-01-02T03:04:05.123Z" }],
    ["M365 CreationTime (UTC, no zone)", { CreationTime: "2024-01-02T03:04:05.123" }],
    ["Entra ID sign-in createdDateTime", { createdDateTime: "2024-01-02T03:04:05.123Z" }],
    ["Azure Activity eventTimestamp", { eventTimestamp: "2024-01-02T03:04:05.1234567Z" }],
    ["Log Analytics TimeGenerated", { TimeGenerated: "2024-01-02T03:04:05.123Z" }],
    ["OCSF time (epoch ms)", { time: Date.parse(ISO) }],
    ["Suricata timestamp (+0000)", { timestamp: "2024-01-02T03:04:05.123000+0000" }],
    ["Zeek ts (epoch seconds)", { ts: Date.parse(ISO) / 1000 }],
    ["journald __REALTIME_TIMESTAMP (µs string)", { __REALTIME_TIMESTAMP: String(Date.parse(ISO) * 1000) }],
    ["rsyslog timereported with offset", { timereported: "2024-01-02T05:04:05.123+02:00" }],
    ["syslog-ng ISODATE", { ISODATE: "2024-01-02T03:04:05.123+00:00" }],
  ])("%s", (_name, event) => {
    expect(eventTime(event)).toBe(ISO);
  });

  it("finds ECS times after normalisation (flat dotted keys too)", () => {
    expect(eventTime(normaliseEvent({ "winlog.time_created": ISO, "winlog.event_id": 4625 }))).toBe(ISO);
  });

  it("refuses what is not a time rather than guessing: free text, counters, bare numbers in text", () => {
    for (const value of ["1", "yesterday", "Mon Jan  2 03:04:05 2024", "2024-13-45T99:99:99Z", 42, 0, -5, true]) {
      expect(eventTime({ time: value }), String(value)).toBeNull();
    }
    expect(eventTime({ when: ISO })).toBeNull();
  });

  it("names a format for every field it reads", () => {
    expect(new Set(TIME_FIELDS.map((f) => f.field)).size).toBe(TIME_FIELDS.length);
    for (const { format } of TIME_FIELDS) expect(format.length).toBeGreaterThan(3);
  });
});
