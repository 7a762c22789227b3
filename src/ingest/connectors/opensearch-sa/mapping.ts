import { isIP } from "node:net";
import { z } from "zod";
import { SEVERITIES, parseJson, tacticOf, type Severity } from "../../../core/index.js";

/**
 * OpenSearch Security Analytics records as its REST API returns them (see testing.ts for the sources).
 * Only what the mapping reads is typed; everything else is kept in `raw`.
 *
 * A finding (`GET _plugins/_security_analytics/findings/_search`): `detectorId`, `id`, `related_doc_ids`,
 * `index`, `queries` (the Sigma rules that matched: `id` = rule id, `name` = rule title on recent plugins
 * or the rule id on old ones, `tags` = [rule level, log type, …rule tags such as `attack.t1059.001`]),
 * `timestamp` (epoch ms) and `document_list` ({index, id, found, document} where `document` is the
 * matched log document as a JSON STRING).
 */
const Scalar = z.union([z.string(), z.number()]).transform(String);
const Strings = z.array(z.unknown()).transform((items) => items.filter((v): v is string => typeof v === "string"));

export const FindingQuery = z.looseObject({
  id: Scalar.optional().catch(undefined),
  name: z.string().optional().catch(undefined),
  query: z.string().optional().catch(undefined),
  tags: Strings.optional().catch(undefined),
});
export type FindingQuery = z.infer<typeof FindingQuery>;

export const FindingDocument = z.looseObject({
  index: z.string().optional().catch(undefined),
  id: Scalar.optional().catch(undefined),
  found: z.boolean().optional().catch(undefined),
  document: z.unknown().optional(),
});

export const Finding = z.looseObject({
  detectorId: Scalar.optional().catch(undefined),
  id: Scalar,
  related_doc_ids: z.array(Scalar).optional().catch(undefined),
  index: z.string().optional().catch(undefined),
  queries: z.array(FindingQuery).optional().catch(undefined),
  timestamp: z.union([z.number(), z.string()]).optional().catch(undefined),
  document_list: z.array(FindingDocument).optional().catch(undefined),
});
export type Finding = z.infer<typeof Finding>;

/** A trigger alert (`GET _plugins/_security_analytics/alerts`): times are ISO strings (Instant), severity "1".."5". */
export const TriggerAlert = z.looseObject({
  detector_id: Scalar.optional().catch(undefined),
  id: Scalar,
  trigger_id: Scalar.optional().catch(undefined),
  trigger_name: z.string().optional().catch(undefined),
  finding_ids: z.array(Scalar).optional().catch(undefined),
  related_doc_ids: z.array(Scalar).optional().catch(undefined),
  state: z.string().optional().catch(undefined),
  severity: Scalar.nullable().optional().catch(undefined),
  error_message: z.string().nullable().optional().catch(undefined),
  start_time: z.union([z.string(), z.number()]).nullable().optional().catch(undefined),
  end_time: z.union([z.string(), z.number()]).nullable().optional().catch(undefined),
  acknowledged_time: z.union([z.string(), z.number()]).nullable().optional().catch(undefined),
});
export type TriggerAlert = z.infer<typeof TriggerAlert>;

/** What the detectors search tells about a detector (for names in titles). */
export interface DetectorInfo {
  name?: string;
  type?: string;
}

/** A document behind a finding, parsed: `source` is null when the document could not be read. */
export interface FetchedDocument {
  index: string | null;
  id: string;
  found: boolean;
  source: Record<string, unknown> | null;
}

// ---- severity tables -------------------------------------------------------------------------------

/** Sigma rule levels (the first tag of a finding's query) to Nightshift severities. */
export const DEFAULT_LEVEL_SEVERITIES: Record<string, Severity> = {
  informational: "informational",
  low: "low",
  medium: "medium",
  high: "high",
  critical: "critical",
};

/** Trigger severities of a detector ("1" highest … "5" lowest) to Nightshift severities. */
export const DEFAULT_TRIGGER_SEVERITIES: Record<string, Severity> = {
  "1": "critical",
  "2": "high",
  "3": "medium",
  "4": "low",
  "5": "informational",
};

