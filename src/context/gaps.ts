import { z } from "zod";
import { ValidationError, issuesOf } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { toIsoUtc } from "./normalise.js";

/** Stored times may differ in sub-second formatting: query a second wider, then compare exactly. */
const SLACK_MS = 1000;

const IsoInstant = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const iso = toIsoUtc(text);
    if (iso === null) {
      ctx.addIssue({ code: "custom", message: `not an ISO-8601 date or date-time: "${text}"` });
      return z.NEVER;
    }
    return iso;
  });

export const GapCountsOptions = z.object({
  /** Alerts whose own time is at or after this instant. */
  since: IsoInstant.optional(),
  /** Alerts whose own time is before this instant. */
  until: IsoInstant.optional(),
  /** Only this alert source (e.g. `suricata`). */
  source: z.string().trim().min(1).optional(),
});
export type GapCountsOptions = z.input<typeof GapCountsOptions>;

export interface GapCount {
  /** Alerts in the range from this source, enriched or not. */
  alerts: number;
  enriched: number;
  /** Enriched alerts with at least one missing field. */
  with_gaps: number;
  /** Enriched alerts with at least one stale enrichment. */
  with_stale: number;
  completeness: { complete: number; partial: number; insufficient: number };
  /** Per missing field path, how many alerts lack it; most frequent first. */
  missing: Record<string, number>;
  /** Per stale enrichment path (present but older than its axis allows), how many alerts. */
  stale: Record<string, number>;
}

export interface GapCounts {
  since: string | null;
  until: string | null;
  source: string | null;
  total: GapCount;
  /** Per alert source, by name. */
  sources: Record<string, GapCount>;
}

interface StoredMeta {
  context_completeness?: string;
  missing_fields?: string[];
  stale?: string[];
}

function emptyCount(): GapCount {
  return { alerts: 0, enriched: 0, with_gaps: 0, with_stale: 0, completeness: { complete: 0, partial: 0, insufficient: 0 }, missing: {}, stale: {} };
}

function add(count: GapCount, meta: StoredMeta | null) {
  count.alerts++;
  if (!meta) return;
  count.enriched++;
  const completeness = meta.context_completeness;
  if (completeness === "complete" || completeness === "partial" || completeness === "insufficient") count.completeness[completeness]++;
  const missing = [...new Set(meta.missing_fields ?? [])];
  if (missing.length > 0) count.with_gaps++;
  for (const path of missing) count.missing[path] = (count.missing[path] ?? 0) + 1;
  const stale = [...new Set(meta.stale ?? [])];
  if (stale.length > 0) count.with_stale++;
  for (const path of stale) count.stale[path] = (count.stale[path] ?? 0) + 1;
}

/** Most frequent first, then by path: the order a reader scans for the biggest gap. */
function ranked(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}

function finish(count: GapCount): GapCount {
  return { ...count, missing: ranked(count.missing), stale: ranked(count.stale) };
}

/**
 * What the enrichment could not find, counted per alert source over a range of alert times: for NOVA,
 * which feeds and which context sources leave the crew guessing. One query; the documents are read here.
 */
export async function gapCounts(ex: Executor, options: GapCountsOptions = {}): Promise<GapCounts> {
  const parsed = GapCountsOptions.safeParse(options);
  if (!parsed.success) throw new ValidationError("invalid gap count options", issuesOf(parsed.error));
  const { since, until, source } = parsed.data;
  if (since && until && since >= until) throw new ValidationError("since must be before until", [{ path: "until", message: "must be after since" }]);

  let query = ex.selectFrom("alerts").select(["source", "time", "enrichment"]);
  if (since) query = query.where("time", ">=", new Date(Date.parse(since) - SLACK_MS).toISOString());
  if (until) query = query.where("time", "<", new Date(Date.parse(until) + SLACK_MS).toISOString());
  if (source) query = query.where("source", "=", source);
  const rows = await query.execute();

  const from = since ? Date.parse(since) : -Infinity;
  const to = until ? Date.parse(until) : Infinity;
  const total = emptyCount();
  const bySource = new Map<string, GapCount>();
  for (const row of rows) {
    const at = Date.parse(row.time);
    if (!(at >= from && at < to)) continue;
    const enrichment = fromJson<{ meta?: StoredMeta } | null>(row.enrichment, null);
    const meta = enrichment ? (enrichment.meta ?? {}) : null;
    let count = bySource.get(row.source);
    if (!count) bySource.set(row.source, (count = emptyCount()));
    add(count, meta);
    add(total, meta);
  }
  return {
    since: since ?? null,
    until: until ?? null,
    source: source ?? null,
    total: finish(total),
    sources: Object.fromEntries([...bySource.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => [name, finish(count)])),
  };
}

/**
 * The missing field paths of a case: the union over its alerts, sorted, with how many of its alerts
 * lack each one. Empty when every alert is fully enriched (or none is enriched yet).
 */
