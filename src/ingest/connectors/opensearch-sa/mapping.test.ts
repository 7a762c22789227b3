import { describe, expect, it } from "vitest";
import { normaliseAlert } from "../../normalise.js";
import { OpenSearchSaSettings, alertsQuery, findingsQuery } from "./client.js";
import {
  DEFAULT_LEVEL_SEVERITIES,
  DEFAULT_TRIGGER_SEVERITIES,
  Finding,
  attackFromTags,
  field,
  fieldsFromDocuments,
  findingSeverity,
  findingToAlert,
  parseDocument,
  parseHashes,
  triggerAlertToAlert,
  vendorTime,
} from "./mapping.js";
import { sysmonDocument } from "./testing.js";

const context = { id: "x", receivedAt: "2026-11-24T11:00:00Z", origin: { via: "connector" as const } };

const finding = (overrides: Record<string, unknown> = {}) =>
  Finding.parse({
    detectorId: "det-win",
    id: "f-1",
    related_doc_ids: ["doc-1"],
    index: "windows-logs",
    queries: [{ id: "rule-1", name: "Suspicious Encoded PowerShell Command Line", query: "CommandLine: *-enc*", tags: ["high", "windows", "attack.execution", "attack.t1059.001", "attack.g0032"] }],
    timestamp: Date.parse("2026-11-25T10:00:00.123Z"),
    ...overrides,
  });

