import { describe, expect, it } from "vitest";
import { normaliseAlert } from "../../normalise.js";
import type { Decoded } from "../tail/connector.js";
import { SuricataSettings, mappingOptions } from "./client.js";
import { DEFAULT_SURICATA_OPTIONS, decodeEveLine } from "./mapping.js";
import { eveAlert, eveAnomaly, eveDnsAlert, eveFlow } from "./testing.js";

function alertOf(decoded: Decoded) {
  if (decoded.kind !== "alert") throw new Error(`expected an alert, got ${JSON.stringify(decoded)}`);
  return decoded.alert;
}
function normalised(generic: unknown) {
  const result = normaliseAlert(generic, { id: "a1", receivedAt: "2026-11-24T12:00:00.000Z", origin: { via: "connector" } });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.alert;
}
const options = (over: Record<string, unknown> = {}) => mappingOptions(SuricataSettings.parse({ name: "ids", kind: "suricata", path: "/var/log/suricata/eve.json", ...over }));

describe("Suricata EVE mapping", () => {
  it("maps an HTTP alert: signature, sid rule, severity table, tuple, http, ATT&CK, community id", () => {
    const generic = alertOf(decodeEveLine(JSON.stringify(eveAlert()), options({ sensor: "ids-dmz-01" })));
    const alert = normalised(generic);
    expect(alert).toMatchObject({
      source: "suricata",
      source_id: "1918417453442313:1:2024897:2026-11-24T10:00:00.123456+0000",
      time: "2026-11-24T10:00:00.123Z",
      title: "ET MALWARE Observed Malicious SSL Cert (Cobalt Strike)",
      severity: "high",
      rule: { id: "sid:2024897", title: "ET MALWARE Observed Malicious SSL Cert (Cobalt Strike)", level: "1", source: "suricata" },
      attack: { techniques: ["T1071"], tactics: ["Command and Control"], tactic_ids: ["TA0011"] },
      host: { name: "ids-dmz-01" },
      src: { ip: "10.20.30.41", port: 51234 },
      dst: { ip: "203.0.113.80", port: 80, hostname: "update.bad-cdn.example", url: "http://update.bad-cdn.example/api/v1/beacon?id=42" },
      network: { protocol: "http", transport: "tcp" },
    });
    expect(alert.description).toBe("A Network Trojan was detected: 10.20.30.41:51234 → 203.0.113.80:80 (TCP/http), allowed");
    expect(alert.unmapped).toMatchObject({ vendor_severity: "1", suricata_rev: "3", flow_id: "1918417453442313", community_id: "1:mmZBXvJtbGa2ZsA5ko1U8QNVbLQ=", in_iface: "eth1", http_user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" });
    expect(alert.observables).toEqual(expect.arrayContaining([{ type: "ip", value: "203.0.113.80", role: "dst" }, { type: "url", value: "http://update.bad-cdn.example/api/v1/beacon?id=42", role: "dst" }]));
    expect((alert.raw as { alert: { signature_id: number } }).alert.signature_id).toBe(2024897);
  });

  it("prefers the record's host (sensor-name) over the configured sensor", () => {
    expect(alertOf(decodeEveLine(JSON.stringify(eveAlert({ host: "suricata-core" })), options({ sensor: "fallback" }))).host).toEqual({ name: "suricata-core" });
  });

  it("maps a DNS alert (Suricata 7 query array) to the destination domain and query type", () => {
    const alert = normalised(alertOf(decodeEveLine(JSON.stringify(eveDnsAlert()))));
    expect(alert).toMatchObject({ severity: "medium", dst: { domain: "xk2j9f.evil-domain.top", ip: "10.20.0.53", port: 53 }, network: { protocol: "dns", transport: "udp", query_type: "A" }, attack: { techniques: ["T1071.004"] } });
    const legacy = eveDnsAlert({ dns: { type: "query", rrname: "old.evil-domain.top", rrtype: "TXT" } });
    expect(normalised(alertOf(decodeEveLine(JSON.stringify(legacy))))).toMatchObject({ dst: { domain: "old.evil-domain.top" }, network: { query_type: "TXT" } });
  });

  it("keeps every digit of a 64-bit flow_id that JSON numbers would round", () => {
    const line = JSON.stringify(eveAlert()).replace("1918417453442313", "9007199254740993123");
    expect(alertOf(decodeEveLine(line)).source_id).toBe("9007199254740993123:1:2024897:2026-11-24T10:00:00.123456+0000");
  });

  it("takes the top-level flow_id, not a nested one, and keeps it exact in raw too", () => {
    const record = eveAlert();
    const line = JSON.stringify({ http: { flow_id: 7 }, ...record }).replace("1918417453442313", "9007199254740993123");
    const alert = alertOf(decodeEveLine(line));
    expect(alert.source_id).toBe("9007199254740993123:1:2024897:2026-11-24T10:00:00.123456+0000");
    expect((alert.raw as { flow_id: unknown }).flow_id).toBe("9007199254740993123");
  });

  it("uses the configurable severity table merged over the defaults, and ignore drops", () => {
    const table = options({ severity: { "1": "critical", "3": "ignore" } });
    expect(alertOf(decodeEveLine(JSON.stringify(eveAlert({}, { severity: 1 })), table)).severity).toBe("critical");
    expect(alertOf(decodeEveLine(JSON.stringify(eveAlert({}, { severity: 2 })), table)).severity).toBe("medium");
    expect(decodeEveLine(JSON.stringify(eveAlert({}, { severity: 3 })), table)).toEqual({ kind: "skip" });
    expect(alertOf(decodeEveLine(JSON.stringify(eveAlert({}, { severity: 9 })), table)).severity).toBe("medium");
    expect(() => SuricataSettings.parse({ name: "x", kind: "suricata", path: "/x", severity: { "1": "urgent" } })).toThrow(/expected one of/);
  });

  it("skips other event types, and turns anomalies into alerts only when configured", () => {
    expect(decodeEveLine(JSON.stringify(eveFlow()))).toEqual({ kind: "skip" });
    // A cut flow line is not a whole object: it is parsed, and rejected.
    expect(decodeEveLine(JSON.stringify(eveFlow()).slice(0, -5))).toMatchObject({ kind: "reject" });
    expect(decodeEveLine(JSON.stringify(eveAnomaly()))).toEqual({ kind: "skip" });
    const alert = normalised(alertOf(decodeEveLine(JSON.stringify(eveAnomaly()), options({ event_types: ["alert", "anomaly"] }))));
    expect(alert).toMatchObject({ title: "Suricata anomaly: stream.pkt_invalid_timestamp", severity: "low", source_id: "2125462618214512:anomaly:stream.pkt_invalid_timestamp:2026-11-24T10:00:05.000001+0000", src: { ip: "198.51.100.7", port: 0 } });
  });

  it("rejects what is not an EVE record and leaves out values that are not IPs or ports", () => {
    expect(decodeEveLine("Nov 24 10:00:00 suricata[123]: started")).toMatchObject({ kind: "reject", reason: expect.stringMatching(/^not JSON/) });
    expect(decodeEveLine("[1,2]")).toEqual({ kind: "reject", reason: "not a JSON object" });
    expect(decodeEveLine('{"timestamp":"2026-11-24T10:00:00Z"}')).toMatchObject({ kind: "reject", reason: expect.stringMatching(/event_type/) });
    expect(decodeEveLine(JSON.stringify(eveAlert({ timestamp: "yesterday" })))).toMatchObject({ kind: "reject", reason: expect.stringMatching(/timestamp/) });
    const odd = normalised(alertOf(decodeEveLine(JSON.stringify(eveAlert({ src_ip: "not-an-ip", dest_port: 70000 })), DEFAULT_SURICATA_OPTIONS)));
    expect(odd.src).toEqual({ port: 51234 });
    expect(odd.dst?.port).toBeUndefined();
  });

  it("falls back to the line's hash as source_id when there is no flow_id", () => {
    const record = eveAlert();
    delete record.flow_id;
    const a = alertOf(decodeEveLine(JSON.stringify(record)));
    const b = alertOf(decodeEveLine(JSON.stringify({ ...record, src_port: 1 })));
    expect(a.source_id).toMatch(/^line:[0-9a-f]{16}$/);
    expect(a.source_id).not.toBe(b.source_id);
    expect(alertOf(decodeEveLine(JSON.stringify(record))).source_id).toBe(a.source_id);
  });
});
