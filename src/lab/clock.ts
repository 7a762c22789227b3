import type { Clock } from "../core/index.js";

/**
 * The replay's accelerated clock: it jumps over the quiet time between replay steps, and runs at real speed
 * while the crew works a step (so durations stay real). It never goes backwards.
 */
export class ReplayClock implements Clock {
  private base: number;
  private realAt: number;

  constructor(startMs: number) {
    this.base = startMs;
    this.realAt = performance.now();
  }

  now(): Date {
    return new Date(Math.floor(this.base + (performance.now() - this.realAt)));
  }

  /** Moves to `ms` (or stays, when the work of the last step already ran past it). */
  jumpTo(ms: number): void {
    this.base = Math.max(ms, this.now().getTime());
    this.realAt = performance.now();
  }
}
