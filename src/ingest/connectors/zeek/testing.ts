/**
 * Zeek log files for tests, in both writers' documented shapes: the ASCII writer's header and footer
 * (docs.zeek.org "Zeek Log Formats and Inspection": #separator \x09, #set_separator, #empty_field,
 * #unset_field, #path, #open, #fields, #types, #close) and the JSON writer (flat dotted keys, ts in epoch
 * seconds). Field lists and types after Notice::Info, Intel::Info (as in a published intel.log: ts uid
 * id.orig_h id.orig_p id.resp_h id.resp_p seen.indicator seen.indicator_type seen.where seen.node matched
 * sources fuid file_mime_type file_desc) and Weird::Info. Values are invented.
 */
export const NOTICE_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "fuid", "file_mime_type", "file_desc", "proto", "note", "msg", "sub", "src", "dst", "p", "n", "peer_descr", "actions", "email_dest", "suppress_for"];
export const NOTICE_TYPES = ["time", "string", "addr", "port", "addr", "port", "string", "string", "string", "enum", "enum", "string", "string", "addr", "addr", "port", "count", "string", "set[enum]", "set[string]", "interval"];
export const INTEL_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "seen.indicator", "seen.indicator_type", "seen.where", "seen.node", "matched", "sources", "fuid", "file_mime_type", "file_desc"];
export const INTEL_TYPES = ["time", "string", "addr", "port", "addr", "port", "string", "enum", "enum", "string", "set[enum]", "set[string]", "string", "string", "string"];
export const WEIRD_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "name", "addl", "notice", "peer", "source"];
export const WEIRD_TYPES = ["time", "string", "addr", "port", "addr", "port", "string", "string", "bool", "string", "string"];

export function tsvHeader(path: string, fields: string[], types: string[], open = "2026-11-24-10-00-00"): string {
  return [
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    `#path\t${path}`,
    `#open\t${open}`,
    `#fields\t${fields.join("\t")}`,
    `#types\t${types.join("\t")}`,
  ].join("\n") + "\n";
}

export const tsvClose = (close = "2026-11-24-11-00-00") => `#close\t${close}\n`;
export const tsvRow = (cells: (string | number)[]) => `${cells.join("\t")}\n`;

/** A notice.log TSV row: SSH password guessing by default (no connection, so uid and id.* unset). */
export function noticeRow(over: Partial<Record<string, string | number>> = {}): string {
  const row: Record<string, string | number> = {
    ts: "1795514400.123456",
    uid: "-",
    "id.orig_h": "-",
    "id.orig_p": "-",
    "id.resp_h": "-",
    "id.resp_p": "-",
    fuid: "-",
    file_mime_type: "-",
    file_desc: "-",
    proto: "-",
    note: "SSH::Password_Guessing",
    msg: "198.51.100.23 appears to be guessing SSH passwords (seen in 30 connections).",
    sub: "Sampled servers:  10.20.30.15, 10.20.30.15, 10.20.30.15",
    src: "198.51.100.23",
    dst: "-",
    p: "-",
    n: "-",
    "peer_descr": "zeek-worker-1",
    actions: "Notice::ACTION_LOG",
    email_dest: "(empty)",
    suppress_for: "3600.000000",
    ...over,
  };
  return tsvRow(NOTICE_FIELDS.map((f) => row[f]!));
}

export function intelRow(over: Partial<Record<string, string | number>> = {}): string {
  const row: Record<string, string | number> = {
    ts: "1795514460.250001",
    uid: "CHhAvVGS1DHFjwGM9",
    "id.orig_h": "10.20.30.41",
    "id.orig_p": "53211",
    "id.resp_h": "10.20.0.53",
    "id.resp_p": "53",
    "seen.indicator": "xk2j9f.evil-domain.top",
    "seen.indicator_type": "Intel::DOMAIN",
    "seen.where": "DNS::IN_REQUEST",
    "seen.node": "zeek-worker-1",
    matched: "Intel::DOMAIN",
    sources: "abuse-feed,misp-community",
    fuid: "-",
    file_mime_type: "-",
    file_desc: "-",
    ...over,
  };
  return tsvRow(INTEL_FIELDS.map((f) => row[f]!));
}

export function weirdRow(over: Partial<Record<string, string | number>> = {}): string {
  const row: Record<string, string | number> = {
    ts: "1795514470.000100",
    uid: "Cj5SBc3x0kVmNyAZa",
    "id.orig_h": "10.20.30.41",
    "id.orig_p": "49822",
    "id.resp_h": "203.0.113.80",
    "id.resp_p": "443",
    name: "SYN_seq_jump",
    addl: "-",
    notice: "F",
    peer: "zeek-worker-1",
    source: "TCP",
    ...over,
  };
  return tsvRow(WEIRD_FIELDS.map((f) => row[f]!));
}

/** A notice.log record as the JSON writer writes it (a self-signed certificate on a connection). */
export function noticeJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: 1795514520.5,
    uid: "CmES5u32sYpV7JYN",
    "id.orig_h": "10.20.30.41",
    "id.orig_p": 49822,
    "id.resp_h": "203.0.113.80",
    "id.resp_p": 443,
    fuid: "FlFrwc1HI2DgMIYl8j",
    file_mime_type: "application/x-x509-user-cert",
    file_desc: "203.0.113.80:443/tcp",
    proto: "tcp",
    note: "SSL::Invalid_Server_Cert",
    msg: "SSL certificate validation failed with (self signed certificate)",
    sub: "CN=update.bad-cdn.example",
    src: "10.20.30.41",
    dst: "203.0.113.80",
    p: 443,
    peer_descr: "zeek-worker-1",
    actions: ["Notice::ACTION_LOG"],
    email_dest: [],
    suppress_for: 3600.0,
    ...over,
  };
}

export function intelJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: 1795514580.000002,
    uid: "C4J4Th3PJpwUYZZ6gc",
    "id.orig_h": "10.20.30.41",
    "id.orig_p": 51234,
    "id.resp_h": "203.0.113.80",
    "id.resp_p": 80,
    "seen.indicator": "203.0.113.80",
    "seen.indicator_type": "Intel::ADDR",
    "seen.where": "Conn::IN_RESP",
    "seen.node": "zeek",
    matched: ["Intel::ADDR"],
    sources: ["blocklist-c2"],
    ...over,
  };
}

export const jsonLine = (record: Record<string, unknown>) => `${JSON.stringify(record)}\n`;