export async function caseMissingFields(ex: Executor, caseId: string): Promise<{ missing_fields: string[]; missing_counts: Record<string, number> }> {
  const rows = await ex.selectFrom("alerts").select(["enrichment"]).where("case_id", "=", caseId).execute();
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const meta = fromJson<{ meta?: StoredMeta } | null>(row.enrichment, null)?.meta;
    for (const path of new Set(meta?.missing_fields ?? [])) counts[path] = (counts[path] ?? 0) + 1;
  }
  const missing = Object.keys(counts).sort((a, b) => a.localeCompare(b));
  return { missing_fields: missing, missing_counts: Object.fromEntries(missing.map((p) => [p, counts[p]!])) };
}

/** A plain-text table of gap counts: one row per source, then its top missing paths. */
export function formatGapCounts(counts: GapCounts, topPaths = 5): string {
  const lines: string[] = [];
  const range = `${counts.since ?? "the beginning"} to ${counts.until ?? "now"}`;
  lines.push(`Context gaps per alert source, alert times from ${range}${counts.source ? `, source ${counts.source}` : ""}`);
  const header = ["source", "alerts", "enriched", "with gaps", "complete", "partial", "insufficient", "stale"];
  const row = (name: string, c: GapCount) => [
    name,
    String(c.alerts),
    String(c.enriched),
    String(c.with_gaps),
    String(c.completeness.complete),
    String(c.completeness.partial),
    String(c.completeness.insufficient),
    String(c.with_stale),
  ];
  const table = [header, ...Object.entries(counts.sources).map(([name, c]) => row(name, c)), row("TOTAL", counts.total)];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) lines.push(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd());
  for (const [name, c] of Object.entries(counts.sources)) {
    const top = Object.entries(c.missing).slice(0, topPaths);
    if (top.length === 0) continue;
    lines.push("", `${name}: most missing`);
    for (const [path, n] of top) lines.push(`  ${String(n).padStart(5)}  ${path}`);
  }
  return lines.join("\n");
}

export interface EnrichmentExample {
  alert_id: string;
  source: string;
  source_id: string | null;
  title: string;
  time: string;
  completeness: string | null;
  missing_fields: string[];
  stale: string[];
}

export interface EnrichmentOverview {
  alerts: number;
  enriched: number;
  with_gaps: number;
  completeness: GapCount["completeness"];
  /** The most frequently missing field paths, most frequent first. */
  top_missing: { path: string; count: number }[];
  stale: Record<string, number>;
  /** A few enriched alerts with their missing fields, chosen to show different gaps. */
  examples: EnrichmentExample[];
}

/**
 * A short account of what enrichment found and missed over a range of alert times: totals, the top
 * missing paths and a few example alerts whose gaps differ (the first alert, by time, for each kind of gap).
 */
export async function enrichmentOverview(
  ex: Executor,
  options: GapCountsOptions & { top?: number; examples?: number } = {},
): Promise<EnrichmentOverview> {
  const { top = 5, examples: wanted = 3, ...range } = options;
  const counts = await gapCounts(ex, range);
  const { since, until, source } = GapCountsOptions.parse(range);

  let query = ex
    .selectFrom("alerts")
    .select(["id", "source", "source_id", "title", "time", "enrichment"])
    .where("enrichment", "is not", null)
    .orderBy("time")
    .orderBy("id");
  if (since) query = query.where("time", ">=", new Date(Date.parse(since) - SLACK_MS).toISOString());
  if (until) query = query.where("time", "<", new Date(Date.parse(until) + SLACK_MS).toISOString());
  if (source) query = query.where("source", "=", source);
  const from = since ? Date.parse(since) : -Infinity;
  const to = until ? Date.parse(until) : Infinity;

  const candidates: (EnrichmentExample & { axes: string })[] = [];
  for (const row of await query.execute()) {
    const at = Date.parse(row.time);
    if (!(at >= from && at < to)) continue;
    const meta = fromJson<{ meta?: StoredMeta } | null>(row.enrichment, null)?.meta;
    const missing = meta?.missing_fields ?? [];
    if (missing.length === 0) continue;
    candidates.push({
      alert_id: row.id,
      source: row.source,
      source_id: row.source_id,
      title: row.title,
      time: row.time,
      completeness: meta?.context_completeness ?? null,
      missing_fields: missing,
      stale: meta?.stale ?? [],
      axes: [...new Set(missing.map((p) => p.split(".")[0]!))].sort().join("+"),
    });
  }
  // Different gaps first (an unknown host, a missing identity, a DNS field…), then different sources.
  const picked: typeof candidates = [];
  const take = (accept: (c: (typeof candidates)[number]) => boolean) => {
    for (const c of candidates) if (picked.length < wanted && !picked.includes(c) && accept(c)) picked.push(c);
  };
  take((c) => !picked.some((p) => p.axes === c.axes));
  take((c) => !picked.some((p) => p.source === c.source));
  take(() => true);
  const examples = picked.sort((a, b) => a.time.localeCompare(b.time)).map(({ axes: _axes, ...example }) => example);

  return {
    alerts: counts.total.alerts,
    enriched: counts.total.enriched,
    with_gaps: counts.total.with_gaps,
    completeness: counts.total.completeness,
    top_missing: Object.entries(counts.total.missing)
      .slice(0, top)
      .map(([path, count]) => ({ path, count })),
    stale: counts.total.stale,
    examples,
  };
}
