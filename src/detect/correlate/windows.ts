import { conditionHolds, onlyLowerBounds, type LoadedCorrelation } from "../sigma/index.js";
import {
  GROWING,
  MAX_ALERTED_WINDOWS,
  addAlertRef,
  MAX_WINDOWS_JUDGED,
  insertSorted,
  lowerBound,
  upperBound,
  type AlertedWindow,
  type Completing,
  type Entry,
  type Group,
  type Observation,
} from "./group.js";
import { entryValue, lookup, measure } from "./measure.js";
import { alertedOf, completingOf, sourceOf, type GroupState } from "./state.js";
import type { CorrelationLimits, EventRef, WindowFiring } from "./types.js";

// ---------------------------------------------------------------------------------------------------------
// One correlation's windows

export class CorrelationWindows {
  readonly groups = new Map<string, Group>();
  private entryCount = 0;
  /** Earliest event time at which some group needs attention (window close or expiry). */
  private nextDue = Number.POSITIVE_INFINITY;
  /** Upper-bounded conditions on growing measures are judged when the window closes, not as events arrive. */
  readonly closeMode: boolean;
  /** Live mode: alerted windows whose count changed since `takeRevisions()`. */
  private revised = new Map<AlertedWindow, Group>();
  /** Batch mode: held alerts of windows forgotten before `flush()` (memory caps), emitted by `takeReleased()`. */
  private released: WindowFiring[] = [];

  /**
   * `hold` (batch mode, the whole input known): an alert is emitted at `flush()` with its window's total
   * rather than when its condition first holds; live mode emits it then and reports later counts as revisions.
   */
  constructor(
    readonly correlation: LoadedCorrelation,
    private readonly limits: CorrelationLimits,
    private readonly hold = false,
  ) {
    this.closeMode = GROWING.has(correlation.type) && !onlyLowerBounds(correlation.condition);
  }

  private fieldFor(groupField: string, member: number): string {
    const reference = this.correlation.rules[member]!;
    return this.correlation.aliases[groupField]?.[reference] ?? groupField;
  }

  private touch(group: Group): void {
    // Map order doubles as the least-recently-updated order.
    this.groups.delete(group.key);
    this.groups.set(group.key, group);
  }

  private dropGroup(group: Group): void {
    this.groups.delete(group.key);
    this.entryCount -= group.entries.length;
    for (const window of group.alerted) this.forgetWindow(group, window);
  }

  /** A window no longer remembered: a held alert is released with the count it reached (no alert is lost). */
  private forgetWindow(group: Group, window: AlertedWindow): void {
    this.revised.delete(window);
    if (window.held && window.fired) this.released.push(this.alertOf(group, window));
    window.held = false;
  }

  /** The alert of an alerted window: the event that completed it, the window's count and events. */
  private alertOf(group: Group, window: AlertedWindow): WindowFiring {
    const fired = window.fired ?? { event: {}, source: window.refs.at(-1)?.source ?? { file: "", record: 0 }, t: window.to };
    const events: EventRef[] = window.refs.map((r) => ({ time: new Date(r.t).toISOString(), rule: r.rule, source: r.source }));
    return { group: { ...group.values }, value: window.value, time: fired.t, event: fired.event, source: fired.source, events };
  }

  /** Counts an event that falls in a window that already alerted into that window's total. */
  private absorb(group: Group, window: AlertedWindow, entry: Entry, observation: Observation): void {
    const { type } = this.correlation;
    window.absorbed++;
    if (type === "event_count") window.value++;
    else if (type === "value_sum") window.value += entry.v as number;
    else if (this.keeps(window.kept, entry)) {
      insertSorted(window.kept, entry);
      window.value = Math.max(window.value, measure(this.correlation, window.kept));
    }
    addAlertRef(window.refs, { t: entry.t, rule: observation.rule, source: observation.source }, this.limits.eventsPerAlert);
    if (!window.held && window.fired) this.revised.set(window, group);
  }

  /** Whether an alerted window keeps `entry` for its measure (see AlertedWindow.kept). */
  private keeps(kept: Entry[], entry: Entry): boolean {
    if (kept.length >= this.limits.entriesPerGroup) return false;
    if (this.correlation.type === "value_count") return !kept.some((e) => e.v === entry.v);
    if (this.correlation.type === "temporal") return !kept.some((e) => e.m === entry.m);
    return true;
  }

