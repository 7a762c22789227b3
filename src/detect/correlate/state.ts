import { z } from "zod";
import type { Completing } from "./group.js";
import type { EventSource } from "./types.js";

// ---------------------------------------------------------------------------------------------------------
// Saved state

const SourceState = z.object({ file: z.string(), record: z.number().int(), id: z.string().optional() });
export function sourceOf(source: z.infer<typeof SourceState>): EventSource {
  return { file: source.file, record: source.record, ...(source.id === undefined ? {} : { id: source.id }) };
}
const CompletingState = z.object({ event: z.record(z.string(), z.unknown()), source: SourceState, t: z.number() });
export function completingOf(state: z.infer<typeof CompletingState>): Completing {
  return { event: state.event, source: sourceOf(state.source), t: state.t };
}
export const GroupState = z.object({
  values: z.record(z.string(), z.unknown()),
  entries: z.array(z.object({ t: z.number(), m: z.number().int().nonnegative(), v: z.union([z.number(), z.string()]).optional() })),
  refs: z.array(z.object({ t: z.number(), rule: z.object({ id: z.string(), title: z.string() }), source: SourceState })),
  latest: z.number().optional(),
  alerted: z.array(z.object({ from: z.number(), to: z.number(), absorbed: z.number().int().nonnegative() })).optional(),
  windowStart: z.number().optional(),
  last: CompletingState.optional(),
  next: CompletingState.optional(),
});
export type GroupState = z.infer<typeof GroupState>;

export const CorrelationState = z.object({
  version: z.literal(1),
  watermark: z.number().nullable(),
  correlations: z.record(z.string(), z.array(GroupState)),
});
export type CorrelationState = z.infer<typeof CorrelationState>;
