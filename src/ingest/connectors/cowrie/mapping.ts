import type { Severity } from "../../../core/index.js";
import { lineHash, type Decoded } from "../tail/connector.js";
import { SHA256, compact, ip, parseJsonObject, port, text, vendorTime, type Json, type SeverityOrIgnore } from "../tail/fields.js";

/**
 * Cowrie's JSON log (cowrie.json, one event per line), after docs.cowrie.org "Output Event Code
 * Reference": shared attributes eventid, message, sensor, timestamp (ISO-8601 UTC), src_ip, session;
 * cowrie.session.connect (src_port, dst_ip, dst_port, protocol), cowrie.login.success / .failed
 * (username, password), cowrie.command.input (input), cowrie.session.file_download (url, outfile,
 * shasum), cowrie.session.file_upload (filename, outfile, shasum), cowrie.direct-tcpip.request (dst_ip,
 * dst_port, src_ip, src_port).
 *
 * The password an attacker tries is attacker-chosen but may be a real leaked credential: it is kept in
 * `raw` only, never in the title, description, unmapped or observables. Cowrie's `message` repeats it
 * for logins, so `message` is never copied either. The attempted username names an account on the
 * honeypot, not one of ours: it is not mapped to `user` (identity enrichment would look up our "root").
 */

/** eventid → severity (merged with the configured table); eventids not in the table are not alerts. */
export const DEFAULT_COWRIE_SEVERITIES: Record<string, SeverityOrIgnore> = {
  "cowrie.login.success": "high",
  "cowrie.login.failed": "low",
  "cowrie.command.input": "medium",
  "cowrie.session.file_download": "high",
  "cowrie.session.file_upload": "high",
  "cowrie.direct-tcpip.request": "medium",
};

const SUBTYPES: Record<string, string> = {
  "cowrie.login.failed": "ssh_bruteforce",
  "cowrie.login.success": "honeypot_login",
  "cowrie.command.input": "honeypot_command",
  "cowrie.command.failed": "honeypot_command",
  "cowrie.session.file_download": "malware_download",
  "cowrie.session.file_upload": "malware_download",
  "cowrie.direct-tcpip.request": "honeypot_tunnel",
};

/** What each event shows of the attacker's technique (MITRE ATT&CK Enterprise). */
const ATTACK: Record<string, { techniques: string[]; tactics: string[] }> = {
  "cowrie.login.failed": { techniques: ["T1110.001"], tactics: ["Credential Access"] },
  "cowrie.login.success": { techniques: ["T1078"], tactics: ["Initial Access"] },
  "cowrie.command.input": { techniques: ["T1059.004"], tactics: ["Execution"] },
  "cowrie.session.file_download": { techniques: ["T1105"], tactics: ["Command and Control"] },
  "cowrie.session.file_upload": { techniques: ["T1105"], tactics: ["Command and Control"] },
  "cowrie.direct-tcpip.request": { techniques: ["T1090"], tactics: ["Command and Control"] },
};

export interface CowrieMappingOptions {
  severities: Record<string, SeverityOrIgnore>;
  /** The honeypot's name when records carry no `sensor`. */
  sensor?: string;
}

export const DEFAULT_COWRIE_OPTIONS: CowrieMappingOptions = { severities: DEFAULT_COWRIE_SEVERITIES };

const clip = (value: string, length: number) => (value.length > length ? `${value.slice(0, length - 1)}…` : value);

function titleOf(eventid: string, record: Json, attacker: string): string {
  const username = text(record.username);
  const as = username !== undefined ? ` as "${clip(username, 64)}"` : "";
  switch (eventid) {
    case "cowrie.login.success":
      return `Honeypot login succeeded${as} from ${attacker}`;
    case "cowrie.login.failed":
      return `Honeypot login failed${as} from ${attacker}`;
    case "cowrie.command.input":
    case "cowrie.command.failed":
      return `Honeypot command from ${attacker}: ${clip(text(record.input) ?? "", 160)}`;
    case "cowrie.session.file_download":
      return `Honeypot file download by ${attacker}${text(record.url) ? `: ${clip(text(record.url)!, 160)}` : ""}`;
    case "cowrie.session.file_upload":
      return `Honeypot file upload by ${attacker}${text(record.filename) ? `: ${clip(text(record.filename)!, 160)}` : ""}`;
    case "cowrie.direct-tcpip.request":
      return `Honeypot tunnel request by ${attacker} to ${text(record.dst_ip) ?? "?"}:${text(record.dst_port) ?? "?"}`;
    default:
      return `Honeypot event ${eventid} from ${attacker}`;
  }
}

/** What a session's connect event said, for its later events (which omit the honeypot's address and the protocol). */
export interface CowrieSession {
  src_ip?: string;
  dst_ip?: string;
  protocol?: string;
}
/** Per-file decoder state: the latest sessions, oldest first, bounded. */
export interface CowrieState {
  sessions: Record<string, CowrieSession>;
}
export const MAX_SESSIONS = 200;
export const initialCowrieState = (): CowrieState => ({ sessions: {} });

