import { describe, expect, it } from "vitest";
import { Alert } from "../../core/index.js";
import { normaliseAlert } from "../normalise.js";

const context = { id: "alert-1", receivedAt: "2026-03-01T12:00:00.000Z", origin: { via: "webhook" as const } };

/** A Detection Finding as an EDR would emit it (OCSF 1.3 shape). */
function detectionFinding(overrides: Record<string, unknown> = {}) {
  return {
    class_uid: 2004,
    category_uid: 2,
    activity_id: 1,
    type_uid: 200401,
    time: 1772366400000,
    severity_id: 4,
    severity: "High",
    confidence_score: 90,
    message: "Suspicious PowerShell download cradle",
    metadata: { uid: "evt-123", version: "1.3.0", product: { name: "ExampleEDR", vendor_name: "Example Inc" } },
    finding_info: {
      uid: "finding-789",
      title: "PowerShell download cradle",
      desc: "powershell.exe fetched and executed a remote script",
      types: ["Execution"],
      analytic: { uid: "rule-55", name: "PS Download Cradle", type_id: 1 },
      attacks: [
        {
          tactic: { name: "Execution", uid: "TA0002" },
          technique: { uid: "T1059", name: "Command and Scripting Interpreter" },
          sub_technique: { uid: "T1059.001", name: "PowerShell" },
        },
        { tactic: { name: "Command and Control", uid: "TA0011" }, technique: { uid: "T1105", name: "Ingress Tool Transfer" } },
      ],
    },
    device: { hostname: "fin-ws-07", ip: "10.20.0.7", type_id: 2 },
    actor: { user: { name: "mallory", domain: "CORP" } },
    src_endpoint: { ip: "10.20.0.7", hostname: "fin-ws-07" },
    dst_endpoint: { ip: "198.51.100.23", domain: "payload.example", port: 443 },
    observables: [
      { type_id: 1, type: "Hostname", name: "dst_endpoint.domain", value: "payload.example" },
      { type_id: 8, type: "Hash", name: "file.hashes[0].value", value: "c".repeat(64) },
      { type_id: 6, type: "URL String", name: "url.url_string", value: "https://payload.example/a.ps1" },
      { type_id: 7, type: "File Name", name: "file.name", value: "a.ps1" },
    ],
    unmapped: { edr_policy: "strict" },
    ...overrides,
  };
}

function normalise(input: unknown) {
  const result = normaliseAlert(input, context);
  if (!result.ok) throw new Error(`unexpected issues: ${JSON.stringify(result.issues)}`);
  return result.alert;
}

describe("OCSF finding", () => {
  it("maps a Detection Finding onto the alert", () => {
    const finding = detectionFinding();
    const alert = normalise(finding);
    expect(Alert.safeParse(alert).success).toBe(true);
    expect(alert).toMatchObject({
      source: "ExampleEDR",
      source_id: "finding-789",
      time: "2026-03-01T12:00:00.000Z",
      title: "PowerShell download cradle",
      description: "powershell.exe fetched and executed a remote script",
      severity: "high",
      confidence: 90,
      rule: { id: "rule-55", title: "PS Download Cradle", source: "ExampleEDR" },
      attack: { tactics: ["Execution", "Command and Control"], techniques: ["T1059.001", "T1105"] },
      host: { name: "fin-ws-07", ip: ["10.20.0.7"] },
      user: { name: "mallory", domain: "CORP" },
      src: { ip: "10.20.0.7", hostname: "fin-ws-07" },
      dst: { ip: "198.51.100.23", domain: "payload.example", port: 443 },
      raw: finding,
    });
    expect(alert.unmapped).toEqual({
      edr_policy: "strict",
      "finding_info.types": ["Execution"],
      "ocsf.observables": [{ type_id: 7, type: "File Name", name: "file.name", value: "a.ps1" }],
    });
    expect(alert.observables).toEqual(
      expect.arrayContaining([
        { type: "domain", value: "payload.example", role: "dst" },
        { type: "file_hash", value: "c".repeat(64) },
        { type: "url", value: "https://payload.example/a.ps1" },
        { type: "user", value: "mallory", role: "actor" },
        { type: "host", value: "fin-ws-07" },
        { type: "ip", value: "198.51.100.23", role: "dst" },
      ]),
    );
    expect(alert.observables.filter((o) => o.type === "domain")).toHaveLength(1);
  });

  it("keeps raw_data as the raw event when the finding carries it", () => {
    expect(normalise(detectionFinding({ raw_data: "<134>original line" })).raw).toBe("<134>original line");
  });

  it.each([
    [1, "informational"],
    [2, "low"],
    [3, "medium"],
    [5, "critical"],
    [6, "critical"],
  ])("maps severity_id %i to %s", (severityId, severity) => {
    expect(normalise(detectionFinding({ severity_id: severityId, severity: undefined })).severity).toBe(severity);
  });

  it("falls back to the severity caption, then medium", () => {
    expect(normalise(detectionFinding({ severity_id: 99, severity: "Low" })).severity).toBe("low");
    expect(normalise(detectionFinding({ severity_id: 0, severity: "Fatal" })).severity).toBe("critical");
    expect(normalise(detectionFinding({ severity_id: undefined, severity: undefined })).severity).toBe("medium");
  });

  it("uses the event uid when the finding has none", () => {
    const finding = detectionFinding();
    const alert = normalise({ ...finding, finding_info: { ...finding.finding_info, uid: undefined } });
    expect(alert.source_id).toBe("evt-123");
  });

  it("accepts a Security Finding (2001) with its older layout", () => {
    const alert = normalise({
      class_uid: 2001,
      time: 1772366400000,
      severity_id: 2,
      metadata: { product: { name: "GuardDuty" } },
      finding: { uid: "gd-1", title: "Recon:EC2/PortProbeUnprotectedPort" },
      attacks: [{ tactic: { name: "Discovery" }, technique: { uid: "T1046" } }],
    });
    expect(alert).toMatchObject({ source: "GuardDuty", source_id: "gd-1", title: "Recon:EC2/PortProbeUnprotectedPort", severity: "low" });
    expect(alert.attack).toEqual({ tactics: ["Discovery"], tactic_ids: ["TA0007"], techniques: ["T1046"] });
  });

  it("reports OCSF problems at their OCSF paths", () => {
    const finding = detectionFinding();
    const result = normaliseAlert(
      {
        ...finding,
        severity_id: 9,
        finding_info: { ...finding.finding_info, title: undefined, analytic: undefined, attacks: [{ technique: { uid: "1059" } }] },
        message: undefined,
        dst_endpoint: { ip: "300.1.1.1", port: -1 },
      },
      context,
    );
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((i) => i.path);
    expect(paths.sort()).toEqual(
      ["severity_id", "finding_info.attacks[0].technique.uid", "finding_info.title", "dst_endpoint.ip", "dst_endpoint.port"].sort(),
    );
  });

  it("refuses OCSF classes that are not findings", () => {
    const result = normaliseAlert({ class_uid: 4001, message: "Network Activity" }, context);
    expect(result).toEqual({
      ok: false,
      issues: [{ path: "class_uid", message: expect.stringContaining("OCSF class 4001 is not a finding") }],
    });
  });
});
