import { z } from "zod";
import { ValidationError, issuesOf } from "../core/errors.js";
import {
  attackOf,
  conditionHolds,
  fieldValue,
  onlyLowerBounds,
  type AttackTags,
  type CompiledRule,
  type CorrelationType,
  type LoadedCorrelation,
} from "./sigma/index.js";

/** Where an event came from: file and record number; `id` is the event-store id when the event is stored. */
export interface EventSource {
  file: string;
  record: number;
  id?: string;
}

/** One event that contributed to a correlation alert. */
export interface EventRef {
  time: string;
  rule: { id: string; title: string };
  source: EventSource;
}

export interface CorrelationLimits {
  /** Open groups per correlation; the least recently updated group is dropped beyond it. */
  groups: number;
  /** Window entries (time + counted value) kept per group; the oldest are dropped beyond it. */
  entriesPerGroup: number;
  /** Window entries per correlation over all its groups; least recently updated groups are dropped beyond it. */
  entriesPerCorrelation: number;
  /** Contributing event references kept per group and reported in an alert's `events`. */
  eventsPerAlert: number;
  /**
   * How far out of order a group's events may arrive and still be counted together: entries older than the
   * group's clock (its latest arrival's event time) − timespan − lateness are forgotten, and windows judged at
   * close wait for the detector's clock to pass close + lateness. `Infinity`: nothing expires by time (a
   * batch over files: the caps above bound memory, upper-bounded windows are judged at `flush()`).
   */
  latenessMs: number;
  /**
   * Idle groups are looked for every this many timed events: a group that received no event between two
   * such sweeps and whose clock is older than the detector's clock − timespan − lateness is forgotten.
   */
  sweepEvery: number;
}

export const DEFAULT_CORRELATION_LIMITS: CorrelationLimits = {
  groups: 10_000,
  entriesPerGroup: 10_000,
  entriesPerCorrelation: 200_000,
  eventsPerAlert: 100,
  latenessMs: 3_600_000,
  sweepEvery: 10_000,
};

