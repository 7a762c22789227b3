import type { CorrelationType } from "../sigma/index.js";
import type { EventSource } from "./types.js";

// ---------------------------------------------------------------------------------------------------------
// A correlation's group state: observations, window entries, alerted windows, sorted-list helpers

export interface Observation {
  time: number;
  member: number;
  event: Record<string, unknown>;
  source: EventSource;
  rule: { id: string; title: string };
  /** Group values of an inner correlation (chaining), consulted before the event's own fields. */
  group?: Record<string, unknown>;
}

export interface Entry {
  t: number;
  m: number;
  v?: number | string;
}

export interface Ref {
  t: number;
  rule: { id: string; title: string };
  source: EventSource;
}

export interface Group {
  key: string;
  values: Record<string, unknown>;
  entries: Entry[];
  refs: Ref[];
  /** The group's clock: event time of its latest arrival (entries older than it − timespan − lateness expire). */
  latest: number;
  /** Windows that alerted (from the first counted event, for one timespan); their later events are absorbed. */
  alerted: AlertedWindow[];
  /** Whether an event arrived since the last idle sweep (in memory only; restored groups count as touched). */
  touched: boolean;
  /** Window-close mode: start of the open window (event time of its first entry). */
  windowStart?: number;
  /** Window-close mode: the latest event of the open window, and the latest one past it (next window). */
  last?: Completing;
  next?: Completing;
}

export interface AlertedWindow {
  from: number;
  to: number;
  /** Events that fell in the window after it alerted. */
  absorbed: number;
  /** The window's measure: when it alerted, then with every absorbed event (the alert reports it). */
  value: number;
  /**
   * Entries the measure needs beyond a running total (value_count: one per distinct value, temporal: one
   * per rule, temporal_ordered: every entry), at most `entriesPerGroup`; event_count and value_sum keep none.
   */
  kept: Entry[];
  /** The alert's events: the first one (which names the alert) stays, then the most recent, capped. */
  refs: Ref[];
  /** The event that completed the condition: the alert's event and time (absent in states saved before). */
  fired?: Completing;
  /** Batch mode: the alert waits for `flush()` (or its window being forgotten) to be emitted with its total. */
  held?: boolean;
}

/** Alerted windows remembered per group (older ones also expire with the group's clock). */
export const MAX_ALERTED_WINDOWS = 32;
/** Candidate windows judged for one late event (each ends at a later entry within the timespan). */
export const MAX_WINDOWS_JUDGED = 1000;

export interface Completing {
  event: Record<string, unknown>;
  source: EventSource;
  t: number;
}

export const GROWING: ReadonlySet<CorrelationType> = new Set(["event_count", "value_count", "temporal", "temporal_ordered", "value_sum"]);

export function insertSorted<T extends { t: number }>(list: T[], item: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.t > item.t) i--;
  list.splice(i, 0, item);
}

/** Index of the first item with `t >= time` (items sorted by t). */
export function lowerBound(list: readonly { t: number }[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first item with `t > time` (items sorted by t). */
export function upperBound(list: readonly { t: number }[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a reference to an alert's events, keeping its first one (the alert's name) and the `cap` − 1 most recent others. */
export function addAlertRef(refs: Ref[], ref: Ref, cap: number): void {
  let i = refs.length;
  while (i > 1 && refs[i - 1]!.t > ref.t) i--;
  refs.splice(Math.max(i, Math.min(1, refs.length)), 0, ref);
  if (refs.length > cap) refs.splice(1, 1);
}
