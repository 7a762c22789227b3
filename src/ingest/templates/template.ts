import { createHash } from "node:crypto";
import { z } from "zod";
import type { Severity } from "../../core/index.js";
import { parseAlertTime, parseSeverity } from "../formats/generic.js";
import { prefixPath, zodIssues, type Issue } from "../issues.js";
import {
  FORBIDDEN_KEYS,
  compileExpression,
  evaluate,
  parsePath,
  resolvePath,
  ExpressionError,
  type Expression,
  type ExpressionSpec,
  type PathRef,
  type Scope,
} from "./expression.js";

/**
 * A webhook template turns one sender's payload into generic alerts (the public JSON contract), which then
 * go through the generic normaliser like any POST /api/v1/alerts body. See the ingest README.
 */
const ExpressionInput: z.ZodType<ExpressionSpec> = z.lazy(() =>
  z.union([z.string(), z.object({ const: z.unknown() }), z.array(ExpressionInput)], {
    error: 'expected a path string, an interpolation "…{{path}}…", {const: value} or a first-of list',
  }),
);
const SeverityName = z.string().transform((text, ctx) => {
  const severity = parseSeverity(text);
  if (severity) return severity;
  ctx.addIssue({ code: "custom", message: `expected informational, low, medium, high or critical (or info), got "${text}"` });
  return z.NEVER;
});
/** A target such as `title`, `host.name` or `labels` (anything the generic alert does not know lands in `unmapped`). */
const TargetKey = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "a target is a generic-alert field such as title or host.name")
  .refine((key) => !key.split(".").some((part) => FORBIDDEN_KEYS.has(part)), "this key is not allowed");
const SkipValue = z.union([z.string(), z.number(), z.boolean()]);

export const TemplateSpec = z.strictObject({
  description: z.string().optional(),
  /** The path of the array of records in a payload (e.g. `alerts`); default: the payload (an array payload is the records). */
  items: z.string().optional(),
  /** Start from the record itself (a generic alert already) instead of an empty alert; `fields` then override. */
  passthrough: z.boolean().default(false),
  /** Records to leave out: path → values (compared as text), e.g. `{status: [resolved]}`. */
  skip: z.record(z.string(), z.array(SkipValue).min(1)).default({}),
  /** Records to keep, all others left out: path → values (compared as text), e.g. `{event_type: [alert]}`. */
  only: z.record(z.string(), z.array(SkipValue).min(1)).default({}),
  fields: z.record(TargetKey, ExpressionInput).default({}),
  /** Where the sender's own severity is (default: the mapped `severity` field) and how it maps to ours. */
  severity: z
    .strictObject({
      from: ExpressionInput.optional(),
      map: z.record(z.string(), SeverityName).default({}),
      default: SeverityName.optional(),
    })
    .optional(),
  /** The alert's `source`; default: the sender's name. */
  source: z.string().min(1).optional(),
  /** The sender's id of the record (source + source_id is the idempotency key); missing → a hash of the record. */
  source_id: ExpressionInput.optional(),
  time: ExpressionInput.optional(),
  /** What a `time` that is not ISO-8601 or epoch seconds/milliseconds does: refuse the record (`error`), or keep the reception time (`received`). */
  time_unreadable: z.enum(["error", "received"]).default("error"),
});
export type TemplateSpec = z.input<typeof TemplateSpec>;

export interface CompiledTemplate {
  items: PathRef | null;
  passthrough: boolean;
  skip: { ref: PathRef; values: Set<string> }[];
  only: { ref: PathRef; values: Set<string> }[];
  fields: { target: string[]; expression: Expression }[];
  severity: { from: Expression | null; map: Map<string, Severity>; fallback: Severity | null } | null;
  source: string | null;
  sourceId: Expression | null;
  time: Expression | null;
  /** Keep the reception time when `time` cannot be read (else the record is refused). */
  timeFallback: boolean;
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly issues: Issue[],
  ) {
    super(message);
  }
}

/** Validates and compiles a template spec; throws TemplateError with every issue, paths under `at`. */
export function compileTemplate(spec: unknown, at = "", overrides: { severity?: Record<string, Severity> } = {}): CompiledTemplate {
  const parsed = TemplateSpec.safeParse(spec);
  if (!parsed.success)
    throw new TemplateError("invalid template", zodIssues(parsed.error).map((i) => ({ path: prefixPath(at, i.path), message: i.message })));
  const t = parsed.data;
  const issues: Issue[] = [];
  const path = (text: string, where: string): PathRef | null => {
    try {
      return parsePath(text);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      issues.push({ path: prefixPath(at, where), message: error.message });
      return null;
    }
  };
  const items = t.items === undefined ? null : path(t.items, "items");
  const skip = Object.entries(t.skip).flatMap(([key, values]) => {
    const ref = path(key, `skip.${key}`);
    return ref ? [{ ref, values: new Set(values.map(String)) }] : [];
  });
  const only = Object.entries(t.only).flatMap(([key, values]) => {
    const ref = path(key, `only.${key}`);
    return ref ? [{ ref, values: new Set(values.map(String)) }] : [];
  });
  const fields = Object.entries(t.fields).flatMap(([target, spec]) => {
    const expression = compileExpression(spec, prefixPath(at, `fields.${target}`), issues);
    return expression ? [{ target: target.split("."), expression }] : [];
  });
  const targets = new Set(Object.keys(t.fields));
  for (const target of targets) {
    const parts = target.split(".");
    for (let n = 1; n < parts.length; n++)
      if (targets.has(parts.slice(0, n).join(".")))
        issues.push({ path: prefixPath(at, `fields.${target}`), message: `conflicts with fields.${parts.slice(0, n).join(".")}` });
  }
  let severity: CompiledTemplate["severity"] = null;
  const overrideMap = overrides.severity ?? {};
  if (t.severity || Object.keys(overrideMap).length) {
    const map = new Map<string, Severity>();
    let fallback: Severity | null = t.severity?.default ?? null;
    for (const [native, ours] of [...Object.entries(t.severity?.map ?? {}), ...Object.entries(overrideMap)]) {
      if (native.toLowerCase() === "default") fallback = ours;
      else map.set(native.trim().toLowerCase(), ours);
    }
    const from = t.severity?.from === undefined ? null : compileExpression(t.severity.from, prefixPath(at, "severity.from"), issues);
    severity = { from, map, fallback };
  }
  const sourceId = t.source_id === undefined ? null : compileExpression(t.source_id, prefixPath(at, "source_id"), issues);
  const time = t.time === undefined ? null : compileExpression(t.time, prefixPath(at, "time"), issues);
  if (issues.length) throw new TemplateError("invalid template", issues);
  return { items, passthrough: t.passthrough, skip, only, fields, severity, source: t.source ?? null, sourceId, time, timeFallback: t.time_unreadable === "received" };
}

