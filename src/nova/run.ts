import { z } from "zod";
import { ValidationError, issuesOf, type Clock } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { analyse } from "./analyse.js";
import { collectFacts } from "./collect.js";
import type { Analysis } from "./schema.js";
import { publishAnalysis } from "./store.js";

const iso = z.iso.datetime({ offset: true });

export const NovaRunOptions = z
  .object({
    /** Decisions from this time (default: 24 hours before now). */
    since: iso.optional(),
    /** …until this time (default: now). */
    until: iso.optional(),
    /** The shift's name in the analysis id (default `adhoc`). */
    shift: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and -").default("adhoc"),
    minRecurrence: z.number().int().min(2).default(3),
    suppressionExpiryDays: z.number().int().min(1).max(90).default(30),
  })
  .strict();
export type NovaRunOptions = z.input<typeof NovaRunOptions>;

/** Reads every `nova_feed` and case outcome of the window, analyses them and publishes the analysis. */
export async function runNova(ex: Executor, options: NovaRunOptions, clock: Clock): Promise<Analysis> {
  const parsed = NovaRunOptions.safeParse(options);
  if (!parsed.success) throw new ValidationError("invalid nova run", issuesOf(parsed.error));
  const o = parsed.data;
  const now = clock.now();
  const until = new Date(o.until ?? now).toISOString();
  const since = new Date(o.since ?? now.getTime() - 86_400_000).toISOString();
  if (since >= until) throw new ValidationError("invalid nova run", [{ path: "since", message: "must be before until" }]);
  const facts = await collectFacts(ex, { since, until });
  const analysis = analyse(facts.cases, {
    shift: o.shift,
    since,
    until,
    now,
    minRecurrence: o.minRecurrence,
    suppressionExpiryDays: o.suppressionExpiryDays,
    counts: { cases: facts.cases.length, tora_decisions: facts.tora, vera_decisions: facts.vera },
  });
  return publishAnalysis(ex, analysis, clock);
}

/** The demo summary's `"nova": {"patterns": n, "proposals": n}`. */
export function novaSummary(analysis: Analysis): { patterns: number; proposals: number } {
  return { patterns: analysis.patterns.length, proposals: analysis.proposals.length };
}
