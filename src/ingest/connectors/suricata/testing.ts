/**
 * Realistic EVE JSON records for tests, shaped after the documented examples of docs.suricata.io
 * "Eve JSON Format" (7.0.x / latest: the alert with flow_id, pcap_cnt, tx_id, alert {action, gid,
 * signature_id, rev, signature, category, severity}, app_proto, http section; the anomaly event
 * {type, event, layer}) and the ET Open rule metadata keys (mitre_tactic_id, mitre_tactic_name,
 * mitre_technique_id, mitre_technique_name). Values are invented; the field names and shapes are Suricata's.
 */
export type EveRecord = Record<string, unknown>;

export function eveAlert(overrides: EveRecord = {}, alert: EveRecord = {}): EveRecord {
  return {
    timestamp: "2026-11-24T10:00:00.123456+0000",
    flow_id: 1918417453442313,
    in_iface: "eth1",
    event_type: "alert",
    src_ip: "10.20.30.41",
    src_port: 51234,
    dest_ip: "203.0.113.80",
    dest_port: 80,
    proto: "TCP",
    pkt_src: "wire/pcap",
    community_id: "1:mmZBXvJtbGa2ZsA5ko1U8QNVbLQ=",
    tx_id: 0,
    alert: {
      action: "allowed",
      gid: 1,
      signature_id: 2024897,
      rev: 3,
      signature: "ET MALWARE Observed Malicious SSL Cert (Cobalt Strike)",
      category: "A Network Trojan was detected",
      severity: 1,
      metadata: {
        attack_target: ["Client_Endpoint"],
        mitre_tactic_id: ["TA0011"],
        mitre_tactic_name: ["Command_And_Control"],
        mitre_technique_id: ["T1071"],
        mitre_technique_name: ["Application_Layer_Protocol"],
        signature_severity: ["Major"],
      },
      ...alert,
    },
    http: {
      hostname: "update.bad-cdn.example",
      url: "/api/v1/beacon?id=42",
      http_user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
      http_method: "POST",
      protocol: "HTTP/1.1",
      status: 200,
      length: 512,
    },
    app_proto: "http",
    direction: "to_server",
    flow: { pkts_toserver: 4, pkts_toclient: 3, bytes_toserver: 640, bytes_toclient: 1210, start: "2026-11-24T09:59:59.900000+0000" },
    ...overrides,
  };
}

export function eveDnsAlert(overrides: EveRecord = {}): EveRecord {
  const base = eveAlert({ dest_ip: "10.20.0.53", dest_port: 53, proto: "UDP", app_proto: "dns", ...overrides }, {
    signature_id: 2027863,
    rev: 2,
    signature: "ET INFO Observed DNS Query to .top TLD",
    category: "Potentially Bad Traffic",
    severity: 2,
    metadata: { mitre_technique_id: ["T1071.004"], mitre_tactic_name: ["Command_And_Control"] },
  });
  delete base.http;
  return { ...base, dns: { query: [{ type: "query", id: 4242, rrname: "xk2j9f.evil-domain.top", rrtype: "A", tx_id: 0, opcode: 0 }] }, ...overrides };
}

export function eveAnomaly(overrides: EveRecord = {}): EveRecord {
  return {
    timestamp: "2026-11-24T10:00:05.000001+0000",
    flow_id: 2125462618214512,
    in_iface: "eth1",
    event_type: "anomaly",
    src_ip: "198.51.100.7",
    src_port: 0,
    dest_ip: "10.20.30.41",
    dest_port: 0,
    proto: "TCP",
    anomaly: { type: "stream", event: "stream.pkt_invalid_timestamp", layer: "proto_detect" },
    ...overrides,
  };
}

export const eveFlow = (overrides: EveRecord = {}): EveRecord => ({
  timestamp: "2026-11-24T10:00:06.000000+0000",
  flow_id: 1918417453442313,
  event_type: "flow",
  src_ip: "10.20.30.41",
  src_port: 51234,
  dest_ip: "203.0.113.80",
  dest_port: 80,
  proto: "TCP",
  flow: { pkts_toserver: 4, pkts_toclient: 3, state: "closed", reason: "timeout" },
  ...overrides,
});

export const line = (record: EveRecord) => `${JSON.stringify(record)}\n`;
