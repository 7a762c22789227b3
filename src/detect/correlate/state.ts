import { z } from "zod";
import type { AlertedWindow, Completing, Entry } from "./group.js";
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
const EntryState = z.object({ t: z.number(), m: z.number().int().nonnegative(), v: z.union([z.number(), z.string()]).optional() });
const RefState = z.object({ t: z.number(), rule: z.object({ id: z.string(), title: z.string() }), source: SourceState });
const AlertedState = z.object({
  from: z.number(),
  to: z.number(),
  absorbed: z.number().int().nonnegative(),
  // States saved before windows kept their totals have none of these: the total restarts from the absorbed count.
  value: z.number().optional(),
  kept: z.array(EntryState).optional(),
  refs: z.array(RefState).optional(),
  fired: CompletingState.optional(),
  held: z.boolean().optional(),
});
function entryOf(e: z.infer<typeof EntryState>): Entry {
  return { t: e.t, m: e.m, ...(e.v === undefined ? {} : { v: e.v }) };
}
export function alertedOf(w: z.infer<typeof AlertedState>): AlertedWindow {
  return {
    from: w.from,
    to: w.to,
    absorbed: w.absorbed,
    value: w.value ?? w.absorbed,
    kept: (w.kept ?? []).map(entryOf).sort((a, b) => a.t - b.t),
    refs: (w.refs ?? []).map((r) => ({ t: r.t, rule: r.rule, source: sourceOf(r.source) })),
    ...(w.fired === undefined ? {} : { fired: completingOf(w.fired) }),
    ...(w.held === true ? { held: true } : {}),
  };
}
export const GroupState = z.object({
  values: z.record(z.string(), z.unknown()),
  entries: z.array(EntryState),
  refs: z.array(RefState),
  latest: z.number().optional(),
  alerted: z.array(AlertedState).optional(),
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
