import type { Severity } from "../../../core/index.js";
import { lineHash, type Decoded } from "../tail/connector.js";
import { compact, ip, isObject, parseJsonObject, port, strings, text, vendorTime, type Json, type SeverityOrIgnore } from "../tail/fields.js";

/**
 * Zeek logs, both writers: the ASCII (TSV) writer with its header (`#separator \x09`, `#set_separator`,
 * `#empty_field (empty)`, `#unset_field -`, `#path`, `#open`, `#fields`, `#types`) and `#close` footer,
 * and the JSON writer (one object per line, dotted keys such as `id.orig_h`, `ts` epoch seconds or
 * ISO-8601 with `LogAscii::json_timestamps`). Fields after docs.zeek.org: Notice::Info (ts, uid, id.*,
 * fuid, file_mime_type, file_desc, proto, note, msg, sub, src, dst, p, n, peer_descr, actions,
 * suppress_for), Intel::Info (ts, uid, id.*, seen.indicator, seen.indicator_type, seen.where, seen.node,
 * matched, sources, fuid, file_mime_type, file_desc), Weird::Info (ts, uid, id.*, name, addl, notice, peer, source).
 */

export const ZEEK_LOGS = ["notice", "intel", "weird"] as const;
export type ZeekLog = (typeof ZEEK_LOGS)[number];

/** Keys: a notice type (`Scan::Port_Scan`), an intel indicator type (`Intel::DOMAIN`), a weird name, or the log (`notice`, `intel`, `weird`). */
export const DEFAULT_ZEEK_SEVERITIES: Record<string, SeverityOrIgnore> = {
  notice: "medium",
  intel: "high",
  weird: "low",
  "SSH::Password_Guessing": "medium",
  "SSL::Invalid_Server_Cert": "low",
  "CaptureLoss::Too_Much_Loss": "ignore",
  "Weird::Activity": "low",
};

export interface ZeekMappingOptions {
  severities: Record<string, SeverityOrIgnore>;
  /** The log this file holds; `auto` reads `#path` (TSV), `_path` or the record's keys (JSON). */
  log: ZeekLog | "auto";
  /** weird.log records are alerts only when asked for (they are mostly protocol noise). */
  weird: boolean;
  sensor?: string;
}

export const DEFAULT_ZEEK_OPTIONS: ZeekMappingOptions = { severities: DEFAULT_ZEEK_SEVERITIES, log: "auto", weird: false };

/** The TSV writer's header, carried from line to line of one file (and in the tail cursor). */
export interface ZeekHeader {
  separator: string;
  set_separator: string;
  empty_field: string;
  unset_field: string;
  path: string | null;
  fields: string[] | null;
  types: string[] | null;
}

export const initialHeader = (): ZeekHeader => ({ separator: "\t", set_separator: ",", empty_field: "(empty)", unset_field: "-", path: null, fields: null, types: null });

/** Zeek escapes separators and non-printable bytes as `\xHH`. */
const unescape = (value: string) => value.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

function headerLine(line: string, header: ZeekHeader): ZeekHeader {
  if (line.startsWith("#separator")) return { ...header, separator: unescape(line.slice("#separator".length).trim()) || "\t" };
  const [key, ...rest] = line.slice(1).split(header.separator);
  const values = rest.map(unescape);
  const value = values.join(header.separator);
  switch (key) {
    case "set_separator":
      return { ...header, set_separator: value };
    case "empty_field":
      return { ...header, empty_field: value };
    case "unset_field":
      return { ...header, unset_field: value };
    case "path":
      return { ...header, path: value };
    case "fields":
      return { ...header, fields: values };
    case "types":
      return { ...header, types: values };
    default:
      return header;
  }
}