/** JSON with sorted keys: the same record hashes the same whatever order the sender wrote its keys in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

/** The source_id of a record whose template names none (or whose id is missing): its content hash. */
export function recordHash(record: unknown): string {
  return `sha256:${createHash("sha256").update(stableJson(record)).digest("hex").slice(0, 32)}`;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next && typeof next === "object" && !Array.isArray(next)) node = next as Record<string, unknown>;
    else {
      // A later, deeper target wins over an earlier scalar (e.g. `host` then `host.name`).
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[path[path.length - 1]!] = value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export interface TemplateOutput {
  /** The generic alerts, each with the index of the record it came from and that record's path for messages. */
  alerts: { index: number; at: string; alert: Record<string, unknown> }[];
  /** Indexes of records left out by `skip`. */
  skipped: number[];
  /** Records that are not JSON objects, a missing `items` array…: nothing may be stored when there is one. */
  issues: Issue[];
}

function recordsOf(template: CompiledTemplate, payload: unknown): { records: unknown[]; at: (i: number) => string; issues: Issue[] } {
  if (template.items) {
    const items = resolvePath(template.items, { root: payload, record: payload });
    const label = template.items.text;
    if (Array.isArray(items)) return { records: items, at: (i) => `${label}[${i}]`, issues: [] };
    if (isObject(items)) return { records: [items], at: () => label, issues: [] };
    return { records: [], at: () => label, issues: [{ path: label, message: `expected an array of records at "${label}"` }] };
  }
  if (Array.isArray(payload)) return { records: payload, at: (i) => `[${i}]`, issues: [] };
  return { records: [payload], at: () => "", issues: [] };
}

/** Applies a compiled template to a parsed payload. Pure: no clock, no storage. */
export function applyTemplate(template: CompiledTemplate, payload: unknown, options: { sender: string }): TemplateOutput {
  const { records, at, issues } = recordsOf(template, payload);
  const alerts: TemplateOutput["alerts"] = [];
  const skipped: number[] = [];
  records.forEach((record, index) => {
    if (!isObject(record)) {
      issues.push({ path: at(index), message: "expected a JSON object" });
      return;
    }
    const scope: Scope = { root: payload, record };
    const matches = ({ ref, values }: { ref: PathRef; values: Set<string> }) => {
      const value = resolvePath(ref, scope);
      return value !== undefined && value !== null && values.has(String(value));
    };
    if (template.skip.some(matches) || !template.only.every(matches)) {
      skipped.push(index);
      return;
    }
    const alert: Record<string, unknown> = template.passthrough ? structuredClone(record) : {};
    for (const { target, expression } of template.fields) {
      const value = evaluate(expression, scope);
      if (value !== undefined) setPath(alert, target, structuredClone(value));
    }
    if (template.severity) {
      const native = template.severity.from ? evaluate(template.severity.from, scope) : alert.severity;
      let mapped: unknown = native;
      if (native === undefined || native === null) mapped = template.severity.fallback ?? undefined;
      else {
        const key = (typeof native === "string" ? native : JSON.stringify(native)).trim().toLowerCase();
        mapped = template.severity.map.get(key) ?? template.severity.fallback ?? native;
        const unmapped = isObject(alert.unmapped) ? alert.unmapped : {};
        // The native value stays for the analyst and for the sender's priority table (ConnectorMapping).
        if (unmapped.vendor_severity === undefined) alert.unmapped = { ...unmapped, vendor_severity: native };
      }
      if (mapped === undefined) delete alert.severity;
      else alert.severity = mapped;
    }
    if (template.time) {
      const time = evaluate(template.time, scope);
      const readable = (typeof time === "string" || typeof time === "number") && parseAlertTime(time) !== null;
      if (time !== undefined && (readable || !template.timeFallback)) alert.time = time;
    }
    if (template.source) alert.source = template.source;
    else if (alert.source === undefined) alert.source = options.sender;
    const sourceId = template.sourceId ? evaluate(template.sourceId, scope) : undefined;
    if (sourceId !== undefined) alert.source_id = sourceId;
    else if (alert.source_id === undefined) alert.source_id = recordHash(record);
    alerts.push({ index, at: at(index), alert });
  });
  return { alerts, skipped, issues };
}
