import type { StoredEvent } from "../extract.js";
import { eventNumber, eventText } from "./data.js";

// A network connection read from an event: Sysmon 3, ECS, Zeek conn, Suricata flow, firewall and proxy logs.

export interface EventConnection {
  time: string;
  host: string | null;
  src_ip: string | null;
  dst_ip: string | null;
  dst_port: number | null;
  dst_host: string | null;
  process: string | null;
  protocol: string | null;
  bytes_out: number | null;
  /** The stored event's id. */
  event_id: string;
}

export function toConnection(event: StoredEvent): EventConnection | null {
  const d = event.data;
  const dstIp = eventText(d, "DestinationIp", "destination.ip", "dest_ip", "id.resp_h", "dst_ip");
  const dstHost = eventText(d, "DestinationHostname", "destination.domain", "destination.address", "tls.sni", "http.hostname", "server_name");
  if (!dstIp && !dstHost) return null;
  return {
    time: event.time,
    host: event.host,
    src_ip: eventText(d, "SourceIp", "source.ip", "src_ip", "id.orig_h"),
    dst_ip: dstIp,
    dst_port: eventNumber(d, "DestinationPort", "destination.port", "dest_port", "id.resp_p", "dst_port"),
    dst_host: dstHost,
    process: event.process,
    protocol: eventText(d, "Protocol", "network.transport", "proto", "app_proto", "service"),
    bytes_out: eventNumber(d, "source.bytes", "orig_bytes", "flow.bytes_toserver", "SentBytes"),
    event_id: event.id,
  };
}