  /** The entries an alerted window keeps of those it starts with. */
  private keptOf(entries: Entry[]): Entry[] {
    const kept: Entry[] = [];
    if (this.correlation.type === "event_count" || this.correlation.type === "value_sum") return kept;
    for (const entry of entries) if (this.keeps(kept, entry)) kept.push({ ...entry });
    return kept;
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
      const value = lookup(observation, this.fieldFor(field, observation.member), field);
      // Like a SIEM's group-by, events without a group-by field are not counted.
      if (value === undefined || value === null || value === "") return [];
      values[field] = value;
    }
    const v = entryValue(this.correlation, observation);
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
    const entry: Entry = { t: observation.time, m: observation.member, ...(v === undefined ? {} : { v }) };
    const alerted = absorbing ? group.alerted.find((w) => observation.time >= w.from && observation.time <= w.to) : undefined;
    if (alerted) {
      this.absorb(group, alerted, entry, observation);
      return [];
    }
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
    if (type === "value_percentile") return [this.firing(group, value, from, to, completing)]; // its history is the baseline the next events are judged on
    if (type === "value_avg") {
      const fired = this.firing(group, value, from, to, completing);
      this.removeEntries(group, from, to);
      if (group.entries.length === 0 && group.alerted.length === 0) this.groups.delete(group.key);
      return [fired];
    }
    // The alert stands for the window that starts at its first event and lasts one timespan: what that window
    // already holds (a late event can complete a window whose later events arrived first) is its count now, and
    // events falling in it afterwards are absorbed into that count.
    const end = from + timespanMs;
    const inWindow = group.entries.slice(lowerBound(group.entries, from), upperBound(group.entries, end));
    const window: AlertedWindow = {
      from,
      to: end,
      absorbed: 0,
      value: Math.max(value, measure(this.correlation, inWindow)),
      kept: this.keptOf(inWindow),
      refs: group.refs.filter((r) => r.t >= from && r.t <= end),
      fired: completing,
      ...(this.hold ? { held: true } : {}),
    };
    this.removeEntries(group, from, end);
    group.alerted.push(window);
    if (group.alerted.length > MAX_ALERTED_WINDOWS) this.forgetWindow(group, group.alerted.shift()!);
    return this.hold ? [] : [this.alertOf(group, window)];
  }

  /** Live mode: the alerts whose window counted more events since the last call, with their new totals. */
  takeRevisions(): WindowFiring[] {
    const out: WindowFiring[] = [];
    for (const [window, group] of this.revised) if (this.groups.get(group.key) === group && group.alerted.includes(window)) out.push(this.alertOf(group, window));
    this.revised.clear();
    return out;
  }

  /** Batch mode: held alerts whose window was forgotten (memory caps) since the last call. */
  takeReleased(): WindowFiring[] {
    const out = this.released;
    this.released = [];
    return out;
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
      const value = measure(this.correlation, window, entry);
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
    for (const window of group.alerted) if (window.to < horizon) this.forgetWindow(group, window);
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
        const value = measure(this.correlation, window);
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

  /**
   * End of input: the held alerts (batch mode) with their windows' totals, in event time order, and every
   * window judged at close.
   */
  flush(): WindowFiring[] {
    if (this.closeMode) return this.due(Number.POSITIVE_INFINITY);
    const out = this.takeReleased();
    for (const group of this.groups.values()) {
      for (const window of group.alerted) {
        if (!window.held) continue;
        out.push(this.alertOf(group, window));
        window.held = false;
      }
    }
    return out.sort((a, b) => a.time - b.time);
  }

  save(): GroupState[] {
    return [...this.groups.values()].map((g) => ({
      values: g.values,
      entries: g.entries.map((e) => ({ ...e })),
      refs: g.refs.map((r) => ({ ...r })),
      latest: g.latest,
      ...(g.alerted.length === 0 ? {} : { alerted: g.alerted.map((w) => ({ ...w, kept: w.kept.map((e) => ({ ...e })), refs: w.refs.map((r) => ({ ...r })) })) }),
      ...(g.windowStart === undefined ? {} : { windowStart: g.windowStart }),
      ...(g.last === undefined ? {} : { last: g.last }),
      ...(g.next === undefined ? {} : { next: g.next }),
    }));
  }

  restore(groups: GroupState[]): void {
    this.groups.clear();
    this.revised.clear();
    this.released = [];
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
        alerted: (state.alerted ?? []).slice(-MAX_ALERTED_WINDOWS).map((w) => alertedOf(w)),
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
