import { z } from "zod";
import type { Checkpoint } from "./types.js";

/** Enough for every alert of one busy millisecond; beyond it the vendor cursor takes over. */
export const MAX_SEEN = 500;

export const CheckpointSchema = z.object({
  time: z.string().nullable().default(null),
  seen: z.array(z.string()).default([]),
  overflow: z.boolean().default(false),
  cursor: z.unknown().default(null),
});

export function parseCheckpoint(text: string): Checkpoint {
  const parsed = CheckpointSchema.parse(JSON.parse(text));
  return { time: parsed.time, seen: parsed.seen, overflow: parsed.overflow, cursor: parsed.cursor ?? null };
}

const ms = (time: string) => Date.parse(time);

/** Already committed: at the high-water mark and among its seen ids (older records never come back from a `>=` query). */
export function isSeen(checkpoint: Checkpoint, id: string, time: string): boolean {
  if (checkpoint.time === null) return false;
  const t = ms(time);
  const hw = ms(checkpoint.time);
  return t < hw || (t === hw && checkpoint.seen.includes(id));
}

/**
 * The checkpoint after committing `records` (in the vendor's ascending time order): the high-water
 * mark moves to the newest time and `seen` holds the ids at that time, bounded by MAX_SEEN.
 */
export function advanceCheckpoint(checkpoint: Checkpoint, records: { id: string; time: string }[], cursor?: unknown): Checkpoint {
  let { time, overflow } = checkpoint;
  let seen = [...checkpoint.seen];
  for (const record of records) {
    const t = ms(record.time);
    if (!Number.isFinite(t)) continue;
    if (time === null || t > ms(time)) {
      time = new Date(t).toISOString();
      seen = [record.id];
      overflow = false;
    } else if (t === ms(time) && !seen.includes(record.id)) {
      seen.push(record.id);
      if (seen.length > MAX_SEEN) {
        seen = seen.slice(-MAX_SEEN);
        overflow = true;
      }
    }
  }
  return { time, seen, overflow, cursor: cursor === undefined ? checkpoint.cursor : cursor };
}
