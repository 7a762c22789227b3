import type { Severity } from "../../../core/index.js";
import { lineHash, type Decoded } from "../tail/connector.js";
import { SHA256, compact, ip, isObject, parseJsonObject, port, strings, techniques, text, vendorTime, type Json, type SeverityOrIgnore } from "../tail/fields.js";

/**
 * Suricata EVE JSON (one event per line, `event_type` telling them apart), as documented in
 * docs.suricata.io "Eve JSON Format" (7.0/8.0): common fields timestamp (`2017-04-07T22:24:37.251547+0100`),
 * flow_id, in_iface, event_type, src_ip, src_port, dest_ip, dest_port, proto, app_proto, community_id,
 * host (the sensor name when `sensor-name` is set); `alert` {action, gid, signature_id, rev, signature,
 * category, severity, metadata {mitre_technique_id, mitre_tactic_name, …}}; protocol sections http
 * {hostname, url, http_user_agent, http_method}, dns {query: [{rrname, rrtype}]} (7+) or {rrname, rrtype}
 * (older), tls {sni}; `anomaly` {type, event, layer}.
 */

/** alert.severity (1 is the most severe; rules may use up to 255) → Nightshift severity. */
export const DEFAULT_SURICATA_SEVERITIES: Record<string, SeverityOrIgnore> = { "1": "high", "2": "medium", "3": "low", "4": "informational" };

export interface SuricataMappingOptions {
  severities: Record<string, SeverityOrIgnore>;
  /** Event types that become alerts: `alert` always, `anomaly` when configured. */
  eventTypes: string[];
  anomalySeverity: SeverityOrIgnore;
  /** The sensor's host name when records carry no `host`. */
  sensor?: string;
}

export const DEFAULT_SURICATA_OPTIONS: SuricataMappingOptions = { severities: DEFAULT_SURICATA_SEVERITIES, eventTypes: ["alert"], anomalySeverity: "low" };

function dnsQuery(dns: Json): { rrname?: string; rrtype?: string; rcode?: string; answers: string[] } {
  const first = [dns.query, dns.queries].map((q) => (Array.isArray(q) ? q.find(isObject) : undefined)).find(Boolean) as Json | undefined;
  const answers = Array.isArray(dns.answers) ? dns.answers.filter(isObject).map((a) => text(a.rdata)).filter((v): v is string => v !== undefined) : [];
  return { rrname: text(first?.rrname ?? dns.rrname), rrtype: text(first?.rrtype ?? dns.rrtype), rcode: text(dns.rcode), answers };
}

function httpUrl(http: Json, appProto: string | undefined): string | undefined {
  const url = text(http.url);
  if (!url) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  const hostname = text(http.hostname);
  if (!hostname) return url;
  const scheme = appProto === "http2" || appProto === "http" || !appProto ? "http" : appProto;
  return `${scheme}://${hostname}${url.startsWith("/") ? "" : "/"}${url}`;
}

const EVENT_TYPE = /"event_type"\s*:\s*"([A-Za-z0-9_]+)"/;
const wanted = (eventType: string, options: SuricataMappingOptions) => eventType === "alert" || (eventType === "anomaly" && options.eventTypes.includes("anomaly"));

