import { isIP } from "node:net";
import { z } from "zod";
import { SEVERITIES, type Severity } from "../../../core/index.js";

/**
 * An Elastic Security detection alert as the detection engine writes it to
 * `.alerts-security.alerts-<space>` (8.x alert schema, elastic.co/guide/en/security/current/alert-schema.html):
 * the `kibana.alert.*` fields are stored DOTTED at the top of `_source` ("kibana.alert.rule.name": …),
 * the ECS fields copied from the source event are stored nested (host: {name, ip}) — but either form
 * may appear for any field (a re-index, an ingest pipeline, a hand-written document), so every read
 * goes through `field()`, which accepts flattened, nested and mixed paths.
 */
export interface ElasticHit {
  _id: string;
  _index?: string;
  _source: unknown;
  sort?: unknown[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value at a dotted path, whether the document stores it flattened, nested or a mix of both. */
export function field(source: unknown, path: string): unknown {
  const walk = (node: unknown, parts: string[]): unknown => {
    if (!parts.length) return node;
    if (!isObject(node)) return undefined;
    // The longest dotted key first: "kibana.alert.rule.name" before "kibana" → "alert" → …
    for (let take = parts.length; take >= 1; take--) {
      const key = parts.slice(0, take).join(".");
      if (!(key in node)) continue;
      const found = walk(node[key], parts.slice(take));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(source, path.split("."));
}

/** Elastic rule severities (low, medium, high, critical) to Nightshift severities; keys case-insensitive. */
export type SeverityMap = Record<string, Severity>;

export const DEFAULT_SEVERITY_MAP: SeverityMap = { low: "low", medium: "medium", high: "high", critical: "critical" };

/** A configured table is laid over the defaults, so naming one severity does not unmap the others. */
export const SeverityMapInput = z
  .record(z.string().min(1), z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(", ")}` }))
  .transform((table) => ({ ...DEFAULT_SEVERITY_MAP, ...Object.fromEntries(Object.entries(table).map(([k, v]) => [k.trim().toLowerCase(), v])) }));

export function severityFor(native: string | undefined, table: SeverityMap): Severity {
  if (!native) return "medium";
  return table[native.trim().toLowerCase()] ?? "medium";
}

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/i;
const MAX_DESCRIPTION = 4000;

const text = (value: unknown): string | undefined => {
  const one = Array.isArray(value) ? value.find((v) => typeof v === "string" || typeof v === "number") : value;
  if (typeof one === "string" && one.trim()) return one.trim();
  if (typeof one === "number" && Number.isFinite(one)) return String(one);
  return undefined;
};
const texts = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).map(text).filter((v): v is string => v !== undefined);
const ip = (value: unknown) => {
  const t = text(value);
  return t && isIP(t) ? t : undefined;
};
const ips = (value: unknown) => texts(value).filter((v) => isIP(v) !== 0);
function port(value: unknown): number | undefined {
  const t = text(value);
  const n = t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
  return n !== undefined && n <= 65535 ? n : undefined;
}
function count(value: unknown): number | undefined {
  const t = text(value);
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}
function bool(value: unknown): boolean | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  if (typeof one === "boolean") return one;
  if (one === "true") return true;
  if (one === "false") return false;
  return undefined;
}
const hash = (value: unknown, length: number) => {
  const t = text(value)?.toLowerCase();
  return t && new RegExp(`^[0-9a-f]{${length}}$`).test(t) ? t : undefined;
};

function compact<T extends Json>(value: T): Partial<T> | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

/** A date field as UTC ISO (ISO-8601 or epoch milliseconds); null when unreadable. */
export function elasticTime(value: unknown): string | null {
  const one = Array.isArray(value) ? value[0] : value;
  const ms = typeof one === "number" ? one : typeof one === "string" ? Date.parse(one.trim()) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** `@timestamp`: when the rule wrote the alert — the checkpoint's clock (monotonic per writer, unlike the event time). */
export function alertTimestamp(source: unknown): string | null {
  return elasticTime(field(source, "@timestamp"));
}

/** The alert's stable id: `kibana.alert.uuid` (also the document `_id` the detection engine writes). */
export function alertId(hit: ElasticHit): string {
  return text(field(hit._source, "kibana.alert.uuid")) ?? hit._id;
}

/** ATT&CK from kibana.alert.rule.threat[]: tactic names, technique and sub-technique ids. */
export function threatOf(source: unknown): { tactics: string[]; tacticIds: string[]; techniques: string[] } {
  const threats = field(source, "kibana.alert.rule.threat");
  const tactics: string[] = [];
  const tacticIds: string[] = [];
  const techniques: string[] = [];
  const add = (list: string[], value: string | undefined) => {
    if (value && !list.includes(value)) list.push(value);
  };
  for (const threat of Array.isArray(threats) ? threats : isObject(threats) ? [threats] : []) {
    const framework = text(field(threat, "framework"));
    if (framework && !/att&?ck/i.test(framework)) continue;
    add(tactics, text(field(threat, "tactic.name")));
    add(tacticIds, text(field(threat, "tactic.id")));
    const list = field(threat, "technique");
    for (const technique of Array.isArray(list) ? list : isObject(list) ? [list] : []) {
      const id = text(field(technique, "id"));
      if (id && TECHNIQUE.test(id)) add(techniques, id.toUpperCase());
      const subs = field(technique, "subtechnique");
      for (const sub of Array.isArray(subs) ? subs : isObject(subs) ? [subs] : []) {
        const subId = text(field(sub, "id"));
        if (subId && TECHNIQUE.test(subId)) add(techniques, subId.toUpperCase());
      }
    }
  }
  return { tactics, tacticIds, techniques };
}

/**
 * One `_search` hit as a generic alert. source "elastic", source_id `kibana.alert.uuid`, time the
 * ORIGINAL event's time (`kibana.alert.original_time`, when the activity happened) falling back to
 * `@timestamp` (when the rule wrote the alert, which is what the checkpoint follows); both are kept in
 * `unmapped`. Severity is the rule's severity through the table; the risk score (0–100) is the rule's
 * weighting, not a confidence, so it stays in `unmapped.risk_score`. Values that would not pass the
 * generic schema (an "IP" that is not one, a port out of range) are left out, not guessed.
 */
export function elasticHitToAlert(hit: ElasticHit, table: SeverityMap = DEFAULT_SEVERITY_MAP): Record<string, unknown> {
  const doc = hit._source;
  const get = (path: string) => field(doc, path);
  const nativeSeverity = text(get("kibana.alert.severity")) ?? text(get("kibana.alert.rule.severity"));
  const ruleName = text(get("kibana.alert.rule.name"));
  const ruleId = text(get("kibana.alert.rule.rule_id")) ?? text(get("kibana.alert.rule.uuid"));
  const timestamp = alertTimestamp(doc);
  const originalTime = elasticTime(get("kibana.alert.original_time"));
  const threat = threatOf(doc);
  const riskScore = Number(text(get("kibana.alert.risk_score")) ?? text(get("kibana.alert.rule.risk_score")));
  const author = texts(get("kibana.alert.rule.author")).join(", ");
  const userName = text(get("user.name"));
  const dnsName = text(get("dns.question.name"));
  const fileHashes = [
    hash(get("file.hash.sha256"), 64),
    hash(get("file.hash.sha1"), 40),
    hash(get("file.hash.md5"), 32),
    hash(get("process.hash.sha1"), 40),
    hash(get("process.hash.md5"), 32),
    hash(get("process.parent.hash.sha256"), 64),
  ].filter((h): h is string => h !== undefined);
  const urlFull = text(get("url.full")) ?? text(get("url.original"));
  const description = text(get("kibana.alert.reason")) ?? text(get("kibana.alert.rule.description"));
  const sender = text(get("email.from.address"));
  const recipients = texts(get("email.to.address"));

  const alert: Record<string, unknown> = {
    title: ruleName ?? (ruleId ? `Elastic rule ${ruleId}` : "Elastic Security alert"),
    time: originalTime ?? timestamp ?? undefined,
    severity: severityFor(nativeSeverity, table),
    source: "elastic",
    source_id: alertId(hit),
    description: description?.slice(0, MAX_DESCRIPTION),
    rule: ruleId || ruleName ? compact({ id: ruleId, title: ruleName, level: nativeSeverity, author: author || undefined, source: "elastic" }) : undefined,
    attack: compact({ techniques: threat.techniques, tactics: threat.tactics }),
    host: compact({ name: text(get("host.name")) ?? text(get("host.hostname")), ip: ips(get("host.ip")) }),
    user: userName ? compact({ name: userName, domain: text(get("user.domain")) }) : undefined,
    src: compact({ ip: ip(get("source.ip")), port: port(get("source.port")), domain: text(get("source.domain")) }),
    dst: compact({ ip: ip(get("destination.ip")), port: port(get("destination.port")), domain: text(get("destination.domain")) ?? dnsName, url: urlFull }),
    network: compact({
      protocol: text(get("network.protocol")),
      transport: text(get("network.transport")),
      query_type: text(get("dns.question.type")),
      response_code: text(get("dns.response_code")),
      answers: texts(get("dns.answers.data")),
    }),
    process: compact({
      name: text(get("process.name")),
      command_line: text(get("process.command_line")),
      pid: count(get("process.pid")),
      parent_name: text(get("process.parent.name")),
      parent_command_line: text(get("process.parent.command_line")),
      signed: bool(get("process.code_signature.trusted")),
      signer: text(get("process.code_signature.subject_name")),
      sha256: hash(get("process.hash.sha256"), 64),
    }),
    email: compact({ subject: text(get("email.subject")), sender, recipients, recipient_count: recipients.length || undefined }),
    observables: fileHashes.length ? [...new Set(fileHashes)].map((value) => ({ type: "file_hash", value })) : undefined,
    unmapped: compact({
      vendor_severity: nativeSeverity,
      risk_score: Number.isFinite(riskScore) ? riskScore : undefined,
      original_time: originalTime ?? undefined,
      alert_timestamp: timestamp ?? undefined,
      workflow_status: text(get("kibana.alert.workflow_status")),
      building_block_type: text(get("kibana.alert.building_block_type")),
      device_id: text(get("agent.id")),
      host_id: text(get("host.id")),
      rule_uuid: text(get("kibana.alert.rule.uuid")),
      rule_type: text(get("kibana.alert.rule.type")),
      rule_tags: texts(get("kibana.alert.rule.tags")),
      tactic_ids: threat.tacticIds,
      event_action: text(get("event.action")),
      event_category: texts(get("event.category")),
      event_dataset: text(get("event.dataset")),
      event_module: text(get("event.module")),
      file_path: text(get("file.path")),
      process_executable: text(get("process.executable")),
      space_ids: texts(get("kibana.space_ids")),
      elastic_index: hit._index,
    }),
    raw: doc,
  };
  return Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined));
}
