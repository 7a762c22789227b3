import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipelineHandlers, tierModel, type App } from "../app/index.js";
import type { Config } from "../config/index.js";
import { DETECT_JOB, JOURNAL_POST_JOB, type Outcome } from "../core/index.js";
import { exportAlerts, exportCases } from "../cases/index.js";
import { importFeedback, writeContext } from "../context/index.js";
import { getToraDecision, getVeraDecision, runSummary } from "../crew/index.js";
import { importEventFiles, ingestAlerts, listAlerts } from "../ingest/index.js";
import { openStore, runUntilIdle, type Db, type HandlerEntry } from "../store/index.js";
import { readLabelledAlerts } from "./alert-file.js";
import { ReplayClock } from "./clock.js";
import type { LoadedPack } from "./load.js";
import type { AlertTruth, ContainmentAction } from "./schema.js";

export interface AlertObservation {
  id: string;
  truth: AlertTruth;
  caseId: string | null;
  outcome: Outcome;
}

export interface CaseObservation {
  id: string;
  outcome: Outcome;
  priority: string | null;
  tora: string | null;
  vera: string | null;
  hypothesis: string | null;
  recommendations: ContainmentAction[];
  techniques: string[];
  durationMs: number;
  tokensIn: number;
  tokensOut: number;
}

export interface ReplayObservation {
  alerts: AlertObservation[];
  cases: CaseObservation[];
  wallMs: number;
  jobs: { processed: number; failed: number };
  analyst: string;
  /** Raw-log entries whose detection raised nothing, by timeline index. */
  silentLogs: number[];
  learnFrom: { files: number; applied: boolean; note: string | null };
}

/** The temporary homes of replays under way, so that an interrupted `eval` can delete them (`removeReplayHomes`). */
const liveHomes = new Set<string>();

/** Deletes the temporary stores of replays still running (for a SIGINT handler: the process is about to exit). */
export function removeReplayHomes(): void {
  for (const home of liveHomes) rmSync(home, { recursive: true, force: true });
  liveHomes.clear();
}

/** Replay's own handler set: the pipeline without the journal (eval scores the crew, not the write-ups). */
function replayHandlers(app: App): Record<string, HandlerEntry> {
  const { [JOURNAL_POST_JOB.kind]: _journal, ...rest } = pipelineHandlers(app);
  return rest;
}

function mergeTruth(a: AlertTruth | undefined, b: AlertTruth): AlertTruth {
  if (!a) return b;
  if (a.malicious || !b.malicious) return a;
  return b;
}

type Item = { timeMs: number; kind: "alert"; input: Record<string, unknown>; truth: AlertTruth; origin: { file: string; record: number } } | { timeMs: number; kind: "logs"; logs: string; truth: AlertTruth; index: number };

/**
 * Replays a pack as a shift in a fresh temporary SQLite store on an accelerated clock: context first, then
 * each step's alerts (and raw logs, through detection) ingested at their time and the queue worked before the
 * clock jumps to the next step. Returns what became of every alert and case; the store is deleted afterwards.
 */
export interface ReplayProgress {
  /** Timeline items (alerts and raw-log entries) replayed so far, of `total`. */
  done: number;
  total: number;
  /** The pack time reached. */
  at: string;
  elapsedMs: number;
}

export interface ReplayOptions {
  /** Keep the store in this folder instead of a temporary one (not deleted). */
  keepHome?: string;
  /** Called after a step at most every `progressEveryMs` (default 10 s) of wall time. */
  onProgress?: (progress: ReplayProgress) => void;
  progressEveryMs?: number;
  /** Replay only the timeline entries and alert-file rows at or after this time (epoch ms): a slice of a big pack. */
  fromMs?: number;
  /** …and before this time (epoch ms). */
  untilMs?: number;
}

/** Whether a replay time is inside the slice the options ask for (all of the pack by default). */
export function inSlice(timeMs: number, options: Pick<ReplayOptions, "fromMs" | "untilMs">): boolean {
  return (options.fromMs === undefined || timeMs >= options.fromMs) && (options.untilMs === undefined || timeMs < options.untilMs);
}

