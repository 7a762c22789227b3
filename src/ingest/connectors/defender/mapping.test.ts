import { describe, expect, it } from "vitest";
import { applyMapping, ConnectorMapping } from "../common.js";
import { normaliseAlert } from "../../normalise.js";
import { DefenderSettings, listUrl, sinceFor } from "./client.js";
import { machinesUrl } from "./devices.js";
import { DEFAULT_SEVERITY_MAP, GraphAlert, MdeMachine, SeverityMapInput, defenderAlertToGeneric, graphTime, hostName, machineToDevice, severityFor, tacticName } from "./mapping.js";
import { checkNextLink } from "./oauth.js";
import { devicesKind, kind } from "./index.js";
import { graphAlert, mdeMachine } from "./testing.js";

const normalise = (alert: unknown) => normaliseAlert(alert, { id: "x", receivedAt: "2026-11-24T11:00:00Z", origin: { via: "connector" } });

describe("defender mapping", () => {
  it("maps Defender severities through the default table and a configured override", () => {
    expect(["unknown", "informational", "low", "medium", "high", "unknownFutureValue", undefined].map((s) => severityFor(s, DEFAULT_SEVERITY_MAP))).toEqual([
      "medium",
      "informational",
      "low",
      "medium",
      "high",
      "medium",
      "medium",
    ]);
    const table = SeverityMapInput.parse({ High: "critical", informational: "low" });
    expect(severityFor("high", table)).toBe("critical");
    expect(severityFor("informational", table)).toBe("low");
    expect(severityFor("medium", table)).toBe("medium");
    expect(SeverityMapInput.safeParse({ high: "urgent" }).success).toBe(false);
  });

  it("writes host names short and lower-case by default, or whole", () => {
    expect(hostName("WS-042.corp.example.com", "short")).toBe("ws-042");
    expect(hostName("WS-042.corp.example.com.", "fqdn")).toBe("ws-042.corp.example.com");
    expect(hostName("10.0.0.5", "short")).toBe("10.0.0.5");
    expect(tacticName("DefenseEvasion")).toBe("Defense Evasion");
    expect(tacticName("CommandAndControl")).toBe("Command and Control");
    expect(graphTime("2021-04-27T12:19:27.7211305Z")).toBe("2021-04-27T12:19:27.721Z");
    expect(graphTime("soon")).toBeNull();
  });

  it("maps the documented alert to a generic alert the ingest schema accepts", () => {
    const record = GraphAlert.parse(graphAlert("2026-11-24T10:11:12.1234567Z", { id: "da1", severity: "low", mitre: ["T1564.001", "T1059", "bogus"] }));
    const alert = defenderAlertToGeneric(record, { severity: DEFAULT_SEVERITY_MAP, hostname_form: "fqdn" });
    expect(alert).toMatchObject({
      source: "defender",
      source_id: "da1",
      severity: "low",
      time: "2026-11-24T10:11:12.123Z",
      rule: { id: "e0da400f-affd-43ef-b1d5-afc2eb6f2756", title: "Suspicious execution of hidden file", source: "microsoftDefenderForEndpoint" },
      attack: { techniques: ["T1564.001", "T1059"], tactics: ["Defense Evasion"] },
      host: { name: "ws-042.corp.example.com", ip: ["10.20.30.42", "fe80::1c2b:3a4d:5e6f:7081"] },
      user: { name: "jdoe", domain: "CORP" },
      process: { name: "MsSense.exe", command_line: '"MsSense.exe"', pid: 4780, parent_name: "services.exe", sha256: "8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec" },
      src: { ip: "203.0.113.7" },
      dst: { url: "http://evil.example.net/payload" },
      unmapped: { vendor_severity: "low", device_id: "73e7e2de709dff64ef64b1d0c30e67fab63279db", defender_incident_id: "28282", defender_status: "new" },
    });
    expect((alert.unmapped as Record<string, unknown>).device_fqdn).toBeUndefined();
    expect(alert.raw).toBe(record);
    const result = normalise(alert);
    expect(result.ok).toBe(true);
  });

  it("leaves out what the generic schema would refuse and falls back when evidence is thin", () => {
    const record = GraphAlert.parse({
      ...graphAlert("2026-11-24T10:00:00Z", { id: "da2" }),
      title: null,
      detectorId: null,
      severity: "weird",
      firstActivityDateTime: null,
      evidence: [
        { "@odata.type": "#microsoft.graph.security.ipEvidence", roles: ["destination"], ipAddress: "not-an-ip" },
        { "@odata.type": "#microsoft.graph.security.fileEvidence", fileDetails: { sha256: "zz", sha1: null } },
        { "@odata.type": "#microsoft.graph.security.processEvidence", processId: -1, imageFile: { fileName: "cmd.exe", sha256: "short" }, userAccount: { accountName: "svc_backup", domainName: "CORP" } },
        { "@odata.type": "#microsoft.graph.security.ipEvidence", roles: ["commandAndControl"], ipAddress: "198.51.100.9" },
      ],
    });
    const alert = defenderAlertToGeneric(record);
    expect(alert).toMatchObject({ title: "Defender alert da2", severity: "medium", time: "2026-11-24T10:00:00.000Z", user: { name: "svc_backup", domain: "CORP" }, dst: { ip: "198.51.100.9" }, process: { name: "cmd.exe" } });
    expect(alert.rule).toBeUndefined();
    expect(alert.host).toBeUndefined();
    expect(alert.src).toBeUndefined();
    expect(alert.observables).toEqual([{ type: "ip", value: "198.51.100.9", role: "dst" }]);
    expect(normalise(alert).ok).toBe(true);
  });

  it("lets the framework's mapping tables key on the MDE device id and the native severity", () => {
    const alert = defenderAlertToGeneric(GraphAlert.parse(graphAlert("2026-11-24T10:00:00Z", { severity: "high" })));
    const mapping = ConnectorMapping.parse({ hosts: { "73e7e2de709dff64ef64b1d0c30e67fab63279db": "finance-ws-7" }, priority: { high: "P1" } });
    const mapped = applyMapping(alert, mapping) as Record<string, unknown>;
    expect(mapped).toMatchObject({ host: { name: "finance-ws-7" }, priority: "P1", unmapped: { original_host: "ws-042" } });
    expect(normalise(mapped).ok).toBe(true);
  });

  it("maps an MDE machine to a device record, leaving out shared addresses and devices without a name", () => {
    const machine = MdeMachine.parse(mdeMachine("MyMachine1.contoso.com", "2021-01-25T07:27:36.052313Z", { id: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07" }));
    expect(machineToDevice(machine)).toEqual({
      hostname: "mymachine1",
      // The FQDN is an alias of the short name, so events naming MyMachine1.contoso.com find the device.
      aliases: ["mymachine1.contoso.com"],
      device_id: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
      ips: [
        { ip: "10.166.113.47", seen_at: "2021-01-25T07:27:36.052Z" },
        { ip: "2a01:110:68:4:59e4:3916:3b3e:4f96", seen_at: "2021-01-25T07:27:36.052Z" },
        { ip: "10.166.113.46", seen_at: "2021-01-25T07:27:36.052Z" },
      ],
      os: "Windows10",
      os_version: "22H2",
      patch_level: "19045",
      last_seen: "2021-01-25T07:27:36.052Z",
      edr_present: true,
      telemetry: ["edr"],
      health: "Active",
      risk: "High",
      tags: ["Tag1", "Tag2", "fqdn:mymachine1.contoso.com", "exposure:medium", "external_ip:167.220.203.175"],
    });
    expect(machineToDevice(MdeMachine.parse(mdeMachine("", "2021-01-25T07:27:36Z")))).toBeNull();
    const unmanaged = machineToDevice(MdeMachine.parse(mdeMachine("cam-01", "2021-01-25T07:27:36Z", { onboardingStatus: "Unsupported", osBuild: null })), "fqdn")!;
    expect(unmanaged).toMatchObject({ hostname: "cam-01", edr_present: false, telemetry: [] });
    expect(unmanaged.patch_level).toBeUndefined();
    expect(unmanaged.tags).toContain("onboarding:Unsupported");
  });

  it("builds the documented list requests and refuses nextLinks to other hosts", () => {
    expect(listUrl({ graph_url: "https://graph.microsoft.com/", page_size: 50 }, "2026-11-24T10:00:00.000Z")).toBe(
      "https://graph.microsoft.com/v1.0/security/alerts_v2?%24filter=createdDateTime+ge+2026-11-24T10%3A00%3A00.000Z&%24top=50",
    );
    expect(machinesUrl({ api_url: "https://api.securitycenter.microsoft.com", page_size: 10_000 }, null, 20_000)).toBe("https://api.securitycenter.microsoft.com/api/machines?%24top=10000&%24skip=20000");
    const settings = DefenderSettings.parse({ name: "d", kind: "defender", tenant_id: "t", client_id: "c", client_secret: "s" });
    expect(settings).toMatchObject({ lookback_seconds: 600, initial_lookback_hours: 24, detail: "when_missing", authority_url: "https://login.microsoftonline.com", graph_url: "https://graph.microsoft.com" });
    const checkpoint = { time: "2026-11-24T12:00:00.000Z", seen: [], overflow: false, cursor: null };
    expect(sinceFor(settings, checkpoint, new Date("2026-11-24T10:00:00Z"))).toBe("2026-11-24T11:50:00.000Z");
    expect(sinceFor({ ...settings, initial_lookback_hours: 0 }, { ...checkpoint, time: null }, new Date())).toBeNull();
    expect(checkNextLink("https://graph.microsoft.com/v1.0/security/alerts_v2?$skip=10", "https://graph.microsoft.com", "d")).toContain("$skip=10");
    expect(() => checkNextLink("https://evil.example/x", "https://graph.microsoft.com", "d")).toThrow(/refusing/);
  });

  it("exports both kinds: settings validated by path, connectors built with the registry's redactor", () => {
    const bad = kind.settings.safeParse({ name: "d", kind: "defender", client_id: "c", client_secret: "s", page_size: 5000, detail: "sometimes" });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join(".")).sort()).toEqual(["detail", "page_size", "tenant_id"]);
    const alerts = kind.create(kind.settings.parse({ name: "d", kind: "defender", tenant_id: "t", client_id: "c", client_secret: "s" }), { redact: (t) => t });
    expect(alerts).toMatchObject({ name: "d", kind: "defender", intervalSeconds: 60 });
    const devices = devicesKind.create(devicesKind.settings.parse({ name: "m", kind: "defender_devices", tenant_id: "t", client_id: "c", client_secret: "s" }), { redact: (t) => t });
    expect(devices).toMatchObject({ name: "m", kind: "defender_devices", intervalSeconds: 3600 });
    expect(devicesKind.settings.safeParse({ name: "m", kind: "defender", tenant_id: "t", client_id: "c", client_secret: "s" }).success).toBe(false);
  });
});
