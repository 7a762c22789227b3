import type { Clock } from "../../core/index.js";
import type { Executor } from "../../store/index.js";

/**
 * Where a connector stands: the high-water mark (`time`, the newest alert time committed), the ids
 * already committed AT that time (so a re-query from `time` inclusive skips them: equal timestamps
 * across pages or runs neither lose nor duplicate), and a vendor cursor (e.g. OpenSearch sort values).
 */
export interface Checkpoint {
  time: string | null;
  seen: string[];
  /** More alerts shared `time` than `seen` may hold: resume strictly after `cursor` instead. */
  overflow: boolean;
  cursor: unknown;
}

export interface PullContext {
  clock: Clock;
  /** Waits (injected in tests); used by the HTTP helper for backoff and Retry-After. */
  sleep: (ms: number) => Promise<void>;
  /** The first page of this run: a connector re-queries from the high-water mark (late arrivals) instead of its cursor. */
  firstPage: boolean;
}

export interface PullResult {
  /** Generic JSON alerts (the public contract of src/ingest/formats/generic.ts). */
  alerts: unknown[];
  checkpoint: Checkpoint;
  /** Another page is waiting now; false when caught up. */
  more: boolean;
  /** Records fetched from the vendor and not already committed (default: the number of alerts). */
  fetched?: number;
  /**
   * Other records of this page (a device inventory's assets…), written inside the page's transaction,
   * so they commit or roll back together with its alerts and checkpoint.
   */
  commit?: (trx: Executor) => Promise<void>;
}

export interface Connector {
  name: string;
  kind: string;
  /** Seconds between scheduled runs. */
  intervalSeconds: number;
  pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult>;
}

export const EMPTY_CHECKPOINT: Checkpoint = { time: null, seen: [], overflow: false, cursor: null };
