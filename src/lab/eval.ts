import type { Config } from "../config/index.js";
import { loadPack, type LoadPackOptions } from "./load.js";
import { replayPack, type ReplayOptions } from "./replay.js";
import { addCounts, addMatrices, emptyCounts, emptyMatrix, headline, scorePack, share, TORA_LABELS, VERA_LABELS, type Counts, type IncidentResult, type PackScore, type TierMatrix } from "./score.js";

export const EVAL_FORMAT = "nightshift.eval.v1";

export interface PackResult {
  name: string;
  title: string;
  file: string;
  analyst: string;
  /** A malicious incident of this pack ended closed. */
  failed: boolean;
  malicious_incidents_closed: number;
  incident_recall: number | null;
  alert_recall: number | null;
  benign_auto_closed: number | null;
  escalation_precision: number | null;
  alerts_per_case: number | null;
  counts: Counts;
  tiers: { tora: TierMatrix; vera: TierMatrix };
  incidents: IncidentResult[];
  containment: PackScore["containment"];
  silent_logs: number[];
  learn_from: { files: number; applied: boolean; note: string | null };
  time: { wall_ms: number; crew_ms_per_case: number | null };
  tokens: { in: number; out: number; per_case: number | null };
}

export interface EvalResult {
  format: typeof EVAL_FORMAT;
  analyst: string;
  packs: PackResult[];
  malicious_incidents_closed: number;
  incident_recall: number | null;
  alert_recall: number | null;
  benign_auto_closed: number | null;
  escalation_precision: number | null;
  alerts_per_case: number | null;
  tiers: { tora: TierMatrix; vera: TierMatrix };
  hypotheses: Counts["hypotheses"];
  containment: { expected: number; missing: number; wrong: number };
  time: { wall_ms: number; crew_ms_per_case: number | null };
  tokens: { in: number; out: number; per_case: number | null };
  failed_packs: string[];
  baseline?: BaselineComparison;
}

const round = (n: number) => Math.round(n * 10) / 10;

function timeAndTokens(c: Counts) {
  return {
    time: { wall_ms: Math.round(c.wall_ms), crew_ms_per_case: c.cases ? round(c.crew_ms / c.cases) : null },
    tokens: { in: c.tokens_in, out: c.tokens_out, per_case: c.cases ? round((c.tokens_in + c.tokens_out) / c.cases) : null },
  };
}

/** Replays and scores one pack file. */
export async function evaluatePackFile(file: string, config: Config, options: LoadPackOptions & Pick<ReplayOptions, "onProgress" | "fromMs" | "untilMs"> = {}): Promise<PackResult> {
  const loaded = loadPack(file, options);
  const { onProgress, fromMs, untilMs } = options;
  const observation = await replayPack(loaded, config, { onProgress, fromMs, untilMs });
  // A slice scores the incidents that have alerts in it; those wholly outside it are not missed, just not replayed.
  const sliced = fromMs !== undefined || untilMs !== undefined;
  const present = new Set(observation.alerts.map((a) => a.truth.incident).filter((i): i is string => !!i));
  const incidents = sliced ? new Map([...loaded.incidents].filter(([id]) => present.has(id))) : loaded.incidents;
  const score = scorePack(observation, incidents);
  const head = headline(score.counts);
  return {
    name: loaded.pack.name,
    title: loaded.pack.title,
    file: loaded.file,
    analyst: observation.analyst,
    failed: score.counts.malicious_incidents_closed > 0,
    ...head,
    counts: score.counts,
    tiers: score.tiers,
    incidents: score.incidents,
    containment: score.containment,
    silent_logs: score.silent_logs,
    learn_from: observation.learnFrom,
    ...timeAndTokens(score.counts),
  };
}

/** The totals over packs: counts are summed, then the shares computed from the sums. */
export function combine(packs: PackResult[]): EvalResult {
  const total = packs.reduce((sum, p) => addCounts(sum, p.counts), emptyCounts());
  const tiers = packs.reduce((sum, p) => ({ tora: addMatrices(sum.tora, p.tiers.tora), vera: addMatrices(sum.vera, p.tiers.vera) }), {
    tora: emptyMatrix(TORA_LABELS),
    vera: emptyMatrix(VERA_LABELS),
  });
  return {
    format: EVAL_FORMAT,
    analyst: [...new Set(packs.map((p) => p.analyst))].join(", ") || "deterministic",
    packs,
    ...headline(total),
    tiers,
    hypotheses: total.hypotheses,
    containment: { expected: total.containment_expected, missing: total.containment_missing, wrong: total.containment_wrong },
    ...timeAndTokens(total),
    failed_packs: packs.filter((p) => p.failed).map((p) => p.name),
  };
}

export const COMPARED = ["incident_recall", "alert_recall", "benign_auto_closed", "escalation_precision", "malicious_incidents_closed", "alerts_per_case"] as const;
type Compared = (typeof COMPARED)[number];
export interface Change {
  before: number | null;
  after: number | null;
  delta: number | null;
}
export interface BaselineComparison {
  file: string;
  totals: Record<Compared, Change>;
  packs: Record<string, Record<Compared, Change> | "new">;
  missing_packs: string[];
}

function change(before: number | null | undefined, after: number | null): Change {
  const b = typeof before === "number" ? before : null;
  return { before: b, after, delta: b === null || after === null ? null : Math.round((after - b) * 10_000) / 10_000 };
}

/** The change of every headline figure against an earlier `eval --json` result. */
export function compareWithBaseline(current: EvalResult, baseline: unknown, file: string): BaselineComparison {
  const base = (baseline ?? {}) as Partial<Record<Compared, number | null>> & { packs?: (Partial<Record<Compared, number | null>> & { name?: string })[] };
  const totals = Object.fromEntries(COMPARED.map((k) => [k, change(base[k], current[k])])) as Record<Compared, Change>;
  const basePacks = new Map((Array.isArray(base.packs) ? base.packs : []).map((p) => [p.name, p]));
  const packs: BaselineComparison["packs"] = {};
  for (const p of current.packs) {
    const before = basePacks.get(p.name);
    packs[p.name] = before ? (Object.fromEntries(COMPARED.map((k) => [k, change(before[k], p[k])])) as Record<Compared, Change>) : "new";
  }
  const names = new Set(current.packs.map((p) => p.name));
  return { file, totals, packs, missing_packs: [...basePacks.keys()].filter((n): n is string => !!n && !names.has(n)) };
}

export { share };