describe("opensearch_sa mapping", () => {
  it("maps a finding and its Sysmon document to a generic alert the ingest schema accepts", () => {
    const doc = sysmonDocument();
    const alert = findingToAlert(finding(), [{ index: "windows-logs", id: "doc-1", found: true, source: doc }], {
      levels: DEFAULT_LEVEL_SEVERITIES,
      detector: { name: "Windows threats", type: "windows" },
    });
    expect(alert).toMatchObject({
      title: "Suspicious Encoded PowerShell Command Line",
      time: "2026-11-25T10:00:00.123Z",
      severity: "high",
      source: "opensearch_sa",
      source_id: "f-1",
      rule: { id: "rule-1", title: "Suspicious Encoded PowerShell Command Line", level: "high", source: "sigma" },
      attack: { techniques: ["T1059.001"], tactics: ["Execution"] },
      host: { name: "ws-042.corp.example" },
      user: { name: "alice", domain: "CORP" },
      process: {
        name: "powershell.exe",
        command_line: "powershell.exe -nop -w hidden -enc SQBFAFgA",
        pid: 4242,
        parent_name: "cmd.exe",
        parent_command_line: "cmd.exe /c run.bat",
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      },
      unmapped: { vendor_severity: "high", detector_id: "det-win", detector_name: "Windows threats", detector_type: "windows", finding_index: "windows-logs" },
    });
    expect(alert.description).toContain("Detector: Windows threats");
    expect(alert.observables).toEqual([
      { type: "file_hash", value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" },
      { type: "file_hash", value: "3f5b1b2c3d4e5f60718293a4b5c6d7e8f9012345" },
      { type: "file_hash", value: "0123456789abcdef0123456789abcdef" },
    ]);
    expect((alert.raw as { documents: unknown[] }).documents).toHaveLength(1);
    expect((alert.raw as { finding: Record<string, unknown> }).finding).not.toHaveProperty("document_list");
    const normalised = normaliseAlert(alert, context);
    expect(normalised.ok).toBe(true);
  });

  it("reads ECS fields, flat dotted keys and leaves out values the schema would refuse", () => {
    const ecs = {
      "host.name": "db-01",
      host: { ip: ["10.0.0.9", "not-an-ip"] },
      user: { name: "svc_backup", domain: "CORP" },
      source: { ip: "::ffff:203.0.113.7", port: 99999 },
      destination: { ip: "db-01.corp", port: "5432", domain: "db.corp.example" },
      process: { executable: "/usr/bin/psql", command_line: "psql -h db" },
    };
    const fields = fieldsFromDocuments([ecs]);
    expect(fields).toEqual({
      host: { name: "db-01", ip: ["10.0.0.9"] },
      user: { name: "svc_backup", domain: "CORP" },
      src: { ip: "203.0.113.7" },
      dst: { domain: "db.corp.example", port: 5432 },
      process: { name: "psql", command_line: "psql -h db" },
    });
    expect(field({ a: { "b.c": 1 } }, "a.b.c")).toBe(1);
    expect(fieldsFromDocuments([])).toEqual({});
  });

  it("takes the highest rule level among the matched queries through a configurable table", () => {
    const queries = [{ tags: ["low", "windows"] }, { tags: ["critical", "windows"] }, { tags: ["medium"] }];
    expect(findingSeverity(queries, DEFAULT_LEVEL_SEVERITIES)).toEqual({ severity: "critical", level: "critical" });
    expect(findingSeverity(queries, { ...DEFAULT_LEVEL_SEVERITIES, critical: "high", low: "medium" })).toEqual({ severity: "high", level: "critical" });
    expect(findingSeverity([{ tags: ["windows"] }], DEFAULT_LEVEL_SEVERITIES)).toEqual({ severity: "medium" });
    const settings = OpenSearchSaSettings.safeParse({ name: "x", kind: "opensearch_sa", url: "http://os:9200", severity_levels: { high: "urgent" } });
    expect(settings.success).toBe(false);
    expect(settings.error?.issues[0]?.path).toEqual(["severity_levels", "high"]);
  });

  it("titles an old plugin's finding (name = rule id) by the rule id, and counts extra rules", () => {
    const f = finding({
      queries: [
        { id: "rule-1", name: "rule-1", query: "q", tags: ["low", "windows"] },
        { id: "rule-2", name: "Second rule", query: "q2", tags: ["medium", "windows", "attack.t1003"] },
      ],
    });
    const alert = findingToAlert(f, [], { levels: DEFAULT_LEVEL_SEVERITIES });
    expect(alert).toMatchObject({ title: "Sigma rule rule-1 (+1 more rule)", severity: "medium", rule: { id: "rule-1", level: "medium" }, attack: { techniques: ["T1003"] } });
    expect(alert.unmapped).toMatchObject({ rule_ids: ["rule-1", "rule-2"], documents_missing: ["doc-1"], detector_type: "windows" });
    expect(normaliseAlert(alert, context).ok).toBe(true);
  });

  it("maps a trigger alert with severity 1–5 through the table", () => {
    const alert = triggerAlertToAlert(
      { id: "a-1", detector_id: "det-win", trigger_id: "t-1", trigger_name: "High PowerShell", finding_ids: ["f-1"], related_doc_ids: ["1|windows"], state: "ACTIVE", severity: "1", start_time: "2022-11-16T01:06:57.748Z" },
      { severities: DEFAULT_TRIGGER_SEVERITIES, detector: { name: "Windows threats" } },
    );
    expect(alert).toMatchObject({
      title: "High PowerShell — Windows threats",
      severity: "critical",
      source_id: "alert:a-1",
      time: "2022-11-16T01:06:57.748Z",
      rule: { id: "t-1", title: "High PowerShell", level: "1" },
      unmapped: { vendor_severity: "1", record_type: "trigger_alert", alert_state: "ACTIVE", finding_ids: ["f-1"] },
    });
    expect(triggerAlertToAlert({ id: "a-2", severity: "4" }, { severities: DEFAULT_TRIGGER_SEVERITIES }).severity).toBe("low");
    expect(triggerAlertToAlert({ id: "a-3", severity: null }, { severities: DEFAULT_TRIGGER_SEVERITIES }).severity).toBe("medium");
    expect(normaliseAlert(alert, context).ok).toBe(true);
  });

  it("parses the helpers' inputs: documents as JSON strings, Sysmon hashes, Sigma tags, vendor times", () => {
    expect(parseDocument('{"a":1}')).toEqual({ a: 1 });
    expect(parseDocument("")).toBeNull();
    expect(parseDocument("[1]")).toBeNull();
    expect(parseDocument("{broken")).toBeNull();
    expect(parseHashes("SHA1=AB,MD5=cd, IMPHASH=EF")).toEqual({ sha1: "ab", md5: "cd", imphash: "ef" });
    expect(attackFromTags(["attack.t1059.001", "attack.command_and_control", "attack.s0002", "windows"])).toEqual({ techniques: ["T1059.001"], tactics: ["Command and Control"] });
    expect(vendorTime(1664401088804)).toBe("2022-09-28T21:38:08.804Z");
    expect(vendorTime("1664401088804")).toBe("2022-09-28T21:38:08.804Z");
    expect(vendorTime("2022-10-13T20:39:04.995023Z")).toBe("2022-10-13T20:39:04.995Z");
    expect(vendorTime("soon")).toBeNull();
  });

  it("builds the documented query strings: detector filter, ascending timestamp, startIndex/size, epoch-ms window", () => {
    const q = findingsQuery({ detector_type: "windows" }, "2026-11-24T10:00:00.000Z", 40, 20);
    expect(Object.fromEntries(q)).toEqual({ detectorType: "windows", sortString: "timestamp", sortOrder: "asc", size: "20", startIndex: "40", startTime: String(Date.parse("2026-11-24T10:00:00.000Z")), endTime: "253402300799999" });
    expect(Object.fromEntries(findingsQuery({ detector_id: "d1", detector_type: "windows" }, null, 0, 5))).toEqual({ detector_id: "d1", sortString: "timestamp", sortOrder: "asc", size: "5", startIndex: "0" });
    expect(Object.fromEntries(alertsQuery({}, null, 0, 5))).toEqual({ sortString: "start_time", sortOrder: "asc", size: "5", startIndex: "0" });
  });

  it("refuses a username without a password", () => {
    const parsed = OpenSearchSaSettings.safeParse({ name: "x", kind: "opensearch_sa", url: "http://os:9200", username: "reader" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["password"], message: "username and password go together" });
  });
});
