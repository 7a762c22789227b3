import { describe, expect, it } from "vitest";
import type { Alert } from "../../core/index.js";
import { normaliseAlert } from "../normalise.js";
import { BUILTIN_TEMPLATES } from "./builtin.js";
import { applyTemplate, compileTemplate } from "./template.js";

/** Template → generic normaliser, as the route does: every record must come out as a valid core Alert. */
function run(name: string, payload: unknown, sender = name): { alerts: Alert[]; skipped: number[] } {
  const out = applyTemplate(compileTemplate(BUILTIN_TEMPLATES[name]), payload, { sender });
  expect(out.issues).toEqual([]);
  const alerts = out.alerts.map(({ alert }, i) => {
    const result = normaliseAlert(alert, { id: `a${i}`, receivedAt: "2026-11-24T10:00:00.000Z", origin: { via: "webhook" }, kind: "generic" });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.alert;
  });
  return { alerts, skipped: out.skipped };
}

// The sample v4 payload of the Alertmanager webhook receiver, plus a resolved alert of the same group.
const alertmanagerPayload = {
  receiver: "sms",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "ProbeFailure", instance: "https://server.example.org", job: "http_checks", monitor: "master", severity: "critical" },
      annotations: { description: "Instance https://server.example.org has been down for over 5m. Job: http_checks", summary: "BlackBox Probe Failure: https://server.example.org" },
      startsAt: "2023-02-06T13:08:45.828Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
      fingerprint: "1a30ba71cca2921f",
    },
    {
      status: "resolved",
      labels: { alertname: "ProbeFailure", instance: "https://other.example.org", severity: "critical" },
      annotations: {},
      startsAt: "2023-02-06T12:00:00Z",
      endsAt: "2023-02-06T13:00:00Z",
      fingerprint: "2b41cb82ddb3a32a",
    },
  ],
  groupLabels: { alertname: "ProbeFailure" },
  commonLabels: { alertname: "ProbeFailure", severity: "critical" },
  commonAnnotations: {},
  externalURL: "http://prometheus.example.org:9093",
  version: "4",
  groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
  truncatedAlerts: 0,
};

// Grafana's documented webhook example (one alert shown), with the top-level title/state/message.
const grafanaPayload = {
  receiver: "My Super Webhook",
  status: "firing",
  orgId: 1,
  alerts: [
    {
      status: "firing",
      labels: { alertname: "High memory usage", team: "blue", zone: "us-1" },
      annotations: { description: "The system has high memory usage", runbook_url: "https://myrunbook.com/runbook/1234", summary: "This alert was triggered for zone us-1" },
      startsAt: "2021-10-12T09:51:03.157076+02:00",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "https://play.grafana.org/alerting/1afz29v7z/edit",
      fingerprint: "c6eadffa33fcdf37",
      silenceURL: "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
      dashboardURL: "",
      panelURL: "",
      values: { B: 44.23943737541908, C: 1 },
    },
  ],
  groupLabels: { alertname: "High memory usage" },
  commonLabels: { team: "blue" },
  commonAnnotations: {},
  externalURL: "https://play.grafana.org/",
  version: "1",
  groupKey: '{}:{alertname="High memory usage"}',
  truncatedAlerts: 0,
  title: "[FIRING:1] High memory usage (blue)",
  state: "alerting",
  message: "**Firing**\n\nValue: B=44.2, C=1",
};