function tsvValue(raw: string, type: string, header: ZeekHeader): unknown {
  if (raw === header.unset_field) return undefined;
  const container = /^(set|vector|table)\[(.+)\]$/.exec(type);
  if (container) {
    if (raw === header.empty_field) return [];
    return raw.split(header.set_separator).map((item) => tsvValue(item, container[2]!, header));
  }
  const value = unescape(raw);
  switch (type) {
    case "time":
    case "interval":
    case "double":
    case "count":
    case "int":
    case "port": {
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    case "bool":
      return value === "T" ? true : value === "F" ? false : value;
    default:
      return raw === header.empty_field ? "" : value;
  }
}

/** A TSV data line as the JSON writer would have written it (dotted keys, typed values). */
export function parseTsvLine(line: string, header: ZeekHeader): Json | string {
  if (!header.fields) return "a TSV data line before the #fields header";
  const cells = line.split(header.separator);
  if (cells.length !== header.fields.length) return `expected ${header.fields.length} fields, found ${cells.length}`;
  const record: Json = {};
  header.fields.forEach((field, i) => {
    const value = tsvValue(cells[i]!, header.types?.[i] ?? "string", header);
    if (value !== undefined) record[field] = value;
  });
  return record;
}

/** A dotted field from a flat (`"id.orig_h"`) or nested (`{"id": {"orig_h"}}`) record. */
function field(record: Json, name: string): unknown {
  if (name in record) return record[name];
  let value: unknown = record;
  for (const part of name.split(".")) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

function logOf(record: Json, header: ZeekHeader, options: ZeekMappingOptions): string | undefined {
  if (options.log !== "auto") return options.log;
  const named = header.path ?? text(record._path);
  if (named) return named;
  if (field(record, "note") !== undefined) return "notice";
  if (field(record, "seen.indicator") !== undefined) return "intel";
  if (field(record, "name") !== undefined) return "weird";
  return undefined;
}

const severityFor = (options: ZeekMappingOptions, keys: (string | undefined)[], log: ZeekLog): SeverityOrIgnore => {
  for (const key of keys) if (key && options.severities[key]) return options.severities[key];
  return options.severities[log] ?? DEFAULT_ZEEK_SEVERITIES[log]!;
};

/** `ts` as written (epoch seconds text or ISO), so the same record always gets the same id. */
const tsText = (value: unknown) => (typeof value === "number" ? String(value) : text(value));

const INTEL_OBSERVABLE: Record<string, string> = {
  "Intel::ADDR": "ip",
  "Intel::DOMAIN": "domain",
  "Intel::URL": "url",
  "Intel::FILE_HASH": "file_hash",
  "Intel::EMAIL": "email",
  "Intel::USER_NAME": "user",
  "Intel::SOFTWARE": "process",
};

const NOTICE_SUBTYPES: Record<string, string> = {
  "SSH::Password_Guessing": "ssh_bruteforce",
  "Scan::Port_Scan": "network_scan",
  "Scan::Address_Scan": "network_scan",
};

function connection(record: Json) {
  return {
    src: compact({ ip: ip(field(record, "id.orig_h")), port: port(field(record, "id.orig_p")) }),
    dst: compact({ ip: ip(field(record, "id.resp_h")), port: port(field(record, "id.resp_p")) }),
  };
}

function noticeAlert(record: Json, ts: string, options: ZeekMappingOptions, line: string): Json | "ignore" {
  const note = text(field(record, "note")) ?? "Notice::Unknown";
  const severity = severityFor(options, [note], "notice");
  if (severity === "ignore") return "ignore";
  const msg = text(field(record, "msg"));
  const sub = text(field(record, "sub"));
  const uid = text(field(record, "uid"));
  const conn = connection(record);
  const src = compact({ ip: ip(field(record, "src")) ?? conn.src?.ip, port: conn.src?.port });
  const dst = compact({ ip: ip(field(record, "dst")) ?? conn.dst?.ip, port: port(field(record, "p")) ?? conn.dst?.port });
  return {
    title: msg ? `${note}: ${msg}` : note,
    severity,
    // The documented key: connection uid, notice type and time; notices without a connection add their source.
    source_id: `notice:${uid ?? "-"}:${note}:${ts}${uid ? "" : `:${text(field(record, "src")) ?? lineHash(line)}`}`,
    description: [msg, sub].filter(Boolean).join(" — ") || undefined,
    subtype: NOTICE_SUBTYPES[note],
    rule: { id: note, title: note, source: "zeek" },
    host: compact({ name: text(field(record, "peer_descr")) ?? options.sensor }),
    src,
    dst,
    network: compact({ transport: text(field(record, "proto")) }),
    unmapped: compact({
      vendor_severity: note,
      zeek_log: "notice",
      zeek_uid: uid,
      zeek_sub: sub,
      zeek_actions: strings(field(record, "actions")),
      zeek_n: field(record, "n"),
      zeek_suppress_for: field(record, "suppress_for"),
      zeek_fuid: text(field(record, "fuid")),
      zeek_file_mime_type: text(field(record, "file_mime_type")),
      zeek_file_desc: text(field(record, "file_desc")),
    }),
  };
}

function intelAlert(record: Json, ts: string, options: ZeekMappingOptions): Json | "ignore" | string {
  const indicator = text(field(record, "seen.indicator"));
  if (!indicator) return "an intel record without seen.indicator";
  const type = text(field(record, "seen.indicator_type")) ?? "Intel::UNKNOWN";
  const where = text(field(record, "seen.where"));
  const severity = severityFor(options, [type], "intel");
  if (severity === "ignore") return "ignore";
  const sources = strings(field(record, "sources"));
  const uid = text(field(record, "uid"));
  const conn = connection(record);
  const observableType = INTEL_OBSERVABLE[type];
  const role = where?.endsWith("IN_ORIG") ? "src" : where?.endsWith("IN_RESP") ? "dst" : "other";
  const dns = where?.startsWith("DNS::") ?? false;
  const protocol = where?.split("::")[0]?.toLowerCase();
  const shortType = type.replace(/^Intel::/, "");
  return {
    title: `Zeek intel match: ${indicator} (${shortType}${where ? ` in ${where}` : ""})`,
    severity,
    source_id: `intel:${uid ?? "-"}:${indicator}:${where ?? "-"}:${ts}`,
    description: sources.length ? `Indicator ${indicator} from ${sources.join(", ")} seen in ${where ?? "traffic"}` : undefined,
    subtype: dns && type === "Intel::DOMAIN" ? "dns_malicious_lookup" : undefined,
    rule: { id: `zeek-intel:${shortType.toLowerCase()}`, title: `Zeek intelligence match (${shortType})`, source: "zeek" },
    host: compact({ name: text(field(record, "seen.node")) ?? options.sensor }),
    src: conn.src,
    dst: compact({ ...conn.dst, domain: type === "Intel::DOMAIN" ? indicator : undefined }),
    network: compact({ protocol: protocol === "ssl" ? "tls" : protocol === "conn" ? undefined : protocol }),
    observables: observableType && (observableType !== "ip" || ip(indicator)) ? [{ type: observableType, value: indicator, role }] : undefined,
    unmapped: compact({
      vendor_severity: type,
      zeek_log: "intel",
      zeek_uid: uid,
      intel_indicator: indicator,
      intel_indicator_type: type,
      intel_where: where,
      intel_sources: sources,
      intel_matched: strings(field(record, "matched")),
      zeek_fuid: text(field(record, "fuid")),
      zeek_file_mime_type: text(field(record, "file_mime_type")),
      zeek_file_desc: text(field(record, "file_desc")),
    }),
  };
}

function weirdAlert(record: Json, ts: string, options: ZeekMappingOptions, line: string): Json | "ignore" {
  const name = text(field(record, "name")) ?? "unknown";
  const severity = severityFor(options, [name], "weird");
  if (severity === "ignore") return "ignore";
  const uid = text(field(record, "uid"));
  const addl = text(field(record, "addl"));
  const conn = connection(record);
  return {
    title: `Zeek weird: ${name}`,
    severity,
    source_id: `weird:${uid ?? "-"}:${name}:${ts}${uid ? "" : `:${lineHash(line)}`}`,
    description: addl,
    rule: { id: `weird:${name}`, title: `Zeek weird ${name}`, source: "zeek" },
    host: compact({ name: text(field(record, "peer")) ?? options.sensor }),
    src: conn.src,
    dst: conn.dst,
    unmapped: compact({ vendor_severity: name, zeek_log: "weird", zeek_uid: uid, zeek_addl: addl, zeek_weird_source: text(field(record, "source")) }),
  };
}

/**
 * One line of a Zeek log: header lines update the per-file state, data lines (TSV or JSON) of
 * notice/intel (and weird when enabled) become alerts, other logs are skipped, unparseable lines rejected.
 */
export function decodeZeekLine(line: string, header: ZeekHeader, options: ZeekMappingOptions = DEFAULT_ZEEK_OPTIONS): { result: Decoded; state: ZeekHeader } {
  const skip = (state: ZeekHeader = header) => ({ result: { kind: "skip" } as Decoded, state });
  const reject = (reason: string) => ({ result: { kind: "reject", reason } as Decoded, state: header });
  if (line.startsWith("#")) {
    // A new header in the same file (Zeek restarted without rotating) replaces the old one.
    const state = line.startsWith("#separator") ? headerLine(line, initialHeader()) : headerLine(line, header);
    return skip(state);
  }
  const record = line.trimStart().startsWith("{") ? parseJsonObject(line) : parseTsvLine(line, header);
  if (typeof record === "string") return reject(record);
  const log = logOf(record, line.trimStart().startsWith("{") ? { ...header, path: null } : header, options);
  if (log !== "notice" && log !== "intel" && !(log === "weird" && options.weird)) return skip();
  const ts = tsText(field(record, "ts"));
  const time = vendorTime(field(record, "ts"));
  if (!ts || !time) return reject(`unreadable ts ${JSON.stringify(field(record, "ts") ?? null)}`);
  const mapped = log === "notice" ? noticeAlert(record, ts, options, line) : log === "intel" ? intelAlert(record, ts, options) : weirdAlert(record, ts, options, line);
  if (mapped === "ignore") return skip();
  if (typeof mapped === "string") return reject(mapped);
  const alert: Json = { ...mapped, time, source: "zeek", severity: mapped.severity as Severity, raw: record };
  return { result: { kind: "alert", alert: Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined)) }, state: header };
}
