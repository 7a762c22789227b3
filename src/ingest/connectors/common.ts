import { z } from "zod";
import { PRIORITIES, type Priority } from "../../core/index.js";
import type { Connector, PullResult } from "./types.js";

/**
 * Settings every connector kind shares. A vendor settings schema spreads `commonSettings(kind)` and adds
 * its own fields; `mapping` is applied by the framework to every alert the connector returns.
 */
const Rewrite = z.strictObject({
  /** A regular expression (case-insensitive) over the whole value, e.g. `^(.+)\.corp\.example$`. */
  pattern: z.string().min(1).refine((p) => {
    try {
      new RegExp(p, "i");
      return true;
    } catch {
      return false;
    }
  }, "not a valid regular expression"),
  /** The replacement, with `$1`… for groups. */
  replace: z.string(),
});

export const ConnectorMapping = z
  .strictObject({
    /**
     * The sender's own priority: by its native severity (`vendor_severity` in the alert's `unmapped`,
     * e.g. a Wazuh level "12" or a Defender "high") first, then by the mapped Nightshift severity.
     */
    priority: z.record(z.string(), z.enum(PRIORITIES)).default({}),
    /** Exact host names or device ids (case-insensitive) to the CMDB hostname, e.g. an EDR device id. */
    hosts: z.record(z.string(), z.string().min(1)).default({}),
    /** Rewrites of host names tried in order after the exact table; the first that matches wins. */
    host_rewrites: z.array(Rewrite).default([]),
    /** Exact user names (case-insensitive) to the directory user name, e.g. a UPN to a sAMAccountName. */
    users: z.record(z.string(), z.string().min(1)).default({}),
    user_rewrites: z.array(Rewrite).default([]),
  })
  .default({ priority: {}, hosts: {}, host_rewrites: [], users: {}, user_rewrites: [] });
export type ConnectorMapping = z.output<typeof ConnectorMapping>;

export function commonSettings<K extends string>(kind: K, defaults: { interval_seconds?: number } = {}) {
  return {
    name: z.string().min(1),
    kind: z.literal(kind),
    enabled: z.boolean().default(true),
    interval_seconds: z.coerce.number().positive().default(defaults.interval_seconds ?? 60),
    timeout_seconds: z.coerce.number().positive().default(30),
    max_attempts: z.coerce.number().int().min(1).max(20).default(5),
    mapping: ConnectorMapping,
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function lookup(table: Record<string, string>, value: string): string | undefined {
  if (value in table) return table[value];
  const lower = value.toLowerCase();
  for (const [key, mapped] of Object.entries(table)) if (key.toLowerCase() === lower) return mapped;
  return undefined;
}

function rewrite(value: string, exact: Record<string, string>, rules: { pattern: string; replace: string }[]): string {
  const direct = lookup(exact, value);
  if (direct) return direct;
  for (const rule of rules) {
    const re = new RegExp(`^(?:${rule.pattern})$`, "i");
    if (re.test(value)) return value.replace(re, rule.replace);
  }
  return value;
}

/**
 * Applies a connector's mapping tables to one generic alert (the public JSON contract, before
 * validation): host names and device ids, user names, the priority. Unmatched values pass unchanged;
 * a mapped value replaces the original, which stays in `unmapped` for the analyst.
 */
export function applyMapping(alert: unknown, mapping: ConnectorMapping): unknown {
  if (!isObject(alert)) return alert;
  const out: Json = { ...alert };
  const unmapped: Json = isObject(out.unmapped) ? { ...out.unmapped } : {};
  const hostsMapped = Object.keys(mapping.hosts).length || mapping.host_rewrites.length;
  if (hostsMapped) {
    const host = typeof out.host === "string" ? { name: out.host } : isObject(out.host) ? { ...out.host } : null;
    const deviceId = typeof unmapped.device_id === "string" ? unmapped.device_id : undefined;
    const original = typeof host?.name === "string" ? host.name : undefined;
    const byId = deviceId ? lookup(mapping.hosts, deviceId) : undefined;
    const name = byId ?? (original ? rewrite(original, mapping.hosts, mapping.host_rewrites) : undefined);
    if (name && name !== original) {
      out.host = { ...(host ?? {}), name };
      if (original) unmapped.original_host = original;
    }
  }
  if (Object.keys(mapping.users).length || mapping.user_rewrites.length) {
    const user = typeof out.user === "string" ? { name: out.user } : isObject(out.user) ? { ...out.user } : null;
    const original = typeof user?.name === "string" ? user.name : undefined;
    if (original) {
      const name = rewrite(original, mapping.users, mapping.user_rewrites);
      if (name !== original) {
        out.user = { ...user, name };
        unmapped.original_user = original;
      }
    }
  }
  if (out.priority === undefined && Object.keys(mapping.priority).length) {
    const native = unmapped.vendor_severity;
    const bySeverity = typeof out.severity === "string" ? lookup(mapping.priority, out.severity.toLowerCase()) : undefined;
    const byNative = native !== undefined && native !== null ? lookup(mapping.priority, String(native)) : undefined;
    const priority = (byNative ?? bySeverity) as Priority | undefined;
    if (priority) out.priority = priority;
  }
  if (Object.keys(unmapped).length) out.unmapped = unmapped;
  return out;
}

/** The connector with its mapping applied to every page it returns. */
export function withMapping(connector: Connector, mapping: ConnectorMapping): Connector {
  const active = Object.keys(mapping.priority).length || Object.keys(mapping.hosts).length || mapping.host_rewrites.length || Object.keys(mapping.users).length || mapping.user_rewrites.length;
  if (!active) return connector;
  return {
    ...connector,
    async pull(checkpoint, ctx): Promise<PullResult> {
      const page = await connector.pull(checkpoint, ctx);
      return { ...page, alerts: page.alerts.map((a) => applyMapping(a, mapping)) };
    },
  };
}
