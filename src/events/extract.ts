import { canonicalJson, sha256 } from "../core/index.js";
import { eventTime } from "../detect/engine.js";

/** Where an event came from: a file name and record number, or "api" / a source name and its position. */
export interface EventOrigin {
  file: string;
  record: number;
}

export interface NewEvent {
  id: string;
  time: string;
  received_at: string;
  host: string | null;
  user: string | null;
  process: string | null;
  process_id: string | null;
  process_guid: string | null;
  parent_process_id: string | null;
  parent_process_guid: string | null;
  parent_process: string | null;
  event_id: string | null;
  channel: string | null;
  provider: string | null;
  origin: EventOrigin;
  data: Record<string, unknown>;
}

export type StoredEvent = NewEvent;

/** The same normalised event always gets the same id, whichever file or request brought it. */
export function eventKey(data: Record<string, unknown>): string {
  return sha256(canonicalJson(data));
}

/** A flat key ("host.name" as one key) wins over the nested path (host → name), as in the detection engine. */
export function fieldValue(data: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(data, field)) return data[field];
  let current: unknown = data;
  for (const part of field.split(".")) {
    if (!isObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Windows writes "-" where a field has no value. */
function text(value: unknown): string | null {
  if (Array.isArray(value)) return value.length ? text(value[0]) : null;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" || trimmed === "-" ? null : trimmed;
}

function first(data: Record<string, unknown>, fields: string[]): string | null {
  for (const field of fields) {
    const value = text(fieldValue(data, field));
    if (value !== null) return value;
  }
  return null;
}

/** Security events give pids in hex ("0x1a2c"), Sysmon and ECS in decimal: both become decimal text. */
export function normalisePid(value: string | null): string | null {
  if (value === null) return null;
  if (/^0x[0-9a-f]+$/i.test(value)) return BigInt(value).toString();
  if (/^\d+$/.test(value)) return BigInt(value).toString();
  return value;
}

/** EVTX XML writes "{GUID}", its JSON twins "GUID": one form, so parent and child link. */
export function normaliseGuid(value: string | null): string | null {
  if (value === null) return null;
  return value.replace(/^\{(.*)\}$/, "$1").toUpperCase();
}

// auditd's own "hostname" is the remote end of a login, so it is not read as the event's host; "node" is.
const HOST_FIELDS = ["Computer", "host.name", "host.hostname", "Hostname", "ComputerName", "agent.hostname", "node", "_HOSTNAME", "host"];
const USER_FIELDS = ["User", "TargetUserName", "SubjectUserName", "user.name", "UserName", "AccountName", "UID", "AUID", "acct"];
const PROCESS_FIELDS = ["Image", "NewProcessName", "process.executable", "ProcessName", "Application", "exe", "process.name", "comm"];
const PARENT_FIELDS = ["ParentImage", "ParentProcessName", "process.parent.executable", "process.parent.name"];
const GUID_FIELDS = ["ProcessGuid", "process.entity_id"];
const PARENT_GUID_FIELDS = ["ParentProcessGuid", "process.parent.entity_id"];
const CHANNEL_FIELDS = ["Channel", "winlog.channel", "event.dataset"];
const PROVIDER_FIELDS = ["Provider_Name", "winlog.provider_name", "event.provider", "SourceName", "event.module"];
const EVENT_ID_FIELDS = ["EventID", "winlog.event_id", "event.code"];

/** Extracts the indexed columns from a normalised event (Sysmon, Security 4688/4624…, ECS, auditd names). */
export function toNewEvent(data: Record<string, unknown>, origin: EventOrigin, receivedAt: string): NewEvent {
  const eventId = first(data, EVENT_ID_FIELDS);
  const isSecurity4688 = eventId === "4688";
  const processId = isSecurity4688
    ? first(data, ["NewProcessId"])
    : first(data, ["ProcessId", "process.pid", "pid"]);
  const parentProcessId = isSecurity4688
    ? first(data, ["ProcessId", "ParentProcessId"])
    : first(data, ["ParentProcessId", "process.parent.pid", "ppid"]);
  return {
    id: eventKey(data),
    time: eventTime(data) ?? new Date(receivedAt).toISOString(),
    received_at: receivedAt,
    host: first(data, HOST_FIELDS),
    user: first(data, USER_FIELDS),
    process: first(data, PROCESS_FIELDS),
    process_id: normalisePid(processId),
    process_guid: normaliseGuid(first(data, GUID_FIELDS)),
    parent_process_id: normalisePid(parentProcessId),
    parent_process_guid: normaliseGuid(first(data, PARENT_GUID_FIELDS)),
    parent_process: first(data, PARENT_FIELDS),
    event_id: eventId,
    channel: first(data, CHANNEL_FIELDS),
    provider: first(data, PROVIDER_FIELDS),
    origin,
    data,
  };
}

const EXEC_SYSCALLS = new Set(["execve", "execveat", "59", "322", "11", "358"]);
const ECS_START_ACTIONS = new Set(["exec", "process_started", "process-started", "started-process", "executed", "process_start"]);

/** Process-creation events: Sysmon 1 (Windows and Linux), Security 4688, ECS process start, auditd execve. */
export function isProcessStart(event: NewEvent): boolean {
  const source = `${event.channel ?? ""} ${event.provider ?? ""}`.toLowerCase();
  if (event.event_id === "1" && (source.includes("sysmon") || (event.process_guid !== null && source.trim() === ""))) return true;
  if (event.event_id === "4688" && !source.includes("sysmon")) return true;
  const data = event.data;
  const category = listOf(fieldValue(data, "event.category"));
  const type = listOf(fieldValue(data, "event.type"));
  if (category.includes("process") && type.includes("start")) return true;
  const action = text(fieldValue(data, "event.action"))?.toLowerCase();
  if (action && ECS_START_ACTIONS.has(action) && event.process_id !== null) return true;
  const auditType = text(fieldValue(data, "type"));
  const syscall = text(fieldValue(data, "syscall"))?.toLowerCase();
  return auditType === "SYSCALL" && syscall !== undefined && EXEC_SYSCALLS.has(syscall);
}

function listOf(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === "string").map((v) => v.toLowerCase());
}

/** Lower-case host, so "WS-01" and "ws-01" are one host. */
export function hostKey(host: string | null): string | null {
  return host === null ? null : host.toLowerCase();
}

/** The account without its domain ("CORP\\alice", "alice@corp" → "alice"), lower-case. */
export function userKey(user: string | null): string | null {
  if (user === null) return null;
  const backslash = user.lastIndexOf("\\");
  const bare = backslash >= 0 ? user.slice(backslash + 1) : user.includes("@") ? user.slice(0, user.indexOf("@")) : user;
  return bare.toLowerCase();
}

/** The image's file name, lower-case: "C:\\Windows\\System32\\cmd.exe" → "cmd.exe". */
export function processName(process: string | null): string | null {
  if (process === null) return null;
  const name = process.split(/[\\/]/).pop() ?? process;
  return name.toLowerCase();
}

const NUL = String.fromCharCode(0);
const UNSTORABLE = new RegExp(`[${NUL}\\uD800-\\uDFFF]`);

/**
 * PostgreSQL refuses NUL characters and lone UTF-16 surrogates (in text and in jsonb), which binary EVTX
 * fields can carry: both become U+FFFD, on both backends alike, so the stored event reads the same everywhere.
 */
export function storable<T>(value: T): T {
  if (typeof value === "string") return (UNSTORABLE.test(value) ? wellFormed(value) : value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (isObject(value)) {
    // A null prototype keeps a "__proto__" key as data.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) out[storable(k)] = storable(v);
    return out as T;
  }
  return value;
}

function wellFormed(value: string): string {
  const paired = value.replaceAll(NUL, "\uFFFD");
  return (paired as string & { toWellFormed(): string }).toWellFormed();
}

/** Cheap test on the JSON text: only events that may need it are walked. */
export function mayNeedStorable(json: string): boolean {
  return /\\u0000|\\ud[89a-f]/i.test(json);
}

const SEPARATORS = /[^\p{L}\p{N}]+/gu;
const TOO_LONG = /[^ ]{257,}/g;
const MAX_BODY = 200_000;

/** The words full-text search sees, split the same way for SQLite and PostgreSQL and for stored text and queries. */
export function words(value: string): string[] {
  const text = wordText(value);
  return text === "" ? [] : text.split(" ");
}

/** Lower-case words separated by single spaces; words over 256 characters (encoded blobs) are left out. */
function wordText(value: string): string {
  let text = value.toLowerCase().replace(SEPARATORS, " ");
  if (text.length > 256) text = text.replace(TOO_LONG, " ").replace(/ {2,}/g, " ");
  return text.trim();
}

/** Every string and number value of the event (not its keys), as words separated by spaces. */
export function bodyOf(data: unknown): string {
  const values: string[] = [];
  let size = 0;
  const visit = (value: unknown) => {
    if (size >= MAX_BODY) return;
    if (typeof value === "string") {
      values.push(value);
      size += value.length;
    } else if (typeof value === "number" || typeof value === "bigint") values.push(String(value));
    else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) for (const v of Object.values(value)) visit(v);
  };
  visit(data);
  const text = wordText(values.join(" "));
  if (text.length <= MAX_BODY) return text;
  const cut = text.lastIndexOf(" ", MAX_BODY);
  return text.slice(0, cut > 0 ? cut : MAX_BODY);
}
