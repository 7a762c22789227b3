import { ValidationError } from "../../core/index.js";
import { expandDst, expandHost, expandRule, expandSrc, expandUser } from "./generic.js";

/**
 * Flat records (CSV rows, or flat JSON objects with --map) rewritten as generic alerts.
 * A target is a path into the generic alert; list targets take `;`-separated cells.
 */
const TARGET_KINDS = {
  time: "scalar",
  title: "scalar",
  severity: "scalar",
  source: "scalar",
  source_id: "scalar",
  description: "scalar",
  confidence: "scalar",
  subtype: "scalar",
  url: "scalar",
  rule: "scalar",
  "rule.id": "scalar",
  "rule.title": "scalar",
  "rule.level": "scalar",
  "rule.author": "scalar",
  "rule.source": "scalar",
  "attack.tactics": "list",
  "attack.techniques": "list",
  host: "scalar",
  "host.name": "scalar",
  "host.ip": "list",
  user: "scalar",
  "user.name": "scalar",
  "user.domain": "scalar",
  src: "scalar",
  "src.ip": "scalar",
  "src.hostname": "scalar",
  "src.port": "scalar",
  dst: "scalar",
  "dst.ip": "scalar",
  "dst.hostname": "scalar",
  "dst.domain": "scalar",
  "dst.port": "scalar",
  "dst.url": "scalar",
  "network.protocol": "scalar",
  "network.transport": "scalar",
  "network.query_type": "scalar",
  "network.response_code": "scalar",
  "network.answers": "list",
  "process.name": "scalar",
  "process.command_line": "scalar",
  "process.pid": "scalar",
  "process.parent_name": "scalar",
  "process.parent_command_line": "scalar",
  "process.signed": "scalar",
  "process.signer": "scalar",
  "process.sha256": "scalar",
  "email.subject": "scalar",
  "email.sender": "scalar",
  "email.recipients": "list",
  "email.recipient_count": "scalar",
  "email.gateway_verdict": "scalar",
  "email.gateway_action": "scalar",
  "email.links": "list",
  "email.attachments": "list",
  "email.page_loaded": "scalar",
  "email.credentials_submitted": "scalar",
  "email.spf": "scalar",
  "email.dkim": "scalar",
  "email.dmarc": "scalar",
} as const satisfies Record<string, "scalar" | "list">;

export type MapTarget = keyof typeof TARGET_KINDS;
/** The generic alert fields a source column can be mapped onto. */
export const MAP_TARGETS = Object.keys(TARGET_KINDS) as MapTarget[];
/** target → source column. */
export type FieldMap = Partial<Record<MapTarget, string>>;

export function isMapTarget(name: string): name is MapTarget {
  return Object.hasOwn(TARGET_KINDS, name);
}

/** Parses `--map title=signature,host.name=hostname`; an unknown target is an error naming the accepted ones. */
export function parseMapOption(text: string): FieldMap {
  const map: FieldMap = {};
  const issues: { path: string; message: string }[] = [];
  const pairs = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (!pairs.length) issues.push({ path: "map", message: "expected target=source pairs separated by commas" });
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const target = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const source = eq < 0 ? "" : pair.slice(eq + 1).trim();
    if (!source) issues.push({ path: `map.${target}`, message: `"${pair}" is not target=source` });
    else if (!isMapTarget(target))
      issues.push({ path: `map.${target}`, message: `unknown target "${target}"; accepted targets: ${MAP_TARGETS.join(", ")}` });
    else if (map[target] !== undefined) issues.push({ path: `map.${target}`, message: `target "${target}" is mapped twice` });
    else map[target] = source;
  }
  if (issues.length) throw new ValidationError(`invalid --map: ${issues.map((i) => i.message).join("; ")}`, issues);
  return map;
}

const EXPANDERS: Record<string, (text: string) => Record<string, unknown>> = {
  rule: expandRule,
  host: expandHost,
  user: expandUser,
  src: expandSrc,
  dst: expandDst,
};

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

function cell(kind: "scalar" | "list", value: unknown): unknown {
  if (kind === "list" && typeof value === "string")
    return value
      .split(";")
      .map((v) => v.trim())
      .filter(Boolean);
  return typeof value === "string" ? value.trim() : value;
}

/** Sets a target in the generic alert; a string form (`host: "web-01"`) and a dotted target merge into one object. */
function assign(alert: Record<string, unknown>, target: MapTarget, value: unknown) {
  const dot = target.indexOf(".");
  if (dot < 0) {
    const existing = alert[target];
    const expand = EXPANDERS[target];
    if (expand && typeof existing === "object" && existing !== null && typeof value === "string")
      alert[target] = { ...expand(value), ...existing };
    else alert[target] = value;
    return;
  }
  const root = target.slice(0, dot);
  const key = target.slice(dot + 1);
  let container = alert[root];
  if (typeof container === "string") container = EXPANDERS[root]?.(container) ?? {};
  if (typeof container !== "object" || container === null) container = {};
  alert[root] = { ...(container as Record<string, unknown>), [key]: value };
}

export interface FlatRecordResult {
  /** The generic alert input. */
  alert: Record<string, unknown>;
  /** Which source column fed each target, to name the column in error messages. */
  columns: Map<string, string>;
}

/**
 * Builds a generic alert from a flat record. Mapped targets come first; without a mapping for a target,
 * a column named like it (`title`, `host.name`…) is used directly; every other non-empty column is kept
 * in `unmapped` under its own name.
 */
export function flatRecordToGeneric(record: Record<string, unknown>, map: FieldMap = {}): FlatRecordResult {
  const alert: Record<string, unknown> = {};
  const columns = new Map<string, string>();
  const used = new Set<string>();
  for (const target of MAP_TARGETS) {
    const source = map[target];
    if (source === undefined) continue;
    used.add(source);
    const value = record[source];
    if (isEmpty(value)) continue;
    assign(alert, target, cell(TARGET_KINDS[target], value));
    columns.set(target, source);
  }
  for (const [column, value] of Object.entries(record)) {
    if (used.has(column) || !isMapTarget(column) || map[column] !== undefined) continue;
    used.add(column);
    if (isEmpty(value)) continue;
    assign(alert, column, cell(TARGET_KINDS[column], value));
    columns.set(column, column);
  }
  const unmapped: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(record)) if (!used.has(column) && !isEmpty(value)) unmapped[column] = value;
  if (Object.keys(unmapped).length) alert.unmapped = unmapped;
  return { alert, columns };
}

/** Names the source column in an issue about a mapped target: `severity` → `severity (column "sev")`. */
export function columnForPath(columns: Map<string, string>, path: string): string | undefined {
  let best: string | undefined;
  for (const target of columns.keys())
    if ((path === target || path.startsWith(`${target}.`) || path.startsWith(`${target}[`)) && (!best || target.length > best.length))
      best = target;
  if (!best) {
    const root = path.split(/[.[]/)[0]!;
    const sharing = [...columns.keys()].filter((t) => t.startsWith(`${root}.`) || t === root);
    if (sharing.length === 1) best = sharing[0];
  }
  return best === undefined ? undefined : columns.get(best);
}