describe("built-in templates on documented payloads", () => {
  it("alertmanager: one alert per firing alert, resolved skipped, fingerprint@startsAt as id", () => {
    const { alerts, skipped } = run("alertmanager", alertmanagerPayload, "prom-main");
    expect(skipped).toEqual([1]);
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({
      source: "prom-main",
      source_id: "1a30ba71cca2921f@2023-02-06T13:08:45.828Z",
      title: "BlackBox Probe Failure: https://server.example.org",
      description: "Instance https://server.example.org has been down for over 5m. Job: http_checks",
      severity: "critical",
      time: "2023-02-06T13:08:45.828Z",
      rule: { id: "ProbeFailure", title: "ProbeFailure" },
      host: { name: "https://server.example.org" },
    });
    expect(alert!.unmapped).toMatchObject({ receiver: "sms", group_key: alertmanagerPayload.groupKey, vendor_severity: "critical", fingerprint: "1a30ba71cca2921f" });
    expect(alert!.raw).toEqual(alertmanagerPayload.alerts[0]);
  });

  it("grafana: Alertmanager fields plus Grafana's, empty URLs left out, missing severity label → medium", () => {
    const { alerts } = run("grafana", grafanaPayload, "grafana");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      source: "grafana",
      source_id: "c6eadffa33fcdf37@2021-10-12T09:51:03.157076+02:00",
      title: "This alert was triggered for zone us-1",
      description: "The system has high memory usage",
      severity: "medium",
      time: "2021-10-12T07:51:03.157Z",
    });
    expect(alerts[0]!.unmapped).toMatchObject({ org_id: 1, grafana_state: "alerting", values: { B: 44.23943737541908, C: 1 }, silence_url: grafanaPayload.alerts[0]!.silenceURL });
    expect(alerts[0]!.unmapped).not.toHaveProperty("dashboard_url");
  });

  it("splunk: the documented example (search_name null) and a CIM result row", () => {
    const documented = {
      result: { sourcetype: "mongod", count: "8" },
      sid: "scheduler_admin_search_W2_at_14232356_132",
      results_link: "http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132",
      search_name: null,
      owner: "admin",
      app: "search",
    };
    const [plain] = run("splunk", documented).alerts;
    expect(plain).toMatchObject({ title: "search alert scheduler_admin_search_W2_at_14232356_132", severity: "medium", source: "splunk" });
    expect(plain!.source_id).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(plain!.unmapped).toMatchObject({ result: documented.result, results_link: documented.results_link, owner: "admin" });

    const cim = { ...documented, search_name: "Brute force from one source", result: { src_ip: "203.0.113.9", dest: "web-01", user: "svc-backup", severity: "High", _time: "1700000000" } };
    const [alert] = run("splunk", cim, "splunk-prod").alerts;
    expect(alert).toMatchObject({
      title: "Brute force from one source",
      rule: { id: "Brute force from one source" },
      severity: "high",
      host: { name: "web-01" },
      user: { name: "svc-backup" },
      src: { ip: "203.0.113.9" },
      source: "splunk-prod",
    });
    expect(alert!.source_id).not.toBe(plain!.source_id);
    expect(alert!.unmapped).toMatchObject({ splunk_time: "1700000000", vendor_severity: "High" });
  });

  it("splunk: the alert time is the row's _time (epoch or ISO), and the reception time when _time is in another format", () => {
    const row = (time: unknown) => ({ search_name: "Brute force", sid: "s1", result: { dest: "web-01", _time: time } });
    expect(run("splunk", row("1700000000")).alerts[0]!.time).toBe("2023-11-14T22:13:20.000Z");
    expect(run("splunk", row("1700000000.250")).alerts[0]!.time).toBe("2023-11-14T22:13:20.250Z");
    expect(run("splunk", row("2024-01-15T10:20:30.000+01:00")).alerts[0]!.time).toBe("2024-01-15T09:20:30.000Z");
    const odd = run("splunk", row("Mon Jan 15 10:20:30 2024")).alerts[0]!;
    expect(odd.time).toBe("2026-11-24T10:00:00.000Z");
    expect(odd.unmapped).toMatchObject({ splunk_time: "Mon Jan 15 10:20:30 2024" });
  });

  it("alertmanager: an instance label with a port names the host without it, IPv6 included", () => {
    const payload = (instance: string) => ({ ...alertmanagerPayload, alerts: [{ ...alertmanagerPayload.alerts[0], labels: { alertname: "NodeDown", instance } }] });
    expect(run("alertmanager", payload("web-01:9100")).alerts[0]!.host).toEqual({ name: "web-01", ip: [] });
    expect(run("alertmanager", payload("[::1]:9100")).alerts[0]!.host?.name).toBe("::1");
    expect(run("alertmanager", payload("[fe80::1]")).alerts[0]!.host?.name).toBe("fe80::1");
    expect(run("alertmanager", payload("10.0.0.5:9100")).alerts[0]!.host?.name).toBe("10.0.0.5");
    expect(run("alertmanager", payload("fe80::1")).alerts[0]!.host?.name).toBe("fe80::1");
    expect(run("alertmanager", payload("db-01")).alerts[0]!.host?.name).toBe("db-01");
  });

  it("graylog: event id, timestamp and priority", () => {
    const payload = {
      event_definition_id: "5d4d4e3e5c1b2a0001a1b2c3",
      event_definition_type: "aggregation-v1",
      event_definition_title: "SSH brute force",
      event_definition_description: "10 failed logins in a minute",
      job_definition_id: "5d4d4e3e5c1b2a0001a1b2c4",
      job_trigger_id: "5d4d4e3e5c1b2a0001a1b2c5",
      event: {
        id: "01DHYMAS5FTCQKZZ0XSQ2BDB1K",
        event_definition_type: "aggregation-v1",
        event_definition_id: "5d4d4e3e5c1b2a0001a1b2c3",
        origin_context: "urn:graylog:message:es:graylog_0:199a616d-4d48-4155-b4fc-339b1c3129b2",
        timestamp: "2019-08-09T13:08:53.807Z",
        timestamp_processing: "2019-08-09T13:08:54.210Z",
        timerange_start: null,
        timerange_end: null,
        streams: [],
        source_streams: ["000000000000000000000001"],
        message: "SSH brute force: user=root count=12",
        source: "graylog-node-1",
        key_tuple: ["root"],
        key: "root",
        priority: 3,
        alert: true,
        fields: { username: "root" },
      },
      backlog: [],
    };
    const [alert] = run("graylog", payload).alerts;
    expect(alert).toMatchObject({
      source: "graylog",
      source_id: "01DHYMAS5FTCQKZZ0XSQ2BDB1K",
      title: "SSH brute force",
      description: "SSH brute force: user=root count=12",
      severity: "high",
      time: "2019-08-09T13:08:53.807Z",
      rule: { id: "5d4d4e3e5c1b2a0001a1b2c3", title: "SSH brute force" },
    });
    expect(alert!.host).toBeNull();
    expect(alert!.unmapped).toMatchObject({ graylog_node: "graylog-node-1", graylog_fields: { username: "root" }, vendor_severity: 3 });
  });

  it("suricata: the documented EVE alert, other event types skipped", () => {
    const documented = {
      timestamp: "2017-04-07T22:24:37.251547+0100",
      flow_id: 586497171462735,
      pcap_cnt: 53381,
      event_type: "alert",
      src_ip: "192.168.2.14",
      src_port: 50096,
      dest_ip: "209.53.113.5",
      dest_port: 80,
      proto: "TCP",
      metadata: { flowbits: ["http.dottedquadhost"] },
      tx_id: 4,
      alert: {
        action: "allowed",
        gid: 1,
        signature_id: 2018358,
        rev: 10,
        signature: "ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1",
        category: "Potentially Bad Traffic",
        severity: 2,
      },
      app_proto: "http",
    };
    const flow = { timestamp: "2017-04-07T22:24:38.000000+0100", flow_id: 586497171462735, event_type: "flow", src_ip: "192.168.2.14", dest_ip: "209.53.113.5", proto: "TCP" };
    const { alerts, skipped } = run("suricata", [documented, flow], "ids-edge");
    expect(skipped).toEqual([1]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      source: "ids-edge",
      source_id: "586497171462735:1:2018358@2017-04-07T22:24:37.251547+0100",
      title: "ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1",
      description: "Potentially Bad Traffic",
      severity: "medium",
      time: "2017-04-07T21:24:37.251Z",
      rule: { id: "1:2018358:10" },
      src: { ip: "192.168.2.14", port: 50096 },
      dst: { ip: "209.53.113.5", port: 80 },
      network: { transport: "TCP", protocol: "http" },
    });
    expect(alerts[0]!.observables).toEqual(expect.arrayContaining([{ type: "ip", value: "209.53.113.5", role: "dst" }]));
  });

  it("generic: the generic alert as is, source defaulting to the sender", () => {
    const { alerts } = run("generic", [{ title: "DNS lookup of a known C2 domain", source_id: "42", severity: "high", host: "ws-17" }], "lab");
    expect(alerts[0]).toMatchObject({ source: "lab", source_id: "42", severity: "high", host: { name: "ws-17" } });
  });

  it("every built-in template compiles", () => {
    for (const [name, spec] of Object.entries(BUILTIN_TEMPLATES)) expect(() => compileTemplate(spec), name).not.toThrow();
  });
});