export async function replayPack(loaded: LoadedPack, baseConfig: Config, options: ReplayOptions = {}): Promise<ReplayObservation> {
  const started = performance.now();
  const items: Item[] = loaded.entries.filter((e) => inSlice(e.timeMs, options)).map((e) =>
    e.logs !== undefined
      ? { timeMs: e.timeMs, kind: "logs" as const, logs: e.logs, truth: e.truth, index: e.index }
      : { timeMs: e.timeMs, kind: "alert" as const, input: e.alert!, truth: e.truth, origin: { file: loaded.file, record: e.index + 1 } },
  );
  for (const [i, file] of loaded.alertFiles.entries())
    for (const record of await readLabelledAlerts(file, `alert_files[${i}]`))
      if (inSlice(record.timeMs, options))
        items.push({ timeMs: record.timeMs, kind: "alert", input: record.input, truth: record.truth, origin: { file: file.resolved, record: record.record } });
  items.sort((a, b) => a.timeMs - b.timeMs);

  const home = options.keepHome ?? mkdtempSync(path.join(tmpdir(), "nightshift-eval-"));
  if (!options.keepHome) liveHomes.add(home);
  const config: Config = { ...baseConfig, home, database_url: undefined };
  const store = await openStore(config);
  const clock = new ReplayClock((items[0]?.timeMs ?? Date.now()) - 60_000);
  const app: App = { config, store, clock, journalDir: path.join(home, "journal"), close: () => store.close() };
  const db = store.db;
  const model = tierModel(config, "tora");
  const veraModel = tierModel(config, "vera");
  const name = (m: typeof model) => (m ? `model:${m.model}` : "deterministic");
  const analyst = name(model) === name(veraModel) ? name(model) : `TORA ${name(model)}, VERA ${name(veraModel)}`;
  try {
    await db.transaction().execute((trx) => writeContext(trx, loaded.context, { now: clock.now().toISOString(), source: `pack:${loaded.pack.name}` }));
    // Labelled history first, as a SOC would import its old SOAR's decisions before the shift: feedback, never work.
    let learned = 0;
    for (const history of loaded.learnFrom) {
      const result = await importFeedback(db, history.resolved, {
        ...(history.format === "csv" || history.format === "ndjson" ? { format: history.format } : {}),
        ...(history.fieldMap ? { map: history.fieldMap } : {}),
        label: history.label,
        benign: history.benign,
        ...(history.roles ? { roles: history.roles } : {}),
        clock,
      });
      learned += result.created;
    }
    const handlers = replayHandlers(app);
    const detectOnly = { [DETECT_JOB.kind]: handlers[DETECT_JOB.kind]! };
    const truth = new Map<string, AlertTruth>();
    const silentLogs: number[] = [];
    const jobs = { processed: 0, failed: 0 };
    const work = async (set: Record<string, HandlerEntry>) => {
      const stats = await runUntilIdle(db, { handlers: set, clock, onError: reportJobError });
      jobs.processed += stats.processed;
      jobs.failed += stats.failed;
    };

    let i = 0;
    let reported = performance.now();
    while (i < items.length) {
      const windowStart = items[i]!.timeMs;
      clock.jumpTo(windowStart);
      const step: Item[] = [];
      while (i < items.length && items[i]!.timeMs < windowStart + loaded.stepMs) step.push(items[i++]!);
      const alerts = step.filter((s) => s.kind === "alert");
      for (let from = 0; from < alerts.length; from += 500) {
        const chunk = alerts.slice(from, from + 500);
        const { results } = await ingestAlerts(db, chunk.map((c) => c.input), { via: "file", clock, origins: chunk.map((c) => c.origin), batch: true });
        results.forEach((r, k) => truth.set(r.id, mergeTruth(truth.get(r.id), chunk[k]!.truth)));
      }
      for (const entry of step) {
        if (entry.kind !== "logs") continue;
        const since = clock.now().toISOString();
        await importEventFiles(db, [entry.logs], { clock });
        await work(detectOnly);
        const fresh = await newAlertIds(db, since, truth);
        if (fresh.length === 0) silentLogs.push(entry.index);
        for (const id of fresh) truth.set(id, entry.truth);
      }
      await work(handlers);
      if (options.onProgress && performance.now() - reported >= (options.progressEveryMs ?? 10_000)) {
        reported = performance.now();
        options.onProgress({ done: i, total: items.length, at: new Date(windowStart).toISOString(), elapsedMs: reported - started });
      }
    }
    await work(handlers);

    const alerts: AlertObservation[] = [];
    for await (const line of exportAlerts(db, { pageSize: 5000 }))
      alerts.push({ id: line.id, truth: truth.get(line.id) ?? { malicious: false, note: "not in the pack (raised by detection outside a logs entry)" }, caseId: line.case_id, outcome: line.outcome });
    const cases: CaseObservation[] = [];
    for await (const line of exportCases(db, { pageSize: 2000 })) {
      const tora = await getToraDecision(db, line.id);
      const vera = await getVeraDecision(db, line.id);
      const runs = model || veraModel ? await runSummary(db, line.id) : null;
      const veraOut = vera?.output as { tora_hypothesis_resolution?: { status?: string }; containment?: { recommendations?: { action_hint: string; target: string }[] } } | undefined;
      cases.push({
        id: line.id,
        outcome: line.outcome,
        priority: line.priority,
        tora: tora?.verdict ?? null,
        vera: vera?.verdict ?? null,
        hypothesis: veraOut?.tora_hypothesis_resolution?.status ?? null,
        recommendations: (veraOut?.containment?.recommendations ?? []).map((r) => ({ action: r.action_hint as ContainmentAction["action"], target: r.target })),
        techniques: line.attack.techniques,
        durationMs: (tora?.duration_ms ?? 0) + (vera?.duration_ms ?? 0),
        tokensIn: runs?.tokens_in ?? 0,
        tokensOut: runs?.tokens_out ?? 0,
      });
    }
    return {
      alerts,
      cases,
      wallMs: performance.now() - started,
      jobs,
      analyst,
      silentLogs,
      learnFrom: {
        files: loaded.learnFrom.length,
        applied: loaded.learnFrom.length > 0,
        note: loaded.learnFrom.length ? `learned from ${learned} labelled rows of ${loaded.learnFrom.length} file(s) before the shift (analyst feedback, never work)` : null,
      },
    };
  } finally {
    await store.close();
    if (!options.keepHome) {
      rmSync(home, { recursive: true, force: true });
      liveHomes.delete(home);
    }
  }
}

/** Alerts received since `since` that no earlier entry accounts for: what detection raised from one logs entry. */
async function newAlertIds(db: Db, since: string, known: Map<string, AlertTruth>): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await listAlerts(db, { since, limit: 1000, offset });
    for (const alert of page) if (!known.has(alert.id)) ids.push(alert.id);
    if (page.length < 1000) return ids;
  }
}

function reportJobError(job: { kind: string; id: string }, error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`nightshift eval: job ${job.kind} ${job.id} failed: ${message}\n`);
}
