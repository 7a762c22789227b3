import { z } from "zod";
import { defineJob, type JobKind } from "../../src/core/index.js";

/** A throw-away job kind for the queue's own tests: any payload, no dedupe key. */
export function testJob(kind: string, dedupeKey?: (payload: unknown) => string): JobKind<string, z.ZodUnknown> {
  return defineJob({ kind, payload: z.unknown(), ...(dedupeKey ? { dedupeKey } : {}), producer: "a test", consumer: "a test" });
}
