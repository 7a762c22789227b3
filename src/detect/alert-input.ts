import { isIP } from "node:net";
import type { DetectionAlert, EventSource } from "./engine.js";

/**
 * A detection alert rewritten as a generic JSON alert (the public ingest contract), so Nightshift's own
 * detections enter the crew pipeline exactly like a sender's alerts. Only values the ingest schema will
 * accept are set (an IP must be an IP, a hash a SHA-256): one odd event field must never reject the batch.
 */

type Event = Record<string, unknown>;

const SIGMA_LEVELS = new Set(["informational", "low", "medium", "high", "critical"]);
/** Values Windows writes where a field has nothing to say. */
const EMPTY_VALUES = new Set(["", "-", "n/a", "null", "(null)"]);
const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;
const SHA256 = /(?:^|[,\s])SHA256=([0-9a-fA-F]{64})(?:$|[,\s])/;

function text(event: Event, ...fields: string[]): string | undefined {
  for (const field of fields) {
    const value = field.includes(".") ? dotted(event, field) : event[field];
    if (typeof value !== "string" && typeof value !== "number") continue;
    const trimmed = String(value).trim();
    if (!EMPTY_VALUES.has(trimmed.toLowerCase())) return trimmed;
  }
  return undefined;
}

/** `host.name` from a nested object or a flat dotted key (ECS documents come both ways). */
function dotted(event: Event, path: string): unknown {
  if (Object.hasOwn(event, path)) return event[path];
  let current: unknown = event;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Event)[part];
  }
  return current;
}

function ip(event: Event, ...fields: string[]): string | undefined {
  for (const field of fields) {
    const value = text(event, field);
    if (value !== undefined && isIP(value) !== 0) return value;
  }
  return undefined;
}

function port(event: Event, ...fields: string[]): number | undefined {
  const value = text(event, ...fields);
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 65535 ? n : undefined;
}

/** Sysmon writes ids as numbers, Security 4688 as hex strings (`0x1a2b`). */
function pid(event: Event, ...fields: string[]): number | undefined {
  const value = text(event, ...fields);
  if (value === undefined) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value.slice(2), 16) : /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

function compact(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
  return Object.keys(out).length ? out : undefined;
}

/** `DOMAIN\user` (Sysmon's User) → {name, domain}; a separate domain field is used when the name has none. */
function userOf(event: Event): { name: string; domain?: string } | undefined {
  const candidates: [string, string | undefined][] = [
    ["User", undefined],
    ["TargetUserName", "TargetDomainName"],
    ["SubjectUserName", "SubjectDomainName"],
    ["AccountName", "AccountDomain"],
    ["UserName", undefined],
    ["user.name", "user.domain"],
  ];
  for (const [field, domainField] of candidates) {
    const value = text(event, field);
    if (value === undefined) continue;
    const slash = value.indexOf("\\");
    if (slash > 0 && slash < value.length - 1) return { name: value.slice(slash + 1), domain: value.slice(0, slash) };
    const domain = domainField === undefined ? undefined : text(event, domainField);
    return domain === undefined ? { name: value } : { name: value, domain };
  }
  return undefined;
}

function processOf(event: Event): Record<string, unknown> | undefined {
  const hashes = text(event, "Hashes", "Hash");
  const sha256 = hashes === undefined ? undefined : SHA256.exec(hashes)?.[1]?.toLowerCase();
  return compact({
    name: text(event, "Image", "NewProcessName", "ProcessName", "process.executable", "process.name"),
    command_line: text(event, "CommandLine", "process.command_line"),
    pid: pid(event, "ProcessId", "NewProcessId", "process.pid"),
    parent_name: text(event, "ParentImage", "ParentProcessName", "process.parent.executable"),
    parent_command_line: text(event, "ParentCommandLine", "process.parent.command_line"),
    sha256,
  });
}

function srcOf(event: Event): Record<string, unknown> | undefined {
  return compact({
    ip: ip(event, "SourceIp", "IpAddress", "ClientAddress", "source.ip"),
    hostname: text(event, "SourceHostname", "WorkstationName", "source.domain"),
    port: port(event, "SourcePort", "IpPort", "source.port"),
  });
}