/** One EVE line → a generic alert, a skip (another event type) or a rejection (not an EVE record). */
export function decodeEveLine(line: string, options: SuricataMappingOptions = DEFAULT_SURICATA_OPTIONS): Decoded {
  // Most of an eve.json is flow, dns, http… events: a whole-looking object of another type is skipped unparsed.
  const declared = EVENT_TYPE.exec(line)?.[1];
  const trimmed = line.trim();
  if (declared && !wanted(declared, options) && trimmed.startsWith("{") && trimmed.endsWith("}")) return { kind: "skip" };
  const record = parseJsonObject(line);
  if (typeof record === "string") return { kind: "reject", reason: record };
  const eventType = text(record.event_type);
  if (!eventType) return { kind: "reject", reason: "no event_type (not an EVE record)" };
  if (!wanted(eventType, options)) return { kind: "skip" };
  const timestamp = text(record.timestamp);
  const time = vendorTime(timestamp);
  if (!timestamp || !time) return { kind: "reject", reason: `unreadable timestamp ${JSON.stringify(record.timestamp ?? null)}` };
  const alert = eventType === "alert" ? evePart(record.alert) : undefined;
  const anomaly = eventType === "anomaly" ? evePart(record.anomaly) : undefined;
  if (eventType === "alert" && !alert) return { kind: "reject", reason: "an alert event without its alert section" };

  const vendorSeverity = alert ? text(alert.severity) : undefined;
  const severity: SeverityOrIgnore = alert ? (vendorSeverity ? (options.severities[vendorSeverity] ?? "medium") : "medium") : options.anomalySeverity;
  if (severity === "ignore") return { kind: "skip" };

  // flow_id is a 64-bit integer: the line was parsed losslessly (core parseJson), so every digit is kept.
  const flowId = text(record.flow_id);
  const sid = text(alert?.signature_id);
  const gid = text(alert?.gid) ?? "1";
  const signature = text(alert?.signature);
  const appProto = text(record.app_proto);
  const http = isObject(record.http) ? record.http : {};
  const tls = isObject(record.tls) ? record.tls : {};
  const dns = isObject(record.dns) ? dnsQuery(record.dns) : undefined;
  const metadata = isObject(alert?.metadata) ? alert.metadata : {};
  const hostname = text(http.hostname) ?? text(tls.sni);
  const url = httpUrl(http, appProto);
  const proto = text(record.proto);
  const files = Array.isArray(record.files) ? record.files.filter(isObject) : isObject(record.fileinfo) ? [record.fileinfo] : [];
  const hashes = files.map((f) => text(f.sha256)).filter((h): h is string => h !== undefined && SHA256.test(h));

  const anomalyName = text(anomaly?.event) ?? text(anomaly?.code) ?? text(anomaly?.type) ?? "unknown";
  const title = alert ? (signature ?? (sid ? `Suricata signature ${gid}:${sid}` : "Suricata alert")) : `Suricata anomaly: ${anomalyName}`;
  const key = alert ? `${flowId ?? "-"}:${gid}:${sid ?? "-"}:${timestamp}` : `${flowId ?? "-"}:anomaly:${anomalyName}:${timestamp}`;
  const endpoints = [ip(record.src_ip), port(record.src_port), ip(record.dest_ip), port(record.dest_port)];
  const category = text(alert?.category);
  const tuple = `${endpoints[0] ?? "?"}${endpoints[1] !== undefined ? `:${endpoints[1]}` : ""} → ${endpoints[2] ?? "?"}${endpoints[3] !== undefined ? `:${endpoints[3]}` : ""}`;

  const generic: Json = {
    title,
    time,
    severity: severity as Severity,
    source: "suricata",
    // The documented key (flow, rule, time); without a flow id the line's own bytes are the identity.
    source_id: flowId ? key : `line:${lineHash(line)}`,
    description: `${category ? `${category}: ` : ""}${tuple}${proto ? ` (${proto}${appProto ? `/${appProto}` : ""})` : ""}${alert?.action ? `, ${text(alert.action)}` : ""}`,
    rule: sid || signature ? compact({ id: sid ? `sid:${sid}` : undefined, title: signature, level: vendorSeverity, source: "suricata" }) : undefined,
    attack: compact({
      techniques: techniques(metadata.mitre_technique_id),
      tactics: strings(metadata.mitre_tactic_name).map((t) => t.replace(/_/g, " ")),
    }),
    host: compact({ name: text(record.host) ?? options.sensor }),
    src: compact({ ip: endpoints[0], port: endpoints[1] }),
    dst: compact({ ip: endpoints[2], port: endpoints[3], hostname: hostname, domain: dns?.rrname, url }),
    network: compact({
      protocol: appProto,
      transport: proto?.toLowerCase(),
      query_type: dns?.rrtype,
      response_code: dns?.rcode,
      answers: dns?.answers,
    }),
    observables: hashes.length ? hashes.map((value) => ({ type: "file_hash", value, role: "other" })) : undefined,
    unmapped: compact({
      vendor_severity: vendorSeverity,
      event_type: eventType,
      suricata_category: category,
      suricata_action: text(alert?.action),
      suricata_gid: alert ? gid : undefined,
      suricata_rev: text(alert?.rev),
      flow_id: flowId,
      community_id: text(record.community_id),
      in_iface: text(record.in_iface),
      http_user_agent: text(http.http_user_agent),
      http_method: text(http.http_method),
      tls_sni: text(tls.sni),
      anomaly_type: text(anomaly?.type),
      anomaly_layer: text(anomaly?.layer),
      mitre_technique_names: strings(metadata.mitre_technique_name),
    }),
    raw: record,
  };
  return { kind: "alert", alert: Object.fromEntries(Object.entries(generic).filter(([, v]) => v !== undefined)) };
}

function evePart(value: unknown): Json | undefined {
  return isObject(value) ? value : undefined;
}
