/**
 * The one source of time, so a shift can be replayed at accelerated speed and tests are deterministic.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(start: Date | string, stepMs = 0): Clock & { advance(ms: number): void } {
  let current = new Date(start).getTime();
  return {
    now() {
      const value = new Date(current);
      current += stepMs;
      return value;
    },
    advance(ms: number) {
      current += ms;
    },
  };
}

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
