import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../extract.js";
import { toAuthEvent } from "./auth.js";
import { toConnection } from "./connection.js";
import { eventField, eventNumber, eventText } from "./data.js";
import { toDnsLookup } from "./dns.js";

function stored(data: Record<string, unknown>, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: "e1",
    time: "2026-11-24T10:00:00.000Z",
    received_at: "2026-11-24T10:00:01.000Z",
    host: "ws-01",
    user: null,
    process: null,
    process_id: null,
    process_guid: null,
    parent_process_id: null,
    parent_process_guid: null,
    parent_process: null,
    event_id: null,
    channel: null,
    provider: null,
    origin: { file: "f", record: 1 },
    data,
    ...extra,
  };
}

describe("event data readers", () => {
  it("prefer a flat key to the nested path and skip empty values", () => {
    const data = { "source.ip": "10.0.0.1", source: { ip: "10.9.9.9", port: "443" }, a: "-", b: "", c: ["x", "y"] };
    expect(eventField(data, "source.ip")).toBe("10.0.0.1");
    expect(eventField(data, "a", "b", "source.port")).toBe("443");
    expect(eventText(data, "c")).toBe("x");
    expect(eventNumber(data, "source.port")).toBe(443);
    expect(eventNumber(data, "missing")).toBeNull();
  });

  it("read a Sysmon network connection, and nothing from an event without a destination", () => {
    const event = stored({ DestinationIp: "203.0.113.7", DestinationPort: "443", SourceIp: "10.0.0.5", Protocol: "tcp" }, { event_id: "3", process: "C:\\x.exe" });
    expect(toConnection(event)).toEqual({
      time: event.time,
      host: "ws-01",
      src_ip: "10.0.0.5",
      dst_ip: "203.0.113.7",
      dst_port: 443,
      dst_host: null,
      process: "C:\\x.exe",
      protocol: "tcp",
      bytes_out: null,
      event_id: "e1",
    });
    expect(toConnection(stored({ Image: "x" }))).toBeNull();
  });

  it("read Windows logons and sshd lines", () => {
    expect(toAuthEvent(stored({ TargetUserName: "alice", IpAddress: "198.51.100.2", LogonType: "3" }, { event_id: "4625" }))).toMatchObject({
      kind: "failure",
      user: "alice",
      src_ip: "198.51.100.2",
      logon_type: "3",
    });
    const ssh = stored({ program: "sshd", message: "Accepted password for invalid user bob from 198.51.100.3 port 5022 ssh2" });
    expect(toAuthEvent(ssh)).toMatchObject({ kind: "success", user: "bob", src_ip: "198.51.100.3", logon_type: "ssh", method: "password" });
    expect(toAuthEvent(stored({ program: "cron", message: "Accepted password for x from y port 1" }))).toBeNull();
  });

  it("read a Sysmon DNS query with its answers and status", () => {
    const event = stored({ QueryName: "evil.example.", QueryResults: "type: 5 cdn.example;::ffff:203.0.113.9;", QueryStatus: "0" }, { event_id: "22" });
    expect(toDnsLookup(event)).toEqual({
      time: event.time,
      host: "ws-01",
      query: "evil.example",
      answers: ["cdn.example", "203.0.113.9"],
      response_code: "NOERROR",
      process: null,
    });
    expect(toDnsLookup(stored({}))).toBeNull();
  });
});