function dstOf(event: Event): Record<string, unknown> | undefined {
  const queried = text(event, "QueryName", "dns.question.name");
  return compact({
    ip: ip(event, "DestinationIp", "destination.ip"),
    hostname: text(event, "DestinationHostname"),
    domain: queried,
    port: port(event, "DestinationPort", "destination.port"),
  });
}

function networkOf(event: Event): Record<string, unknown> | undefined {
  const dns = text(event, "QueryName", "dns.question.name") !== undefined;
  return compact({ protocol: dns ? "DNS" : undefined, transport: text(event, "Protocol", "network.transport") });
}

const SYSMON = "microsoft-windows-sysmon/operational";

/** The crew's subtypes for the event kinds it reasons about; other events leave the subtype to the crew. */
function subtypeOf(event: Event): string | undefined {
  const channel = text(event, "Channel")?.toLowerCase();
  const id = text(event, "EventID");
  if ((channel === SYSMON && id === "1") || (channel === "security" && id === "4688")) return "process_creation";
  if (channel === SYSMON && id === "22") return "dns_query";
  return undefined;
}

function eventRef(source: EventSource): string {
  return source.id ?? `${source.file}:${source.record}`;
}

/** Stable across re-runs: the rule and the event it matched (for a correlation, its group and first event). */
function sourceIdOf(alert: DetectionAlert): string {
  if (alert.correlation) {
    const first = alert.events?.[0]?.source ?? alert.source;
    return `${alert.rule.id}:${JSON.stringify(sortedEntries(alert.correlation.group))}:${eventRef(first)}`;
  }
  return `${alert.rule.id}:${eventRef(alert.source)}`;
}

function sortedEntries(group: Record<string, unknown>): [string, unknown][] {
  return Object.entries(group).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function summary(alert: DetectionAlert, host: string | undefined, user: { name: string } | undefined, process: Record<string, unknown> | undefined): string {
  if (alert.correlation) {
    const { type, group, value, timespan } = alert.correlation;
    const by = sortedEntries(group)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    return `Sigma correlation "${alert.rule.title}" (${type}) reached ${value} within ${timespan}${by ? ` for ${by}` : ""}.`;
  }
  const eventId = text(alert.event, "EventID");
  const channel = text(alert.event, "Channel");
  const parts = [`Sigma rule "${alert.rule.title}" matched`];
  if (eventId !== undefined) parts.push(`event ${eventId}${channel ? ` (${channel})` : ""}`);
  if (host) parts.push(`on ${host}`);
  if (user) parts.push(`by ${user.name}`);
  const commandLine = process?.command_line ?? process?.name;
  return `${parts.join(" ")}${typeof commandLine === "string" ? `: ${commandLine}` : ""}.`;
}

/** The generic JSON alert for one detection (base or correlation). */
export function detectionToAlertInput(alert: DetectionAlert): Record<string, unknown> {
  const event = alert.event;
  const level = alert.rule.level.trim().toLowerCase();
  const host = text(event, "Computer", "host.name", "Hostname");
  const user = userOf(event);
  const process = processOf(event);
  const description = (alert.rule as { description?: unknown }).description;
  const raw: Record<string, unknown> = { event, source: alert.source };
  if (alert.correlation) raw.correlation = alert.correlation;
  if (alert.events) raw.events = alert.events;
  const input: Record<string, unknown> = {
    title: alert.rule.title,
    time: alert.time,
    severity: SIGMA_LEVELS.has(level) ? level : "medium",
    source: "sigma",
    source_id: sourceIdOf(alert),
    description: typeof description === "string" && description.trim() ? description.trim() : summary(alert, host, user, process),
    rule: compact({
      id: alert.rule.id,
      title: alert.rule.title,
      level: alert.rule.level.trim() || undefined,
      author: alert.rule.author.trim() || undefined,
      source: "sigma",
    }),
    attack: {
      tactics: alert.attack.tactics.filter((t) => t.trim() !== ""),
      techniques: alert.attack.techniques.map((t) => t.toUpperCase()).filter((t) => TECHNIQUE.test(t)),
    },
    raw,
  };
  const optional: Record<string, unknown> = {
    subtype: alert.correlation ? undefined : subtypeOf(event),
    host,
    user,
    process,
    src: srcOf(event),
    dst: dstOf(event),
    network: networkOf(event),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) input[key] = value;
  if (typeof process?.name === "string") input.observables = [{ type: "process", value: process.name, role: "actor" }];
  return input;
}
