/**
 * An event's own time: the documented time field of each format the readers accept, in this order (the first
 * one present that parses wins). An event with none of them is "untimed": stored with its arrival time, left
 * out of correlation windows, and counted by the detector and `ingest logs`.
 */
export const TIME_FIELDS: readonly { field: string; format: string }[] = [
  { field: "TimeCreated_SystemTime", format: "EVTX System/TimeCreated (and its SigmaHQ JSON twins)" },
  { field: "@timestamp", format: "ECS: Winlogbeat, Elastic Agent, Filebeat, Logstash" },
  { field: "winlog.time_created", format: "Winlogbeat (the record's creation time)" },
  { field: "UtcTime", format: "Sysmon event data (UTC)" },
  { field: "EventTime", format: "NXLog im_msvistalog" },
  { field: "EventReceivedTime", format: "NXLog (when the agent read the record)" },
  { field: "eventTime", format: "AWS CloudTrail" },
  { field: "published", format: "Okta System Log" },
  { field: "CreationTime", format: "Microsoft 365 Management Activity API (UTC)" },
  { field: "createdDateTime", format: "Microsoft Entra ID (Azure AD) sign-in logs, Graph API" },
  { field: "eventTimestamp", format: "Azure Activity Log (REST)" },
  { field: "TimeGenerated", format: "Azure Monitor / Log Analytics, Microsoft Sentinel" },
  { field: "timestamp", format: "Suricata EVE, Google Cloud audit logs, generic JSON" },
  { field: "time", format: "OCSF (epoch milliseconds), Azure diagnostic and sign-in log exports" },
  { field: "time_dt", format: "OCSF datetime profile" },
  { field: "ts", format: "Zeek JSON logs (epoch seconds)" },
  { field: "__REALTIME_TIMESTAMP", format: "journald JSON export (epoch microseconds)" },
  { field: "timereported", format: "rsyslog JSON templates" },
  { field: "ISODATE", format: "syslog-ng JSON" },
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a.b.c` from nested objects or from a flat dotted key. */
function pathValue(event: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(event, path)) return event[path];
  let current: unknown = event;
  for (const part of path.split(".")) {
    if (!isObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

/** The event's own time as ISO-8601 UTC, or null when none of `TIME_FIELDS` holds a time that parses. */
export function eventTime(event: Record<string, unknown>): string | null {
  for (const { field } of TIME_FIELDS) {
    const iso = toIso(pathValue(event, field));
    if (iso) return iso;
  }
  return null;
}

/** Earliest and latest times taken as plausible (a counter or an id in a time field is not a time). */
const MIN_MS = Date.UTC(1990, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);

/** Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude. */
function fromEpoch(value: number): number | null {
  const abs = Math.abs(value);
  const ms = abs < 1e11 ? value * 1000 : abs < 1e14 ? value : abs < 1e17 ? value / 1000 : value / 1e6;
  return ms >= MIN_MS && ms < MAX_MS ? ms : null;
}

// ISO-8601 / RFC 3339: date, `T` or a space, time, optional fraction, optional zone (Z, ±hh:mm, ±hhmm, ±hh).
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function toIso(value: unknown): string | null {
  let ms: number | null = null;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number" && Number.isFinite(value)) ms = fromEpoch(value);
  else if (typeof value === "string") {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) ms = fromEpoch(Number(text));
    else {
      const match = ISO.exec(text);
      if (match) {
        const [, date = "", clock = "", fraction = "", zone = "Z"] = match;
        const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
        // A time without a zone is taken as UTC (Sysmon's UtcTime, M365's CreationTime, NXLog's EventTime).
        ms = Date.parse(`${date}T${clock.length === 5 ? `${clock}:00` : clock}.${fraction.padEnd(3, "0").slice(0, 3)}${offset}`);
      }
    }
  }
  if (ms === null || Number.isNaN(ms) || ms < MIN_MS || ms >= MAX_MS) return null;
  return new Date(ms).toISOString();
}