/** A correlation that fired: what the detector turns into a DetectionAlert. */
export interface CorrelationFiring {
  identity: { id: string; title: string; level: string; author: string; tags: string[] };
  attack: AttackTags;
  type: CorrelationType;
  timespan: string;
  rules: string[];
  group: Record<string, unknown>;
  value: number;
  /** Event time (ms) of the event that completed it. */
  time: number;
  event: Record<string, unknown>;
  source: EventSource;
  events: EventRef[];
  /** False when only an enclosing correlation should alert (spec: `generate` defaults to false). */
  generates: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// One correlation's windows

interface Observation {
  time: number;
  member: number;
  event: Record<string, unknown>;
  source: EventSource;
  rule: { id: string; title: string };
  /** Group values of an inner correlation (chaining), consulted before the event's own fields. */
  group?: Record<string, unknown>;
}

interface Entry {
  t: number;
  m: number;
  v?: number | string;
}

interface Ref {
  t: number;
  rule: { id: string; title: string };
  source: EventSource;
}

interface Group {
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

interface AlertedWindow {
  from: number;
  to: number;
  /** Events that fell in the window after it alerted. */
  absorbed: number;
}

/** Alerted windows remembered per group (older ones also expire with the group's clock). */
const MAX_ALERTED_WINDOWS = 32;
/** Candidate windows judged for one late event (each ends at a later entry within the timespan). */
const MAX_WINDOWS_JUDGED = 1000;

interface Completing {
  event: Record<string, unknown>;
  source: EventSource;
  t: number;
}

const GROWING: ReadonlySet<CorrelationType> = new Set(["event_count", "value_count", "temporal", "temporal_ordered", "value_sum"]);

function insertSorted<T extends { t: number }>(list: T[], item: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.t > item.t) i--;
  list.splice(i, 0, item);
}

/** Index of the first item with `t >= time` (items sorted by t). */
function lowerBound(list: readonly { t: number }[], time: number): number {
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
function upperBound(list: readonly { t: number }[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

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

type WindowFiring = Pick<CorrelationFiring, "group" | "value" | "time" | "event" | "source" | "events">;

class CorrelationWindows {
  readonly groups = new Map<string, Group>();
  private entryCount = 0;
  /** Earliest event time at which some group needs attention (window close or expiry). */
  private nextDue = Number.POSITIVE_INFINITY;
  /** Upper-bounded conditions on growing measures are judged when the window closes, not as events arrive. */
  readonly closeMode: boolean;

  constructor(
    readonly correlation: LoadedCorrelation,
    private readonly limits: CorrelationLimits,
  ) {
    this.closeMode = GROWING.has(correlation.type) && !onlyLowerBounds(correlation.condition);
  }

  private fieldFor(groupField: string, member: number): string {
    const reference = this.correlation.rules[member]!;
    return this.correlation.aliases[groupField]?.[reference] ?? groupField;
  }

  private lookup(observation: Observation, name: string, alias?: string): unknown {
    if (observation.group) {
      if (alias !== undefined && Object.hasOwn(observation.group, alias)) return observation.group[alias];
      if (Object.hasOwn(observation.group, name)) return observation.group[name];
    }
    return fieldValue(observation.event, name);
  }

  /** The counted value of an observation; `null` when the observation cannot count (field missing). */
  private entryValue(observation: Observation): number | string | undefined | null {
    const { type, fields } = this.correlation;
    if (fields.length === 0) return undefined;
    if (type === "value_sum" || type === "value_avg") return numberOf(this.lookup(observation, fields[0]!)) ?? null;
    const values = fields.map((field) => valueKey(this.lookup(observation, field)));
    if (values.some((v) => v === undefined)) return null;
    return values.length === 1 ? values[0]! : JSON.stringify(values);
  }

  private measure(entries: Entry[], current?: Entry): number {
    const { type, rules } = this.correlation;
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

  private touch(group: Group): void {
    // Map order doubles as the least-recently-updated order.
    this.groups.delete(group.key);
    this.groups.set(group.key, group);
  }

  private dropGroup(group: Group): void {
    this.groups.delete(group.key);
    this.entryCount -= group.entries.length;
  }

  private enforceLimits(current: Group): void {
    while (current.entries.length > this.limits.entriesPerGroup) {
      current.entries.shift();
      this.entryCount--;
    }
    for (const group of this.groups.values()) {
      if (this.groups.size <= this.limits.groups && this.entryCount <= this.limits.entriesPerCorrelation) break;
      if (group !== current) this.dropGroup(group);
    }
  }

  private removeEntries(group: Group, from: number, to: number): void {
    const before = group.entries.length;
    group.entries = group.entries.filter((e) => e.t < from || e.t > to);
    group.refs = group.refs.filter((r) => r.t < from || r.t > to);
    this.entryCount -= before - group.entries.length;
  }

  private firing(group: Group, value: number, from: number, to: number, completing: Completing): WindowFiring {
    const events: EventRef[] = group.refs
      .filter((r) => r.t >= from && r.t <= to)
      .map((r) => ({ time: new Date(r.t).toISOString(), rule: r.rule, source: r.source }));
    return { group: { ...group.values }, value, time: completing.t, event: completing.event, source: completing.source, events };
  }

  /**
   * Counts an observation in its group, by its own event time, whatever the arrival order: nothing is dropped
   * for being late. Windows judged at close (upper-bounded conditions) are closed by `due`.
   */
  observe(observation: Observation): WindowFiring[] {
    const { timespanMs, type } = this.correlation;
    const values: Record<string, unknown> = {};
    for (const field of this.correlation.groupBy) {
      const value = this.lookup(observation, this.fieldFor(field, observation.member), field);
      // Like a SIEM's group-by, events without a group-by field are not counted.
      if (value === undefined || value === null || value === "") return [];
      values[field] = value;
    }
    const v = this.entryValue(observation);
    if (v === null) return [];
    const key = JSON.stringify(this.correlation.groupBy.map((field) => values[field]));
    let group = this.groups.get(key);
    if (!group) {
      group = { key, values, entries: [], refs: [], latest: observation.time, alerted: [], touched: true };
      this.groups.set(key, group);
    } else {
      this.touch(group);
    }
    // The group's clock is the event time of its latest arrival: a backfill far behind the rest of the input
    // moves it back, so the backfill's own events are counted together rather than expired by newer ones.
    group.latest = observation.time;
    group.touched = true;
    this.expire(group);
    // One alert per group per window: an event inside a window that already alerted is part of that alert.
    const absorbing = !this.closeMode && type !== "value_percentile" && type !== "value_avg";
    if (absorbing && group.alerted.some((w) => observation.time >= w.from && observation.time <= w.to)) {
      const window = group.alerted.find((w) => observation.time >= w.from && observation.time <= w.to)!;
      window.absorbed++;
      return [];
    }
    const entry: Entry = { t: observation.time, m: observation.member, ...(v === undefined ? {} : { v }) };
    insertSorted(group.entries, entry);
    this.entryCount++;
    insertSorted(group.refs, { t: observation.time, rule: observation.rule, source: observation.source });
    if (group.refs.length > this.limits.eventsPerAlert) group.refs.shift();
    this.enforceLimits(group);
    const completing = { event: observation.event, source: observation.source, t: observation.time };

    if (this.closeMode) {
      group.windowStart = Math.min(group.windowStart ?? observation.time, observation.time);
      if (observation.time <= group.windowStart + timespanMs) {
        if (!group.last || observation.time >= group.last.t) group.last = completing;
      } else if (!group.next || observation.time >= group.next.t) {
        group.next = completing;
      }
      this.nextDue = Math.min(this.nextDue, group.windowStart + timespanMs + this.limits.latenessMs);
      return []; // judged by `due` once the detector's clock passes the window's close + lateness
    }

    const found = this.windowWith(group, entry);
    if (!found) return [];
    const { value, from, to } = found;
    const fired = this.firing(group, value, from, to, completing);
    if (type === "value_percentile") return [fired]; // its history is the baseline the next events are judged on
    if (type === "value_avg") {
      this.removeEntries(group, from, to);
    } else {
      // The alert stands for the window that starts at its first event: the rest of that window is absorbed.
      const window = { from, to: from + timespanMs, absorbed: 0 };
      this.removeEntries(group, window.from, window.to);
      group.alerted.push(window);
      if (group.alerted.length > MAX_ALERTED_WINDOWS) group.alerted.shift();
    }
    if (group.entries.length === 0 && group.alerted.length === 0) this.groups.delete(group.key);
    return [fired];
  }

  /**
   * The earliest window containing `entry` whose measure meets the condition. Growing measures: the windows
   * ending at each entry from `entry` to `entry + timespan` (for an event in time order, only the one ending at
   * it); value_avg and value_percentile: the window ending at the event.
   */
  private windowWith(group: Group, entry: Entry): { value: number; from: number; to: number } | undefined {
    const { timespanMs, type, condition } = this.correlation;
    const entries = group.entries;
    const ends = GROWING.has(type) ? entries.slice(lowerBound(entries, entry.t), upperBound(entries, entry.t + timespanMs)).map((e) => e.t) : [entry.t];
    let previous: number | undefined;
    for (const end of ends.slice(0, MAX_WINDOWS_JUDGED)) {
      if (end === previous) continue;
      previous = end;
      const window = entries.slice(lowerBound(entries, end - timespanMs), upperBound(entries, end));
      const value = this.measure(window, entry);
      if (!conditionHolds(condition, value)) continue;
      // An ordered sequence starts at its first rule's earliest match: what came before it did not contribute.
      const from = type === "temporal_ordered" ? (window.find((e) => e.m === 0)?.t ?? window[0]!.t) : window[0]!.t;
      return { value, from, to: end };
    }
    return undefined;
  }

  /** Forgets entries and alerted windows older than the group's clock − timespan − lateness. */
  private expire(group: Group): void {
    if (this.closeMode) return;
    const horizon = group.latest - this.correlation.timespanMs - this.limits.latenessMs;
    if ((group.entries[0]?.t ?? Number.POSITIVE_INFINITY) < horizon) {
      const keep = lowerBound(group.entries, horizon);
      group.entries.splice(0, keep);
      this.entryCount -= keep;
      group.refs.splice(0, lowerBound(group.refs, horizon));
    }
    group.alerted = group.alerted.filter((w) => w.to >= horizon);
  }

  /**
   * Frees idle groups: those that received no event since the previous sweep and whose clock is older than
   * `clock` − timespan − lateness. Sweeps are counted in events (`sweepEvery`), not in event time, so a group
   * being backfilled behind newer input is not forgotten between two of its batches.
   */
  sweepIdle(clock: number): void {
    const horizon = clock - this.correlation.timespanMs - this.limits.latenessMs;
    for (const group of [...this.groups.values()]) {
      if (this.closeMode && group.windowStart !== undefined) continue; // closed by `due`
      if (!group.touched && group.latest < horizon) this.dropGroup(group);
      else group.touched = false;
    }
  }

  /** Closes the windows judged at close that `clock` has passed by the lateness. */
  due(clock: number): WindowFiring[] {
    if (!this.closeMode || clock < this.nextDue) return [];
    const { timespanMs } = this.correlation;
    const lateness = this.limits.latenessMs;
    const fired: WindowFiring[] = [];
    let nextDue = Number.POSITIVE_INFINITY;
    for (const group of [...this.groups.values()]) {
      while (group.windowStart !== undefined && group.windowStart + timespanMs + lateness <= clock) {
        const from = group.windowStart;
        const to = from + timespanMs;
        const window = group.entries.filter((e) => e.t >= from && e.t <= to);
        const value = this.measure(window);
        if (window.length > 0 && conditionHolds(this.correlation.condition, value)) {
          const last = window.at(-1)!;
          const completing = group.last ?? { event: {}, source: group.refs.at(-1)?.source ?? { file: "", record: 0 }, t: last.t };
          fired.push(this.firing(group, value, from, to, completing));
        }
        this.removeEntries(group, from, to);
        group.last = group.next;
        delete group.next;
        group.windowStart = group.entries.find((e) => e.t > to)?.t;
      }
      if (group.windowStart === undefined) this.dropGroup(group);
      else nextDue = Math.min(nextDue, group.windowStart + timespanMs + lateness);
    }
    this.nextDue = nextDue;
    return fired;
  }

  /** End of input: judge every open window now (window-close mode only). */
  flush(): WindowFiring[] {
    if (!this.closeMode) return [];
    return this.due(Number.POSITIVE_INFINITY);
  }

  save(): GroupState[] {
    return [...this.groups.values()].map((g) => ({
      values: g.values,
      entries: g.entries.map((e) => ({ ...e })),
      refs: g.refs.map((r) => ({ ...r })),
      latest: g.latest,
      ...(g.alerted.length === 0 ? {} : { alerted: g.alerted.map((w) => ({ ...w })) }),
      ...(g.windowStart === undefined ? {} : { windowStart: g.windowStart }),
      ...(g.last === undefined ? {} : { last: g.last }),
      ...(g.next === undefined ? {} : { next: g.next }),
    }));
  }

  restore(groups: GroupState[]): void {
    this.groups.clear();
    this.entryCount = 0;
    this.nextDue = Number.NEGATIVE_INFINITY; // re-derived on the next `due`
    for (const state of groups) {
      const key = JSON.stringify(this.correlation.groupBy.map((field) => state.values[field]));
      const group: Group = {
        key,
        values: state.values,
        entries: state.entries.map((e) => ({ t: e.t, m: e.m, ...(e.v === undefined ? {} : { v: e.v }) })).sort((a, b) => a.t - b.t),
        refs: state.refs.map((r) => ({ t: r.t, rule: r.rule, source: sourceOf(r.source) })).sort((a, b) => a.t - b.t),
        touched: true,
        latest: state.latest ?? state.entries.reduce((max, e) => Math.max(max, e.t), state.windowStart ?? 0),
        alerted: (state.alerted ?? []).map((w) => ({ from: w.from, to: w.to, absorbed: w.absorbed })).slice(-MAX_ALERTED_WINDOWS),
        ...(state.windowStart === undefined ? {} : { windowStart: state.windowStart }),
        ...(state.last === undefined ? {} : { last: completingOf(state.last) }),
        ...(state.next === undefined ? {} : { next: completingOf(state.next) }),
      };
      this.groups.set(key, group);
      this.entryCount += group.entries.length;
      this.enforceLimits(group);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Saved state

const SourceState = z.object({ file: z.string(), record: z.number().int(), id: z.string().optional() });
function sourceOf(source: z.infer<typeof SourceState>): EventSource {
  return { file: source.file, record: source.record, ...(source.id === undefined ? {} : { id: source.id }) };
}
const CompletingState = z.object({ event: z.record(z.string(), z.unknown()), source: SourceState, t: z.number() });
function completingOf(state: z.infer<typeof CompletingState>): Completing {
  return { event: state.event, source: sourceOf(state.source), t: state.t };
}
const GroupState = z.object({
  values: z.record(z.string(), z.unknown()),
  entries: z.array(z.object({ t: z.number(), m: z.number().int().nonnegative(), v: z.union([z.number(), z.string()]).optional() })),
  refs: z.array(z.object({ t: z.number(), rule: z.object({ id: z.string(), title: z.string() }), source: SourceState })),
  latest: z.number().optional(),
  alerted: z.array(z.object({ from: z.number(), to: z.number(), absorbed: z.number().int().nonnegative() })).optional(),
  windowStart: z.number().optional(),
  last: CompletingState.optional(),
  next: CompletingState.optional(),
});
type GroupState = z.infer<typeof GroupState>;

export const CorrelationState = z.object({
  version: z.literal(1),
  watermark: z.number().nullable(),
  correlations: z.record(z.string(), z.array(GroupState)),
});
export type CorrelationState = z.infer<typeof CorrelationState>;

// ---------------------------------------------------------------------------------------------------------
// The correlation engine: reference resolution, chaining, generate

type Node = { kind: "rule"; rule: CompiledRule } | { kind: "correlation"; index: number };

interface Listener {
  windows: CorrelationWindows;
  member: number;
}

export interface CorrelationEngine {
  /** Correlations that resolved and will run. */
  loaded: number;
  skipped: { file: string; reason: string }[];
  /** Whether a base rule alerts on its own (false when a correlation refers to it without `generate: true`). */
  generates(rule: CompiledRule): boolean;
  /**
   * Feeds the base rules an event matched (possibly none: the event still moves the clock); returns the
   * correlations it completed, chains followed. `ownTime` false: `time` is a stand-in (the event carries no
   * time) and does not move the detector's event clock.
   */
  observe(matched: CompiledRule[], event: Record<string, unknown>, source: EventSource, time: number, ownTime?: boolean): CorrelationFiring[];
  /** End of input: closes every window judged at close (upper-bounded conditions). */
  flush(): CorrelationFiring[];
  save(): CorrelationState;
  restore(state: unknown): void;
}

function ruleIdentity(rule: CompiledRule): { id: string; title: string } {
  return { id: rule.rule.id ?? rule.file ?? rule.rule.title, title: rule.rule.title };
}

export function correlationKey(correlation: LoadedCorrelation): string {
  return correlation.id ?? correlation.name ?? `${correlation.file ?? ""}#${correlation.title}`;
}

/** Largest count a condition names, for types whose measure is a count of events. */
function countThreshold(correlation: LoadedCorrelation): number {
  if (correlation.type !== "event_count" && correlation.type !== "value_count") return 0;
  return Math.max(0, ...Object.values(correlation.condition));
}

export function createCorrelationEngine(
  rules: CompiledRule[],
  correlations: LoadedCorrelation[],
  limitOverrides: Partial<CorrelationLimits> = {},
): CorrelationEngine {
  const limits = { ...DEFAULT_CORRELATION_LIMITS, ...limitOverrides };
  const skipped: { file: string; reason: string }[] = [];

  const global = new Map<string, Node[]>();
  const local = new Map<string, Map<string, Node>>();
  const register = (reference: string | undefined, file: string | undefined, node: Node) => {
    if (reference === undefined) return;
    global.set(reference, [...(global.get(reference) ?? []), node]);
    const scope = local.get(file ?? "") ?? new Map<string, Node>();
    if (!scope.has(reference)) scope.set(reference, node);
    local.set(file ?? "", scope);
  };
  for (const rule of rules) {
    register(rule.rule.id, rule.file, { kind: "rule", rule });
    register(rule.rule.name, rule.file, { kind: "rule", rule });
  }
  correlations.forEach((correlation, index) => {
    register(correlation.id, correlation.file, { kind: "correlation", index });
    register(correlation.name, correlation.file, { kind: "correlation", index });
  });
  // A name is unique per correlation file; the same file wins over other folders.
  const resolve = (reference: string, file: string | undefined): Node | undefined =>
    local.get(file ?? "")?.get(reference) ?? global.get(reference)?.[0];

  const resolved: (Node[] | string)[] = correlations.map((correlation) => {
    const nodes: Node[] = [];
    for (const reference of correlation.rules) {
      const node = resolve(reference, correlation.file);
      if (!node) return `refers to ${reference}, which is not loaded`;
      nodes.push(node);
    }
    const threshold = countThreshold(correlation);
    if (threshold >= limits.entriesPerGroup) return `condition threshold ${threshold} exceeds ${limits.entriesPerGroup} events per window`;
    return nodes;
  });
  // A correlation over a skipped (or cyclic) correlation cannot run either.
  const state = new Map<number, "visiting" | "ok" | "bad">();
  const check = (index: number): boolean => {
    const current = state.get(index);
    if (current === "ok") return true;
    if (current === "bad") return false;
    if (current === "visiting") {
      resolved[index] = "correlation cycle";
      return false;
    }
    state.set(index, "visiting");
    const nodes = resolved[index]!;
    let ok = typeof nodes !== "string";
    if (typeof nodes !== "string") {
      for (const node of nodes) {
        if (node.kind === "correlation" && !check(node.index)) {
          if (typeof resolved[index] !== "string") resolved[index] = `refers to correlation ${correlations[node.index]!.title}, which is skipped`;
          ok = false;
          break;
        }
      }
    }
    state.set(index, ok ? "ok" : "bad");
    return ok;
  };
  correlations.forEach((_, index) => check(index));

  const windows: (CorrelationWindows | undefined)[] = [];
  const ruleListeners = new Map<CompiledRule, Listener[]>();
  const correlationListeners = new Map<number, Listener[]>();
  const silencedRules = new Set<CompiledRule>();
  const generatingRules = new Set<CompiledRule>();
  const silencedCorrelations = new Set<number>();
  const generatingCorrelations = new Set<number>();
  const attacks: AttackTags[] = [];

  correlations.forEach((correlation, index) => {
    const nodes = resolved[index]!;
    if (typeof nodes === "string") {
      skipped.push({ file: correlation.file ?? correlation.title, reason: `correlation ${correlation.title}: ${nodes}` });
      windows.push(undefined);
      return;
    }
    const own = new CorrelationWindows(correlation, limits);
    windows.push(own);
    nodes.forEach((node, member) => {
      const listener = { windows: own, member };
      if (node.kind === "rule") {
        ruleListeners.set(node.rule, [...(ruleListeners.get(node.rule) ?? []), listener]);
        (correlation.generate ? generatingRules : silencedRules).add(node.rule);
      } else {
        correlationListeners.set(node.index, [...(correlationListeners.get(node.index) ?? []), listener]);
        (correlation.generate ? generatingCorrelations : silencedCorrelations).add(node.index);
      }
    });
  });

  const attackOfCorrelation = (index: number, seen = new Set<number>()): AttackTags => {
    const cached = attacks[index];
    if (cached) return cached;
    const correlation = correlations[index]!;
    const tactics = new Set<string>();
    const techniques = new Set<string>();
    const add = (attack: AttackTags) => {
      attack.tactics.forEach((t) => tactics.add(t));
      attack.techniques.forEach((t) => techniques.add(t));
    };
    add(attackOf(correlation.tags));
    seen.add(index);
    const nodes = resolved[index];
    if (typeof nodes !== "string" && nodes) {
      for (const node of nodes) {
        if (node.kind === "rule") add(node.rule.attack);
        else if (!seen.has(node.index)) add(attackOfCorrelation(node.index, seen));
      }
    }
    const attack = { tactics: [...tactics], techniques: [...techniques] };
    attacks[index] = attack;
    return attack;
  };

  const indexOf = new Map<CorrelationWindows, number>();
  windows.forEach((w, index) => w && indexOf.set(w, index));
  /** The highest event time seen: closes the windows judged at close (upper-bounded conditions) only. */
  let watermark: number | null = null;
  /** Timed events seen, for the idle sweep. */
  let timed = 0;

  const toFiring = (index: number, fired: WindowFiring): CorrelationFiring => {
    const correlation = correlations[index]!;
    return {
      identity: {
        id: correlationKey(correlation),
        title: correlation.title,
        level: correlation.level ?? "medium",
        author: correlation.author ?? "",
        tags: [...correlation.tags],
      },
      attack: attackOfCorrelation(index),
      type: correlation.type,
      timespan: correlation.timespan,
      rules: [...correlation.rules],
      ...fired,
      generates: !silencedCorrelations.has(index) || generatingCorrelations.has(index),
    };
  };

  /** Emits a firing and feeds it to the correlations that refer to its correlation. */
  const propagate = (index: number, firing: CorrelationFiring, out: CorrelationFiring[], depth: number): void => {
    out.push(firing);
    if (depth > correlations.length) return;
    for (const listener of correlationListeners.get(index) ?? []) {
      const observation: Observation = {
        time: firing.time,
        member: listener.member,
        event: firing.event,
        source: firing.source,
        rule: { id: firing.identity.id, title: firing.identity.title },
        group: firing.group,
      };
      for (const fired of listener.windows.observe(observation)) {
        const outer = indexOf.get(listener.windows)!;
        propagate(outer, toFiring(outer, fired), out, depth + 1);
      }
    }
  };

  const sweep = (out: CorrelationFiring[], at: number) => {
    windows.forEach((w, index) => {
      if (!w) return;
      for (const fired of w.due(at)) propagate(index, toFiring(index, fired), out, 0);
    });
  };

  return {
    loaded: windows.filter(Boolean).length,
    skipped,
    generates: (rule) => !silencedRules.has(rule) || generatingRules.has(rule),
    observe(matched, event, source, time, ownTime = true) {
      const out: CorrelationFiring[] = [];
      // An event without a time of its own cannot be placed in a window: it is not counted (the detector reports it).
      if (!ownTime) return out;
      watermark = watermark === null ? time : Math.max(watermark, time);
      // One event counts once per correlation, even when it matches several of its rules (as `r1 or r2` would);
      // temporal types count rules, so each matching rule is an observation there.
      const counted = new Set<CorrelationWindows>();
      for (const rule of matched) {
        for (const listener of ruleListeners.get(rule) ?? []) {
          const type = listener.windows.correlation.type;
          if (type !== "temporal" && type !== "temporal_ordered") {
            if (counted.has(listener.windows)) continue;
            counted.add(listener.windows);
          }
          const observation: Observation = { time, member: listener.member, event, source, rule: ruleIdentity(rule) };
          for (const fired of listener.windows.observe(observation)) {
            const index = indexOf.get(listener.windows)!;
            propagate(index, toFiring(index, fired), out, 0);
          }
        }
      }
      if (watermark !== null) sweep(out, watermark);
      if (++timed % limits.sweepEvery === 0) for (const w of windows) w?.sweepIdle(watermark);
      return out;
    },
    flush() {
      const out: CorrelationFiring[] = [];
      // Inner correlations first, so that what they fire can still close in the outer ones.
      for (let round = 0; round <= correlations.length; round++) {
        const before = out.length;
        sweep(out, Number.POSITIVE_INFINITY);
        if (out.length === before && round > 0) break;
      }
      return out;
    },
    save() {
      const saved: CorrelationState = { version: 1, watermark, correlations: {} };
      windows.forEach((w, index) => {
        if (w && w.groups.size > 0) saved.correlations[correlationKey(correlations[index]!)] = w.save();
      });
      return saved;
    },
    restore(input) {
      const parsed = CorrelationState.safeParse(input);
      if (!parsed.success) throw new ValidationError("invalid correlation state", issuesOf(parsed.error));
      const byKey = new Map<string, CorrelationWindows>();
      windows.forEach((w, index) => w && byKey.set(correlationKey(correlations[index]!), w));
      for (const [key, groups] of Object.entries(parsed.data.correlations)) {
        const w = byKey.get(key);
        if (!w) continue;
        const members = w.correlation.rules.length;
        const bad = groups.findIndex((g) => g.entries.some((e) => e.m >= members));
        if (bad >= 0) {
          throw new ValidationError("invalid correlation state", [{ path: `correlations.${key}.${bad}.entries`, message: `member index beyond ${members - 1}` }]);
        }
      }
      // Validated as a whole first: a bad state leaves the current windows untouched.
      watermark = parsed.data.watermark;
      for (const w of windows) w?.restore([]);
      for (const [key, groups] of Object.entries(parsed.data.correlations)) byKey.get(key)?.restore(groups);
    },
  };
}
