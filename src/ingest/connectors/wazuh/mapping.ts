import { isIP } from "node:net";
import { z } from "zod";
import { SEVERITIES, type Severity } from "../../../core/index.js";

/**
 * A Wazuh alert as the indexer stores it (wazuh-alerts-4.x-*): `timestamp`, `rule` (id, level 0–15,
 * description, groups, mitre {id, tactic, technique}), `agent` (id, name, ip), `manager.name`, `id`
 * (the manager's alert id), `full_log`, `location`, `decoder.name` and the decoded `data` (srcip,
 * dstip, srcport, dstport, srcuser, dstuser, …). Only what the mapping reads is typed; the rest is kept raw.
 */
const Strings = z.preprocess((v) => (typeof v === "string" ? [v] : v), z.array(z.string()).catch([]));
const Scalar = z.union([z.string(), z.number()]).transform(String);

export const WazuhAlertSource = z.looseObject({
  timestamp: z.string(),
  id: Scalar.optional().catch(undefined),
  rule: z
    .looseObject({
      id: Scalar.optional().catch(undefined),
      level: z.coerce.number().int().min(0).max(16).optional().catch(undefined),
      description: z.string().optional().catch(undefined),
      groups: Strings.optional(),
      mitre: z.looseObject({ id: Strings.optional(), tactic: Strings.optional(), technique: Strings.optional() }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  agent: z.looseObject({ id: Scalar.optional().catch(undefined), name: z.string().optional().catch(undefined), ip: z.string().optional().catch(undefined) }).optional().catch(undefined),
  manager: z.looseObject({ name: z.string().optional().catch(undefined) }).optional().catch(undefined),
  decoder: z.looseObject({ name: z.string().optional().catch(undefined) }).optional().catch(undefined),
  full_log: z.string().optional().catch(undefined),
  location: z.string().optional().catch(undefined),
  data: z.record(z.string(), z.unknown()).optional().catch(undefined),
});
export type WazuhAlertSource = z.infer<typeof WazuhAlertSource>;

export interface WazuhHit {
  _id: string;
  _index?: string;
  _source: unknown;
  sort?: unknown[];
}

/** Wazuh levels 0–15 to severities: inclusive ranges per severity, every level covered once. */
export type SeverityLevels = Record<Severity, [number, number]>;

export const DEFAULT_SEVERITY_LEVELS: SeverityLevels = {
  informational: [0, 3],
  low: [4, 6],
  medium: [7, 10],
  high: [11, 13],
  critical: [14, 15],
};

export const SeverityLevelsInput = z
  .partialRecord(z.enum(SEVERITIES), z.tuple([z.number().int().min(0).max(15), z.number().int().min(0).max(15)]))
  .superRefine((table, ctx) => {
    const owner = new Map<number, string>();
    for (const [severity, [low, high]] of Object.entries(table)) {
      if (low > high) ctx.addIssue({ code: "custom", path: [severity], message: `range [${low}, ${high}] is empty` });
      for (let level = low; level <= high; level++) {
        const other = owner.get(level);
        if (other) ctx.addIssue({ code: "custom", path: [severity], message: `level ${level} is also in ${other}` });
        owner.set(level, severity);
      }
    }
    const uncovered = Array.from({ length: 16 }, (_, i) => i).filter((level) => !owner.has(level));
    if (uncovered.length) ctx.addIssue({ code: "custom", path: [], message: `levels ${uncovered.join(", ")} have no severity` });
  });

export function severityForLevel(level: number | undefined, table: Partial<SeverityLevels>): Severity {
  if (level === undefined) return "medium";
  const clamped = Math.min(15, Math.max(0, level));
  for (const [severity, range] of Object.entries(table)) if (range && clamped >= range[0] && clamped <= range[1]) return severity as Severity;
  return "medium";
}

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/i;
const MAX_DESCRIPTION = 4000;

const ip = (value: unknown) => (typeof value === "string" && isIP(value.trim()) ? value.trim() : undefined);
const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : typeof value === "number" ? String(value) : undefined);
function port(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

function compact<T extends Record<string, unknown>>(value: T): Partial<T> | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

/** The alert's time as UTC ISO (Wazuh writes `2024-05-01T10:11:12.345+0000`); null when unreadable. */
export function wazuhTime(timestamp: string): string | null {
  const fixed = timestamp.trim().replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = Date.parse(fixed);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * One indexer hit as a generic alert: source "wazuh", source_id the document `_id` (the idempotency
 * key), severity from rule.level through the table, ATT&CK from rule.mitre. Values that would not pass
 * the generic schema (an IP field holding a hostname, a port out of range) are left out, not guessed.
 */
export function wazuhHitToAlert(hit: WazuhHit, table: Partial<SeverityLevels> = DEFAULT_SEVERITY_LEVELS): Record<string, unknown> {
  const parsed = WazuhAlertSource.safeParse(hit._source);
  const doc: Partial<WazuhAlertSource> = parsed.success ? parsed.data : {};
  const rule = doc.rule ?? {};
  const data = doc.data ?? {};
  const title = text(rule.description) ?? (rule.id ? `Wazuh rule ${rule.id}` : "Wazuh alert");
  const user = text(data.srcuser) ?? text(data.dstuser) ?? text(data.user);
  const alert: Record<string, unknown> = {
    title,
    time: doc.timestamp ? (wazuhTime(doc.timestamp) ?? undefined) : undefined,
    severity: severityForLevel(rule.level, table),
    source: "wazuh",
    source_id: hit._id,
    description: doc.full_log ? doc.full_log.slice(0, MAX_DESCRIPTION) : undefined,
    // The generic schema wants a rule with an id or a title: a bare level stays in raw.
    rule:
      rule.id !== undefined || text(rule.description)
        ? compact({ id: rule.id, title: text(rule.description), level: rule.level === undefined ? undefined : String(rule.level), source: "wazuh" })
        : undefined,
    attack: compact({
      techniques: (rule.mitre?.id ?? []).filter((id) => TECHNIQUE.test(id)).map((id) => id.toUpperCase()),
      tactics: (rule.mitre?.tactic ?? []).filter((t) => t.trim()),
    }),
    host: compact({ name: text(doc.agent?.name), ip: ip(doc.agent?.ip) }),
    user: user ? { name: user } : undefined,
    src: compact({ ip: ip(data.srcip), port: port(data.srcport) }),
    dst: compact({ ip: ip(data.dstip), port: port(data.dstport), url: text(data.url) }),
    unmapped: compact({
      vendor_severity: rule.level === undefined ? undefined : String(rule.level),
      wazuh_alert_id: doc.id,
      wazuh_index: hit._index,
      wazuh_manager: text(doc.manager?.name),
      wazuh_agent_id: doc.agent?.id,
      wazuh_location: text(doc.location),
      wazuh_decoder: text(doc.decoder?.name),
      wazuh_groups: rule.groups,
      wazuh_techniques: rule.mitre?.technique,
    }),
    raw: hit._source,
  };
  return Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined));
}
