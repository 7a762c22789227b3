import { describe, expect, it } from "vitest";
import { normaliseAlert } from "../../normalise.js";
import { EMPTY_CHECKPOINT } from "../types.js";
import { ElasticSettings, authorization, parseCursor, searchBody } from "./client.js";
import { DEFAULT_SEVERITY_MAP, SeverityMapInput, elasticHitToAlert, field, severityFor, threatOf } from "./mapping.js";
import { elasticAlert } from "./testing.js";

const context = { id: "x", receivedAt: "2026-11-24T11:00:00Z", origin: { via: "connector" as const } };

describe("elastic mapping", () => {
  it("reads a field stored flattened, nested or a mix of both", () => {
    expect(field({ "kibana.alert.rule.name": "flat" }, "kibana.alert.rule.name")).toBe("flat");
    expect(field({ kibana: { alert: { rule: { name: "nested" } } } }, "kibana.alert.rule.name")).toBe("nested");
    expect(field({ "kibana.alert": { "rule.name": "mixed" } }, "kibana.alert.rule.name")).toBe("mixed");
    expect(field({ "kibana.alert.rule": { name: "mixed" } }, "kibana.alert.rule.name")).toBe("mixed");
    // A dotted key that does not lead to the field does not hide a nested one that does.
    expect(field({ "kibana.alert": {}, kibana: { alert: { uuid: "u" } } }, "kibana.alert.uuid")).toBe("u");
    expect(field({ host: { name: "a" } }, "host.ip")).toBeUndefined();
  });

  it("maps a detection alert to a generic alert the ingest schema accepts", () => {
    const doc = elasticAlert("2026-11-24T10:11:12.345Z", { uuid: "e3b0c442", originalTime: "2026-11-24T10:08:00.000Z" });
    const alert = elasticHitToAlert({ _id: doc._id, _index: ".internal.alerts-security.alerts-default-000001", _source: doc._source });
    expect(alert).toMatchObject({
      title: "Suspicious PowerShell Encoded Command",
      time: "2026-11-24T10:08:00.000Z",
      severity: "high",
      source: "elastic",
      source_id: "e3b0c442",
      description: expect.stringContaining("created high alert"),
      rule: { id: "3b1b0e1b-6e5f-4d2a-9a3c-5d2f1e0c9b8a", title: "Suspicious PowerShell Encoded Command", level: "high", author: "Elastic", source: "elastic" },
      attack: { techniques: ["T1059", "T1059.001"], tactics: ["Execution"] },
      host: { name: "ws-042", ip: ["10.20.1.42", "fe80::1"] },
      user: { name: "alice", domain: "CORP" },
      src: { ip: "10.20.1.42", port: 49822 },
      dst: { ip: "203.0.113.50", port: 443, domain: "cdn.evil.example" },
      process: {
        name: "powershell.exe",
        pid: 4242,
        parent_name: "winword.exe",
        signed: true,
        signer: "Microsoft Windows",
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      },
      observables: [
        { type: "file_hash", value: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752" },
        { type: "file_hash", value: "098f6bcd4621d373cade4e832627b4f6" },
      ],
      unmapped: {
        vendor_severity: "high",
        risk_score: 73,
        original_time: "2026-11-24T10:08:00.000Z",
        alert_timestamp: "2026-11-24T10:11:12.345Z",
        workflow_status: "open",
        device_id: "5f2a1c3e-8d7b-4e6a-9c0f-1b2d3e4f5a6b",
        rule_uuid: "78430c9f-6d5e-4a09-b929-048a418c6220",
        tactic_ids: ["TA0002"],
        elastic_index: ".internal.alerts-security.alerts-default-000001",
      },
    });
    expect(alert).not.toHaveProperty("confidence");
    expect(alert.raw).toBe(doc._source);
    const normalised = normaliseAlert(alert, context);
    expect(normalised.ok).toBe(true);
  });

  it("maps the same alert alike whether the rule fields are dotted or nested", () => {
    const flat = elasticAlert("2026-11-24T10:11:12Z", { uuid: "same" });
    const nested = elasticAlert("2026-11-24T10:11:12Z", { uuid: "same", nested: true });
    const strip = (a: Record<string, unknown>) => ({ ...a, raw: undefined });
    expect(strip(elasticHitToAlert({ _id: "same", _source: nested._source }))).toEqual(strip(elasticHitToAlert({ _id: "same", _source: flat._source })));
  });

  it("falls back to @timestamp and the document id, and leaves out values the schema would refuse", () => {
    const alert = elasticHitToAlert({
      _id: "doc-1",
      _source: {
        "@timestamp": "2026-11-24T10:00:00Z",
        "kibana.alert.rule.severity": "CRITICAL",
        "kibana.alert.rule.threat": [{ framework: "MITRE ATT&CK", tactic: { name: "Impact" }, technique: [{ id: "not-a-technique" }] }],
        host: { ip: "gateway" },
        source: { ip: "attacker.example", port: 99999 },
        destination: { port: "8443" },
        dns: { question: { name: "x.evil.example", type: "TXT" }, response_code: "NOERROR" },
        process: { pid: "-3", hash: { sha256: "abc" } },
      },
    });
    expect(alert).toMatchObject({ title: "Elastic Security alert", time: "2026-11-24T10:00:00.000Z", severity: "critical", source_id: "doc-1" });
    expect(alert.attack).toEqual({ tactics: ["Impact"] });
    expect(alert.host).toBeUndefined();
    expect(alert.src).toBeUndefined();
    expect(alert.process).toBeUndefined();
    expect(alert.dst).toEqual({ port: 8443, domain: "x.evil.example" });
    expect(alert.network).toEqual({ query_type: "TXT", response_code: "NOERROR" });
    expect(alert.rule).toBeUndefined();
    expect(normaliseAlert(alert, context).ok).toBe(true);
  });

  it("maps rule severities through a configurable table laid over the defaults", () => {
    expect(["low", "medium", "high", "critical", "High", undefined, "weird"].map((s) => severityFor(s, DEFAULT_SEVERITY_MAP))).toEqual([
      "low",
      "medium",
      "high",
      "critical",
      "high",
      "medium",
      "medium",
    ]);
    const table = SeverityMapInput.parse({ Low: "informational", high: "critical" });
    expect(severityFor("low", table)).toBe("informational");
    expect(severityFor("high", table)).toBe("critical");
    expect(severityFor("medium", table)).toBe("medium");
    expect(SeverityMapInput.safeParse({ low: "trivial" }).success).toBe(false);
  });

  it("reads sub-techniques and ignores other frameworks", () => {
    const threat = threatOf({
      "kibana.alert.rule.threat": [
        { framework: "MITRE ATT&CK", tactic: { id: "TA0006", name: "Credential Access" }, technique: [{ id: "T1110", subtechnique: [{ id: "t1110.003" }] }] },
        { framework: "Custom", tactic: { name: "Other" }, technique: [{ id: "T9999" }] },
      ],
    });
    expect(threat).toEqual({ tactics: ["Credential Access"], tacticIds: ["TA0006"], techniques: ["T1110", "T1110.003"] });
  });

  it("builds the _search body: high-water mark inclusive, seen ids on top on a fresh run, search_after within a run", () => {
    const settings = ElasticSettings.parse({ name: "x", kind: "elastic", url: "https://es:9200", api_key: "k", page_size: 100 });
    const checkpoint = { time: "2026-11-24T10:00:00.000Z", seen: ["a", "b"], overflow: false, cursor: { after: [1764000000000, "b"], pit: null } };
    expect(searchBody(settings, checkpoint, null)).toMatchObject({ size: 102, track_total_hits: false });
    expect(searchBody(settings, checkpoint, null)).not.toHaveProperty("search_after");
    expect(searchBody(settings, checkpoint, [1764000000000, "b"])).toMatchObject({ size: 100, search_after: [1764000000000, "b"] });
    expect(searchBody(settings, EMPTY_CHECKPOINT, null, { id: "p", keep_alive: "1m" })).toMatchObject({ size: 100, pit: { id: "p", keep_alive: "1m" } });
    expect(parseCursor([1, "x"])).toEqual({ after: [1, "x"], pit: null });
    expect(parseCursor(null)).toEqual({ after: null, pit: null });
  });

  it("encodes an id:api_key pair and passes an encoded key through", () => {
    expect(authorization({ api_key: "id:key" })).toBe(`ApiKey ${Buffer.from("id:key").toString("base64")}`);
    expect(authorization({ api_key: "aWQ6a2V5" })).toBe("ApiKey aWQ6a2V5");
    expect(authorization({ username: "u", password: "p" })).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
  });
});
