import type { AttackTags, CorrelationType } from "../sigma/index.js";

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

export type WindowFiring = Pick<CorrelationFiring, "group" | "value" | "time" | "event" | "source" | "events">;
