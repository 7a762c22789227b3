import { fieldValue, type LoadedCorrelation } from "../sigma/index.js";
import type { Entry, Observation } from "./group.js";

// ---------------------------------------------------------------------------------------------------------
// Per-type evaluation: the value an observation counts with, and a window's measure

function valueKey(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** A field of an observation: an inner correlation's group values first (by alias, then name), then the event. */
export function lookup(observation: Observation, name: string, alias?: string): unknown {
  if (observation.group) {
    if (alias !== undefined && Object.hasOwn(observation.group, alias)) return observation.group[alias];
    if (Object.hasOwn(observation.group, name)) return observation.group[name];
  }
  return fieldValue(observation.event, name);
}

/** The counted value of an observation; `null` when the observation cannot count (field missing). */
export function entryValue(correlation: LoadedCorrelation, observation: Observation): number | string | undefined | null {
  const { type, fields } = correlation;
  if (fields.length === 0) return undefined;
  if (type === "value_sum" || type === "value_avg") return numberOf(lookup(observation, fields[0]!)) ?? null;
  const values = fields.map((field) => valueKey(lookup(observation, field)));
  if (values.some((v) => v === undefined)) return null;
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

export function measure(correlation: LoadedCorrelation, entries: Entry[], current?: Entry): number {
  const { type, rules } = correlation;
  switch (type) {
    case "event_count":
      return entries.length;
    case "value_count":
      return new Set(entries.map((e) => e.v)).size;
    case "temporal":
      return new Set(entries.map((e) => e.m)).size;
    case "temporal_ordered": {
      // Longest prefix of `rules` found in order; taking the earliest next match maximises it.
      let next = 0;
      for (const entry of entries) if (entry.m === next && ++next === rules.length) break;
      return next;
    }
    case "value_sum":
      return entries.reduce((sum, e) => sum + (e.v as number), 0);
    case "value_avg":
      return entries.length === 0 ? 0 : entries.reduce((sum, e) => sum + (e.v as number), 0) / entries.length;
    case "value_percentile": {
      // How common the completing event's value is in the window, in percent (rarity: `lte: 1`).
      if (entries.length === 0 || current === undefined) return 100;
      return (100 * entries.filter((e) => e.v === current.v).length) / entries.length;
    }
  }
}
