import { describe, expect, it } from "vitest";
import { normaliseAlert } from "../../normalise.js";
import { DEFAULT_SEVERITY_LEVELS, SeverityLevelsInput, severityForLevel, wazuhHitToAlert, wazuhTime } from "./mapping.js";
import { searchBody } from "./client.js";
import { wazuhDoc } from "./testing.js";

describe("wazuh mapping", () => {
  it("maps rule levels through the default table at every boundary", () => {
    const expected = ["informational", "informational", "informational", "informational", "low", "low", "low", "medium", "medium", "medium", "medium", "high", "high", "high", "critical", "critical"];
    expect(Array.from({ length: 16 }, (_, level) => severityForLevel(level, DEFAULT_SEVERITY_LEVELS))).toEqual(expected);
    expect(severityForLevel(undefined, DEFAULT_SEVERITY_LEVELS)).toBe("medium");
  });

  it("takes a configured table that covers every level once", () => {
    const table = SeverityLevelsInput.parse({ low: [0, 9], high: [10, 12], critical: [13, 15] });
    expect(severityForLevel(9, table)).toBe("low");
    expect(severityForLevel(10, table)).toBe("high");
    expect(SeverityLevelsInput.safeParse({ low: [0, 9] }).error?.issues[0]?.message).toBe("levels 10, 11, 12, 13, 14, 15 have no severity");
  });

  it("reads Wazuh's +0000 timestamps", () => {
    expect(wazuhTime("2026-11-24T10:11:12.345+0000")).toBe("2026-11-24T10:11:12.345Z");
    expect(wazuhTime("2026-11-24T12:11:12.345+0200")).toBe("2026-11-24T10:11:12.345Z");
    expect(wazuhTime("nonsense")).toBeNull();
  });

  it("maps an indexer hit to a generic alert the ingest schema accepts", () => {
    const doc = wazuhDoc("2026-11-24T10:11:12.345+0000", { id: "1764000000.42", level: 12, mitre: ["T1110.001", "not-a-technique"] });
    const alert = wazuhHitToAlert({ _id: doc._id, _index: "wazuh-alerts-4.x-2026.11.24", _source: doc._source });
    expect(alert).toMatchObject({
      title: "sshd: Attempt to login using a non-existent user",
      time: "2026-11-24T10:11:12.345Z",
      severity: "high",
      source: "wazuh",
      source_id: doc._id,
      rule: { id: "5710", title: "sshd: Attempt to login using a non-existent user", level: "12", source: "wazuh" },
      attack: { techniques: ["T1110.001"], tactics: ["Credential Access"] },
      host: { name: "web-01", ip: "10.0.0.5" },
      user: { name: "admin" },
      src: { ip: "203.0.113.7", port: 50522 },
      unmapped: { wazuh_alert_id: "1764000000.42", wazuh_manager: "wazuh-manager", wazuh_agent_id: "001", wazuh_decoder: "sshd" },
    });
    expect(alert.raw).toBe(doc._source);
    const normalised = normaliseAlert(alert, { id: "x", receivedAt: "2026-11-24T11:00:00Z", origin: { via: "connector" } });
    expect(normalised.ok).toBe(true);
  });

  it("leaves out values the generic schema would refuse instead of guessing", () => {
    const doc = wazuhDoc("2026-11-24T10:11:12+0000");
    doc._source.data = { srcip: "attacker.example", dstip: "10.0.0.9", srcport: "99999", dstuser: "root" };
    doc._source.agent = { id: "000", name: "wazuh-manager", ip: "any" };
    doc._source.rule = { level: "7" };
    const alert = wazuhHitToAlert({ _id: "d1", _source: doc._source });
    expect(alert.src).toBeUndefined();
    expect(alert.dst).toEqual({ ip: "10.0.0.9" });
    expect(alert.host).toEqual({ name: "wazuh-manager" });
    expect(alert.user).toEqual({ name: "root" });
    expect(alert).toMatchObject({ title: "Wazuh alert", severity: "medium" });
    expect(normaliseAlert(alert, { id: "x", receivedAt: "2026-11-24T11:00:00Z", origin: { via: "connector" } }).ok).toBe(true);
  });

  it("asks for the seen ids on top of a page on a fresh run, and resumes with search_after within a run", () => {
    const settings = { page_size: 100, tiebreaker: "id", min_level: 5 };
    const checkpoint = { time: "2026-11-24T10:00:00.000Z", seen: ["a", "b"], overflow: false, cursor: [1764000000000, "b"] };
    expect(searchBody(settings, checkpoint, true)).toMatchObject({ size: 102, query: { bool: { filter: [{ range: { timestamp: { gte: checkpoint.time } } }, { range: { "rule.level": { gte: 5 } } }] } } });
    expect(searchBody(settings, checkpoint, true)).not.toHaveProperty("search_after");
    expect(searchBody(settings, checkpoint, false)).toMatchObject({ size: 100, search_after: checkpoint.cursor });
    expect(searchBody(settings, { ...checkpoint, overflow: true }, true)).toMatchObject({ size: 100, search_after: checkpoint.cursor });
  });
});
