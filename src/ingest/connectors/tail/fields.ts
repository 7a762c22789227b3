import { isIP } from "node:net";
import { z } from "zod";
import { SEVERITIES, parseJson, type Severity } from "../../../core/index.js";
import { parseAlertTime } from "../../formats/generic.js";

/** Helpers the file connectors share to build generic alerts: values that would fail the schema are left out, never guessed. */

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export const ip = (value: unknown) => (typeof value === "string" && isIP(value.trim()) ? value.trim() : undefined);
export const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined);
export function port(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}
export const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).map(text).filter((v): v is string => v !== undefined);

export const SHA256 = /^[0-9a-f]{64}$/i;
const TECHNIQUE = /^T\d{4}(\.\d{3})?$/i;
export const techniques = (values: unknown) => strings(values).filter((t) => TECHNIQUE.test(t)).map((t) => t.toUpperCase());

/** UTC ISO of a vendor time (ISO with `+0000` offsets, or epoch seconds), or undefined. */
export function vendorTime(value: unknown): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  return parseAlertTime(value) ?? undefined;
}

/** Drops undefined values and empty arrays; undefined when nothing is left. */
export function compact<T extends Json>(value: T): Partial<T> | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

/** A vendor-native key → Nightshift severity table; `ignore` drops the records of that key. */
export const SeverityOrIgnore = z.union([z.enum(SEVERITIES), z.literal("ignore")], { error: `expected one of ${SEVERITIES.join(", ")} or ignore` });
export type SeverityOrIgnore = Severity | "ignore";

/** A configurable table merged over the vendor's defaults, so one override does not drop the rest. */
export function severityTable(defaults: Record<string, SeverityOrIgnore>) {
  return z
    .record(z.string(), SeverityOrIgnore)
    .default({})
    .transform((table) => ({ ...defaults, ...table }));
}

export function parseJsonObject(line: string): Json | string {
  let value: unknown;
  try {
    value = parseJson(line);
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message.slice(0, 80) : "unparseable"})`;
  }
  return isObject(value) ? value : "not a JSON object";
}