export const SeverityTable = z.record(z.string().min(1), z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(", ")}` }));

const RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

function lookup(table: Record<string, Severity>, key: string): Severity | undefined {
  if (key in table) return table[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(table)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The highest severity among the rule levels carried by the queries' tags, with the level that gave it. */
export function findingSeverity(queries: FindingQuery[], table: Record<string, Severity>): { severity: Severity; level?: string } {
  let best: { severity: Severity; level?: string } | null = null;
  for (const query of queries)
    for (const tag of query.tags ?? []) {
      const severity = lookup(table, tag);
      if (severity && (!best || RANK[severity] > RANK[best.severity])) best = { severity, level: tag.toLowerCase() };
    }
  return best ?? { severity: "medium" };
}

// ---- ATT&CK from Sigma tags ------------------------------------------------------------------------

const TECHNIQUE_TAG = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;

export function attackFromTags(tags: string[]): { techniques: string[]; tactics: string[] } {
  const techniques = new Set<string>();
  const tactics = new Set<string>();
  for (const tag of tags) {
    const technique = TECHNIQUE_TAG.exec(tag.trim());
    if (technique) techniques.add(technique[1]!.toUpperCase());
    const name = /^attack\.[a-z_-]+$/i.test(tag.trim()) ? tacticOf(tag)?.name : undefined;
    if (name) tactics.add(name);
  }
  return { techniques: [...techniques], tactics: [...tactics] };
}

// ---- the documents behind a finding ------------------------------------------------------------------

/** `document` is a JSON string in the API; an object (or garbage) is tolerated. */
export function parseDocument(document: unknown): Record<string, unknown> | null {
  if (isObject(document)) return document;
  if (typeof document !== "string" || !document.trim()) return null;
  try {
    const parsed: unknown = parseJson(document);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A field by dotted path, as nested objects (`host: {name}`), a flat dotted key (`"host.name"`) or a mix. */
export function field(doc: Json, path: string): unknown {
  if (path in doc) return doc[path];
  const parts = path.split(".");
  for (let i = 1; i < parts.length; i++) {
    const head = parts.slice(0, i).join(".");
    const next = doc[head];
    if (isObject(next)) {
      const found = field(next, parts.slice(i).join("."));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function first(docs: Json[], paths: string[], read: (v: unknown) => string | undefined): string | undefined {
  for (const doc of docs)
    for (const path of paths) {
      const value = field(doc, path);
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) {
        const out = read(v);
        if (out !== undefined) return out;
      }
    }
  return undefined;
}

const text = (v: unknown) => (typeof v === "string" && v.trim() && v.trim() !== "-" ? v.trim() : typeof v === "number" ? String(v) : undefined);
const ip = (v: unknown) => {
  const t = typeof v === "string" ? v.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "") : undefined;
  return t && isIP(t) ? t : undefined;
};
const portText = (v: unknown) => {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 65535 ? String(n) : undefined;
};
const pidText = (v: unknown) => {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? String(n) : undefined;
};
/** A Windows image path's file name (`C:\Windows\System32\cmd.exe` → `cmd.exe`). */
const basename = (v: unknown) => {
  const t = text(v);
  return t ? t.split(/[\\/]/).pop() || undefined : undefined;
};

const HOST_NAME = ["host.name", "host.hostname", "winlog.computer_name", "Computer", "computer_name", "ComputerName", "Hostname", "HostName", "agent.hostname"];
const HOST_IP = ["host.ip"];
const USER_NAME = ["user.name", "winlog.event_data.User", "User", "winlog.event_data.SubjectUserName", "SubjectUserName", "winlog.event_data.TargetUserName", "TargetUserName", "winlog.user.name", "UserName", "AccountName", "userIdentity.userName", "userIdentity.arn"];
const USER_DOMAIN = ["user.domain", "winlog.event_data.SubjectDomainName", "SubjectDomainName", "winlog.event_data.TargetDomainName", "TargetDomainName", "winlog.user.domain"];
const SRC_IP = ["source.ip", "client.ip", "winlog.event_data.SourceIp", "SourceIp", "winlog.event_data.IpAddress", "IpAddress", "src_ip", "srcip", "sourceIPAddress"];
const SRC_PORT = ["source.port", "client.port", "winlog.event_data.SourcePort", "SourcePort", "winlog.event_data.IpPort", "IpPort", "src_port"];
const SRC_HOST = ["source.domain", "winlog.event_data.SourceHostname", "SourceHostname", "winlog.event_data.WorkstationName", "WorkstationName"];
const DST_IP = ["destination.ip", "server.ip", "winlog.event_data.DestinationIp", "DestinationIp", "dst_ip", "dstip"];
const DST_PORT = ["destination.port", "server.port", "winlog.event_data.DestinationPort", "DestinationPort", "dst_port"];
const DST_HOST = ["winlog.event_data.DestinationHostname", "DestinationHostname"];
const DST_DOMAIN = ["destination.domain", "dns.question.name", "winlog.event_data.QueryName", "QueryName", "url.domain"];
const URL = ["url.full", "url.original"];
const PROCESS_NAME = ["process.name"];
const PROCESS_IMAGE = ["process.executable", "winlog.event_data.Image", "Image", "NewProcessName", "winlog.event_data.NewProcessName"];
const COMMAND_LINE = ["process.command_line", "winlog.event_data.CommandLine", "CommandLine"];
const PID = ["process.pid", "winlog.event_data.ProcessId", "ProcessId"];
const PARENT_NAME = ["process.parent.name"];
const PARENT_IMAGE = ["process.parent.executable", "winlog.event_data.ParentImage", "ParentImage", "ParentProcessName"];
const PARENT_COMMAND_LINE = ["process.parent.command_line", "winlog.event_data.ParentCommandLine", "ParentCommandLine"];
const SHA256 = ["process.hash.sha256", "file.hash.sha256", "hash.sha256"];
const HASHES = ["winlog.event_data.Hashes", "Hashes"];

/** Sysmon's `Hashes` ("SHA1=…,MD5=…,SHA256=…,IMPHASH=…") as {algorithm: digest}. */
export function parseHashes(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(/[,;]\s*/)) {
    const match = /^\s*([A-Za-z0-9]+)=([0-9a-fA-F]+)\s*$/.exec(part);
    if (match) out[match[1]!.toLowerCase()] = match[2]!.toLowerCase();
  }
  return out;
}

const DIGEST: Record<string, RegExp> = { md5: /^[0-9a-f]{32}$/, sha1: /^[0-9a-f]{40}$/, sha256: /^[0-9a-f]{64}$/ };

/** A `DOMAIN\user` or `user@domain` Windows account split in two. */
function splitAccount(name: string): { name: string; domain?: string } {
  const backslash = name.indexOf("\\");
  if (backslash > 0 && backslash < name.length - 1) return { domain: name.slice(0, backslash), name: name.slice(backslash + 1) };
  return { name };
}

function compact<T extends Record<string, unknown>>(value: T): Partial<T> | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

/**
 * The alert fields the documents behind a finding carry (ECS, Windows/Sysmon event data, CloudTrail):
 * the first document holding a field wins. Values the generic schema would refuse are left out.
 */
export function fieldsFromDocuments(docs: Json[]): Record<string, unknown> {
  const hostIps = [...new Set(docs.flatMap((doc) => HOST_IP.flatMap((p) => [field(doc, p)].flat().map(ip))).filter((v): v is string => !!v))];
  const userRaw = first(docs, USER_NAME, text);
  const account = userRaw ? splitAccount(userRaw) : undefined;
  const domain = account?.domain ?? (account ? first(docs, USER_DOMAIN, text) : undefined);
  const sha256 = first(docs, SHA256, (v) => (typeof v === "string" && DIGEST.sha256!.test(v.trim().toLowerCase()) ? v.trim().toLowerCase() : undefined));
  const hashes: Record<string, string> = {};
  for (const doc of docs)
    for (const path of HASHES) {
      const value = field(doc, path);
      if (typeof value === "string") for (const [algo, digest] of Object.entries(parseHashes(value))) if (DIGEST[algo]?.test(digest) && !hashes[algo]) hashes[algo] = digest;
    }
  const processSha = sha256 ?? hashes.sha256;
  const observables = [
    ...new Set([processSha, hashes.sha1, hashes.md5].filter((v): v is string => !!v)),
  ].map((value) => ({ type: "file_hash", value }));
  const pid = first(docs, PID, pidText);
  const srcPort = first(docs, SRC_PORT, portText);
  const dstPort = first(docs, DST_PORT, portText);
  return Object.fromEntries(
    Object.entries({
      host: compact({ name: first(docs, HOST_NAME, text), ip: hostIps }),
      user: account ? compact({ name: account.name, domain }) : undefined,
      src: compact({ ip: first(docs, SRC_IP, ip), hostname: first(docs, SRC_HOST, text), port: srcPort === undefined ? undefined : Number(srcPort) }),
      dst: compact({
        ip: first(docs, DST_IP, ip),
        hostname: first(docs, DST_HOST, text),
        domain: first(docs, DST_DOMAIN, text),
        port: dstPort === undefined ? undefined : Number(dstPort),
      }),
      url: first(docs, URL, text),
      process: compact({
        name: first(docs, PROCESS_NAME, text) ?? first(docs, PROCESS_IMAGE, basename),
        command_line: first(docs, COMMAND_LINE, text),
        pid: pid === undefined ? undefined : Number(pid),
        parent_name: first(docs, PARENT_NAME, text) ?? first(docs, PARENT_IMAGE, basename),
        parent_command_line: first(docs, PARENT_COMMAND_LINE, text),
        sha256: processSha,
      }),
      observables: observables.length ? observables : undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

// ---- records to generic alerts ---------------------------------------------------------------------

export const SOURCE = "opensearch_sa";
const MAX_RELATED_IDS = 50;
const MAX_QUERY_TEXT = 2000;

/** Epoch ms (number or numeric string) or an ISO string as UTC ISO; null when unreadable. */
export function vendorTime(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value !== "string" || !value.trim()) return null;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

export interface FindingMappingOptions {
  levels: Record<string, Severity>;
  detector?: DetectorInfo;
  /** Why the documents could not be fetched (kept in unmapped so the gap is visible). */
  documentsError?: string;
}

/**
 * One finding as a generic alert: source_id the finding id (the idempotency key), time the finding's
 * timestamp, title the matched Sigma rule, severity the highest rule level through the table, ATT&CK
 * from the rule tags, and the entities of the documents behind it. `raw` keeps the finding (its
 * document strings left out) and the parsed documents.
 */
export function findingToAlert(finding: Finding, documents: FetchedDocument[], options: FindingMappingOptions): Record<string, unknown> {
  const queries = (finding.queries ?? []).filter((q) => q.id !== undefined || q.name);
  const main = queries[0];
  const tags = [...new Set(queries.flatMap((q) => q.tags ?? []))];
  const { severity, level } = findingSeverity(queries, options.levels);
  const ruleTitle = main ? (main.name && main.name !== main.id ? main.name : undefined) : undefined;
  const detectorName = options.detector?.name;
  const baseTitle = ruleTitle ?? (main?.id ? `Sigma rule ${main.id}` : "Security Analytics finding");
  const title = `${baseTitle}${queries.length > 1 ? ` (+${queries.length - 1} more rule${queries.length > 2 ? "s" : ""})` : ""}`;
  // Tags are [rule level, log type, …rule tags]: what is neither a level nor ATT&CK is the log type first.
  const levelNames = new Set([...Object.keys(options.levels), ...SEVERITIES].map((k) => k.toLowerCase()));
  const otherTags = tags.filter((t) => !/^attack\./i.test(t) && !levelNames.has(t.toLowerCase()));
  const parsed = documents.filter((d) => d.source).map((d) => d.source!);
  const missing = (finding.related_doc_ids ?? []).filter((id) => !documents.some((d) => d.id === id && d.source));
  const { document_list: _omitted, ...findingWithoutDocuments } = finding;
  void _omitted;
  const description = [
    detectorName ? `Detector: ${detectorName}` : undefined,
    main?.query ? `Query: ${main.query.slice(0, MAX_QUERY_TEXT)}` : undefined,
  ].filter(Boolean);
  const alert: Record<string, unknown> = {
    title,
    time: vendorTime(finding.timestamp) ?? undefined,
    severity,
    source: SOURCE,
    source_id: finding.id,
    description: description.length ? description.join("\n") : undefined,
    rule: main ? compact({ id: main.id, title: ruleTitle ?? (main.id ? undefined : main.name), level, source: "sigma" }) : undefined,
    attack: compact(attackFromTags(tags)),
    ...fieldsFromDocuments(parsed),
    unmapped: compact({
      vendor_severity: level,
      detector_id: finding.detectorId,
      detector_name: detectorName,
      detector_type: options.detector?.type ?? otherTags[0],
      finding_index: finding.index,
      related_doc_ids: (finding.related_doc_ids ?? []).slice(0, MAX_RELATED_IDS),
      rule_ids: queries.length > 1 ? queries.map((q) => q.id ?? q.name) : undefined,
      rule_tags: tags.length ? tags : undefined,
      documents_missing: missing.length ? missing.slice(0, MAX_RELATED_IDS) : undefined,
      documents_error: missing.length ? options.documentsError : undefined,
    }),
    raw: { finding: findingWithoutDocuments, documents },
  };
  return Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined));
}

export interface TriggerMappingOptions {
  severities: Record<string, Severity>;
  detector?: DetectorInfo;
}

/** One trigger alert as a generic alert: source_id `alert:<id>` (apart from finding ids), time its start_time. */
export function triggerAlertToAlert(alert: TriggerAlert, options: TriggerMappingOptions): Record<string, unknown> {
  const native = alert.severity ?? undefined;
  const severity = (native !== undefined ? lookup(options.severities, native) : undefined) ?? "medium";
  const detectorName = options.detector?.name;
  const trigger = text(alert.trigger_name);
  const title = `${trigger ?? "Security Analytics trigger"}${detectorName ? ` — ${detectorName}` : ""}`;
  const out: Record<string, unknown> = {
    title,
    time: vendorTime(alert.start_time) ?? undefined,
    severity,
    source: SOURCE,
    source_id: `alert:${alert.id}`,
    description: text(alert.error_message ?? undefined),
    rule: alert.trigger_id !== undefined || trigger ? compact({ id: alert.trigger_id, title: trigger, level: native, source: "opensearch_sa_trigger" }) : undefined,
    unmapped: compact({
      vendor_severity: native,
      record_type: "trigger_alert",
      detector_id: alert.detector_id,
      detector_name: detectorName,
      detector_type: options.detector?.type,
      alert_state: alert.state,
      finding_ids: (alert.finding_ids ?? []).slice(0, MAX_RELATED_IDS),
      related_doc_ids: (alert.related_doc_ids ?? []).slice(0, MAX_RELATED_IDS),
    }),
    raw: alert,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