function remember(state: CowrieState, session: string, info: CowrieSession): CowrieState {
  const sessions = { ...state.sessions };
  delete sessions[session];
  sessions[session] = info;
  const keys = Object.keys(sessions);
  for (const key of keys.slice(0, Math.max(0, keys.length - MAX_SESSIONS))) delete sessions[key];
  return { sessions };
}

/** One cowrie.json line → a generic alert, a skip (an event not in the table) or a rejection. */
export function decodeCowrieLine(line: string, options: CowrieMappingOptions = DEFAULT_COWRIE_OPTIONS): Decoded {
  return decodeCowrie(line, initialCowrieState(), options).result;
}

/** Like decodeCowrieLine, carrying the sessions seen so far in the file (the tail keeps them in its cursor). */
export function decodeCowrie(line: string, state: CowrieState, options: CowrieMappingOptions = DEFAULT_COWRIE_OPTIONS): { result: Decoded; state: CowrieState } {
  const record = parseJsonObject(line);
  if (typeof record === "string") return { result: { kind: "reject", reason: record }, state };
  const eventid = text(record.eventid);
  if (!eventid) return { result: { kind: "reject", reason: "no eventid (not a Cowrie event)" }, state };
  const sessionId = text(record.session);
  let next = state;
  if (eventid === "cowrie.session.connect" && sessionId) next = remember(state, sessionId, compact({ src_ip: ip(record.src_ip), dst_ip: ip(record.dst_ip), protocol: text(record.protocol) }) ?? {});
  const known = sessionId ? next.sessions[sessionId] : undefined;
  const result = decodeRecord(line, record, eventid, known, options);
  if (eventid === "cowrie.session.closed" && sessionId && known) {
    const sessions = { ...next.sessions };
    delete sessions[sessionId];
    next = { sessions };
  }
  return { result, state: next };
}

function decodeRecord(line: string, record: Json, eventid: string, known: CowrieSession | undefined, options: CowrieMappingOptions): Decoded {
  const severity = options.severities[eventid];
  if (!severity || severity === "ignore") return { kind: "skip" };
  const timestamp = text(record.timestamp);
  const time = vendorTime(timestamp);
  if (!timestamp || !time) return { kind: "reject", reason: `unreadable timestamp ${JSON.stringify(record.timestamp ?? null)}` };

  const session = text(record.session);
  const tunnel = eventid === "cowrie.direct-tcpip.request";
  // A tunnel request's src_ip is the originator the client claims (often 127.0.0.1): the attacker is the session's peer.
  const srcIp = tunnel ? (known?.src_ip ?? ip(record.src_ip)) : ip(record.src_ip);
  const protocol = text(record.protocol) ?? known?.protocol;
  const target = text(record.dst_ip);
  const url = text(record.url);
  const shasum = text(record.shasum)?.toLowerCase();
  const input = text(record.input);
  const attack = ATTACK[eventid];

  const alert: Json = {
    title: titleOf(eventid, record, srcIp ?? text(record.src_ip) ?? "an unknown address"),
    time,
    severity: severity as Severity,
    source: "cowrie",
    // Session, event and time name the event; the line's hash keeps two events of one microsecond apart.
    source_id: `${session ?? "-"}:${eventid}:${timestamp}:${lineHash(line).slice(0, 8)}`,
    description:
      [session && `Cowrie session ${session}`, protocol && `over ${protocol}`, text(record.outfile) && `saved as ${text(record.outfile)}`, shasum && `sha256 ${shasum}`]
        .filter(Boolean)
        .join(", ") || undefined,
    subtype: SUBTYPES[eventid],
    rule: { id: eventid, title: eventid, source: "cowrie" },
    attack,
    host: compact({ name: text(record.sensor) ?? options.sensor, ip: known?.dst_ip ? [known.dst_ip] : undefined }),
    src: compact({ ip: srcIp, port: tunnel ? undefined : port(record.src_port) }),
    dst: tunnel
      ? compact({ ip: ip(target), domain: target && !ip(target) ? target : undefined, port: port(record.dst_port) })
      : compact({ url, ip: ip(record.dst_ip), port: port(record.dst_port) }),
    process: input ? { command_line: input } : undefined,
    observables: shasum && SHA256.test(shasum) ? [{ type: "file_hash", value: shasum, role: "other" }] : undefined,
    unmapped: compact({
      vendor_severity: eventid,
      cowrie_session: session,
      cowrie_username: text(record.username),
      cowrie_protocol: protocol,
      tunnel_claimed_origin: tunnel ? compact({ ip: text(record.src_ip), port: record.src_port }) : undefined,
      cowrie_outfile: text(record.outfile),
      cowrie_filename: text(record.filename),
      cowrie_shasum: shasum && !SHA256.test(shasum) ? shasum : undefined,
    }),
    raw: record,
  };
  return { kind: "alert", alert: Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined)) };
}
