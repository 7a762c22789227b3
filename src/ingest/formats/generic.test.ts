import { describe, expect, it } from "vitest";
import { Alert } from "../../core/index.js";
import { normaliseAlert } from "../normalise.js";
import { parseAlertTime } from "./generic.js";

const context = { id: "alert-1", receivedAt: "2026-03-01T12:00:00.000Z", origin: { via: "api" as const } };

function normalise(input: unknown) {
  const result = normaliseAlert(input, context);
  if (!result.ok) throw new Error(`unexpected issues: ${JSON.stringify(result.issues)}`);
  return result.alert;
}

function issues(input: unknown) {
  const result = normaliseAlert(input, context);
  if (result.ok) throw new Error("expected the input to be rejected");
  return result.issues;
}

describe("generic alert", () => {
  it("takes a title alone and fills the defaults", () => {
    const alert = normalise({ title: "Something odd" });
    expect(alert).toEqual({
      schema_version: 1,
      id: "alert-1",
      source: "generic",
      source_id: null,
      time: context.receivedAt,
      received_at: context.receivedAt,
      title: "Something odd",
      severity: "medium",
      rule: null,
      attack: { tactics: [], techniques: [], tactic_ids: [] },
      host: null,
      user: null,
      src: null,
      dst: null,
      network: null,
      process: null,
      email: null,
      observables: [],
      raw: null,
      unmapped: {},
      origin: { via: "api" },
    });
    expect(Alert.safeParse(alert).success).toBe(true);
  });

  it("maps every field of the contract", () => {
    const alert = normalise({
      title: "Malicious DNS lookup",
      time: "2026-02-28T23:59:58+01:00",
      severity: "High",
      source: "suricata",
      source_id: 4711,
      description: "A workstation resolved a known C2 domain",
      confidence: 85,
      subtype: "dns_malicious_lookup",
      rule: { id: 2024897, title: "ET DNS Query to C2", level: "high", author: "ET Labs", source: "suricata" },
      attack: { tactics: ["command_and_control"], techniques: ["t1071.004", "T1071.004"] },
      host: { name: "ws-042", ip: "10.1.2.42" },
      user: { name: "jdoe", domain: "CORP" },
      src: { ip: "10.1.2.42", hostname: "ws-042.corp", port: "53122" },
      dst: { ip: "203.0.113.7", domain: "bad.example", port: 53 },
      network: { protocol: "DNS", transport: "udp", query_type: "A", response_code: "NOERROR", answers: ["203.0.113.8"] },
      process: {
        name: "powershell.exe",
        command_line: "powershell -enc AAA",
        pid: 4242,
        parent_name: "winword.exe",
        parent_command_line: "winword.exe /n",
        signed: "true",
        signer: "Microsoft",
        sha256: "AB".repeat(32),
      },
      email: {
        subject: "Invoice",
        sender: "billing@phish.example",
        recipients: ["jdoe@corp.example"],
        recipient_count: 1,
        gateway_verdict: "clean",
        gateway_action: "delivered",
        links: ["https://phish.example/login"],
        attachments: ["invoice.pdf"],
        page_loaded: true,
        credentials_submitted: false,
        spf: "fail",
        dkim: "none",
        dmarc: "fail",
      },
      url: "https://bad.example/beacon",
      observables: [{ type: "domain", value: "bad.example", role: "dst" }, { type: "ip", value: "198.51.100.1" }],
      raw: { original: true },
      vendor_score: 7,
    });
    expect(alert).toMatchObject({
      source: "suricata",
      source_id: "4711",
      time: "2026-02-28T22:59:58.000Z",
      severity: "high",
      description: "A workstation resolved a known C2 domain",
      confidence: 85,
      subtype: "dns_malicious_lookup",
      rule: { id: "2024897", title: "ET DNS Query to C2", level: "high", author: "ET Labs", source: "suricata" },
      attack: { tactics: ["Command and Control"], techniques: ["T1071.004"], tactic_ids: ["TA0011"] },
      host: { name: "ws-042", ip: ["10.1.2.42"] },
      user: { name: "jdoe", domain: "CORP" },
      src: { ip: "10.1.2.42", hostname: "ws-042.corp", port: 53122 },
      dst: { ip: "203.0.113.7", domain: "bad.example", port: 53, url: "https://bad.example/beacon" },
      network: { protocol: "DNS", transport: "udp", query_type: "A", response_code: "NOERROR", answers: ["203.0.113.8"] },
      process: { pid: 4242, signed: true, sha256: "ab".repeat(32), parent_name: "winword.exe" },
      email: { sender: "billing@phish.example", recipient_count: 1, page_loaded: true, credentials_submitted: false, dmarc: "fail" },
      raw: { original: true },
      unmapped: { vendor_score: 7 },
    });
    expect(alert.observables).toEqual([
      { type: "domain", value: "bad.example", role: "dst" },
      { type: "ip", value: "198.51.100.1" },
      { type: "host", value: "ws-042" },
      { type: "ip", value: "10.1.2.42" },
      { type: "user", value: "jdoe", role: "actor" },
      { type: "host", value: "ws-042.corp", role: "src" },
      { type: "ip", value: "203.0.113.7", role: "dst" },
      { type: "url", value: "https://bad.example/beacon", role: "dst" },
      { type: "file_hash", value: "ab".repeat(32) },
      { type: "email", value: "billing@phish.example", role: "src" },
      { type: "url", value: "https://phish.example/login" },
    ]);
    expect(Alert.safeParse(alert).success).toBe(true);
  });

  it("normalises ATT&CK tactics to canonical names with their ids, whatever the source wrote", () => {
    const spellings = ["defense-evasion", "Command And Control", "Command and Control", "Command_And_Control", "attack.command-and-control", "TA0011", "ta0005", "Lateral  Movement", "Vendor Specific"];
    expect(normalise({ title: "x", attack: { tactics: spellings } }).attack).toEqual({
      tactics: ["Defense Evasion", "Command and Control", "Lateral Movement", "Vendor Specific"],
      tactic_ids: ["TA0005", "TA0011", "TA0008"],
      techniques: [],
    });
  });

  it("accepts the string shorthands", () => {
    const alert = normalise({ title: "t", rule: "Brute force", host: "web-01", user: "svc", src: "10.0.0.1", dst: "2001:db8::1", severity: "info" });
    expect(alert.rule).toEqual({ id: "Brute force", title: "Brute force" });
    expect(alert.host).toEqual({ name: "web-01", ip: [] });
    expect(alert.user).toEqual({ name: "svc" });
    expect(alert.src).toEqual({ ip: "10.0.0.1" });
    expect(alert.dst).toEqual({ ip: "2001:db8::1" });
    expect(alert.severity).toBe("informational");
    expect(normalise({ title: "t", dst: "cdn.example.org", src: "laptop-7" })).toMatchObject({ dst: { domain: "cdn.example.org" }, src: { hostname: "laptop-7" } });
  });

  it("keeps unknown keys, nested ones included, in unmapped", () => {
    const alert = normalise({ title: "t", host: { name: "h", os: "linux" }, ticket: "INC-1", unmapped: { earlier: 1 } });
    expect(alert.host).toEqual({ name: "h", ip: [] });
    expect(alert.unmapped).toEqual({ earlier: 1, ticket: "INC-1", "host.os": "linux" });
  });

  it("treats null as absent for known fields", () => {
    const alert = normalise({ title: "t", description: null, host: { name: "h", ip: null } });
    expect(alert.description).toBeUndefined();
    expect(alert.host).toEqual({ name: "h", ip: [] });
  });

  it("reports problems field by field with their paths", () => {
    const found = issues({
      severity: "urgent",
      time: "yesterday",
      confidence: 120,
      src: { ip: "not-an-ip", port: 70000 },
      attack: { techniques: ["T10"] },
      observables: [{ type: "file", value: "x" }],
      rule: {},
      process: { sha256: "abc" },
      email: { page_loaded: "maybe" },
    });
    const byPath = Object.fromEntries(found.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        "title",
        "severity",
        "time",
        "confidence",
        "src.ip",
        "src.port",
        "attack.techniques[0]",
        "observables[0].type",
        "rule.id",
        "process.sha256",
        "email.page_loaded",
      ].sort(),
    );
    expect(byPath.title).toBe("required");
    expect(byPath.severity).toContain('"urgent"');
    expect(byPath["src.ip"]).toBe("not an IP address");
  });

  it("rejects what is not an object", () => {
    expect(issues([{ title: "t" }])).toEqual([{ path: "", message: "expected a JSON object" }]);
    expect(issues({ title: "t", host: 42 })).toEqual([{ path: "host", message: "expected a hostname or an object {name?, ip?}" }]);
  });
});

describe("alert time", () => {
  it.each([
    [1767225600, "2026-01-01T00:00:00.000Z"],
    [1767225600123, "2026-01-01T00:00:00.123Z"],
    ["1767225600", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01T01:00:00+0100", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01 00:00:00", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.500Z"],
    ["2026-01-01", "2026-01-01T00:00:00.000Z"],
  ])("reads %s", (input, expected) => {
    expect(parseAlertTime(input)).toBe(expected);
  });

  it.each(["", "soon", "2026-13-45T00:00:00Z", "01/02/2026", -5])("refuses %s", (input) => {
    expect(parseAlertTime(input)).toBeNull();
  });
});
