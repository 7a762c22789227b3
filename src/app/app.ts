import path from "node:path";
import { loadConfig, type Config } from "../config/index.js";
import { logger, systemClock, type Clock } from "../core/index.js";
import { openStore, runUntilIdle, startWorker, type Handlers, type RunStats, type Store } from "../store/index.js";
import { contextHandlers, indexAlertHistory } from "../context/index.js";
import { caseHandlers, sealPlainChain } from "../cases/index.js";
import { ModelSettings, runAgent, toolsFor, toraHandlers, veraHandlers } from "../crew/index.js";
import { ValidationError, issuesOf } from "../core/index.js";
import { buildJournalSite, journalHandlers } from "../journal/index.js";
import { configuredDetector, detectionHandlers } from "./detection.js";
import { siteRebuilder, type SiteRebuilder } from "./site-rebuild.js";

/**
 * The composition root: opens the store named by the configuration and wires every stage's queue
 * handlers together. Only the CLI and the server import it; stages never import each other's handlers.
 */
export interface App {
  config: Config;
  store: Store;
  clock: Clock;
  journalDir: string;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  env?: Record<string, string | undefined>;
  overrides?: Partial<Config>;
  clock?: Clock;
}

export async function openApp(options: OpenAppOptions = {}): Promise<App> {
  const config = loadConfig(options.env ?? process.env, options.overrides ?? {});
  const store = await openStore(config);
  const clock = options.clock ?? systemClock;
  try {
    // A chain written before it was keyed is pinned by a keyed seal when migration 0010 runs, and only then:
    // plain events that appear later (a chain cut back to them) stay unsealed, and verification says so.
    if (store.applied.includes("0010-audit-keys")) await sealPlainChain(store.db, clock);
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    config,
    store,
    clock,
    journalDir: path.join(config.home, "journal"),
    close: () => store.close(),
  };
}

export interface PipelineHooks {
  /** After a `journal.post` job commits (the site rebuild's hand-off). */
  onJournalPost?: (decisionId: string) => void;
}

/** Every stage's handlers, keyed by job kind, in the order of src/core/pipeline.ts: detect → enrich → group → triage → investigate → journal. */
export function pipelineHandlers(app: App, hooks: PipelineHooks = {}): Handlers {
  const { config, clock } = app;
  return {
    ...detectionHandlers({ detector: configuredDetector(config), clock }),
    ...contextHandlers({
      historyWindowHours: config.history.window_hours,
      suppressionMaxAgeDays: config.suppression.max_age_days,
      ipStaleDays: config.context.ip_stale_days,
      anomalyWindowDays: config.context.anomaly_window_days,
      staleAfterDays: { asset: 90, identity: 30, ...config.context.stale_after_days },
      clock,
    }),
    ...caseHandlers({
      windowMinutes: config.grouping.window_minutes,
      incidentMinutes: config.grouping.incident_minutes,
      incidentSpanMinutes: config.grouping.incident_span_minutes,
      routineHours: config.grouping.routine_hours,
      crossSource: config.grouping.cross_source,
      clock,
    }),
    ...toraHandlers({
      clock,
      model: tierModel(config, "tora"),
      runAgent,
      tools: toolsFor("TORA"),
      maxSteps: config.crew.max_steps.tora,
      retry: config.crew.retry,
    }),
    ...veraHandlers({
      clock,
      model: tierModel(config, "vera"),
      runAgent,
      tools: toolsFor("VERA"),
      maxSteps: config.crew.max_steps.vera,
      retry: config.crew.retry,
    }),
    ...journalHandlers({ home: config.home, ...(hooks.onJournalPost ? { onPosted: hooks.onJournalPost } : {}) }),
  };
}

/**
 * A tier's model endpoint: `crew.model` with `crew.tiers.<tier>` over it, or null when neither names one
 * (the deterministic analyst works the tier). Checked in full here, so a bad setting fails at start.
 */
export function tierModel(config: Config, tier: "tora" | "vera"): ModelSettings | null {
  const base = config.crew.model;
  const override = config.crew.tiers[tier];
  if (!base && !override) return null;
  const merged = { ...(base ?? {}), ...(override ?? {}) };
  const parsed = ModelSettings.safeParse(merged);
  if (!parsed.success) throw new ValidationError(`invalid configuration: crew model for ${tier}`, issuesOf(parsed.error, `crew.tiers.${tier}`));
  return parsed.data;
}

function reportJobError(job: { kind: string; id: string }, error: unknown) {
  logger().error({ job_id: job.id, kind: job.kind, err: error }, "job failed");
}

/** The journal site's rebuild for a worker of this app: requested after each post it writes. */
function appSiteRebuilder(app: App): SiteRebuilder {
  return siteRebuilder(
    () => buildJournalSite(app.config.home),
    (error) => process.stderr.write(`nightshift: journal rebuild failed: ${String(error)}\n`),
  );
}

/**
 * Works the queue until nothing runnable is left. Alerts not yet in the history index (all of them, the
 * first time after the upgrade that added it) are indexed first, a thousand per transaction, so that no
 * enrichment job holds the write lock for the whole backlog. The journal site is rebuilt after the posts
 * it writes (the journal job's hand-off), and is up to date when it returns.
 */
export async function workUntilIdle(app: App): Promise<RunStats> {
  await indexAlertHistory(app.store.db);
  const site = appSiteRebuilder(app);
  try {
    return await runUntilIdle(app.store.db, { handlers: pipelineHandlers(app, { onJournalPost: () => site.request() }), clock: app.clock, onError: reportJobError });
  } finally {
    await site.settled();
  }
}

/**
 * A background worker for `serve` and `shift run` without --until-idle (history indexed first, and the
 * site rebuilt after each post, as above): the site `serve` shows follows the shift whichever process works it.
 */
export function startPipelineWorker(app: App): () => Promise<void> {
  let stopped = false;
  let stop: (() => Promise<void>) | null = null;
  const site = appSiteRebuilder(app);
  const ready = indexAlertHistory(app.store.db)
    .catch((error: unknown) => logger().error({ err: error }, "history index failed"))
    .then(() => {
      if (!stopped)
        stop = startWorker(app.store.db, { handlers: pipelineHandlers(app, { onJournalPost: () => site.request() }), clock: app.clock, onError: reportJobError });
    });
  return async () => {
    stopped = true;
    await ready;
    await stop?.();
    await site.settled();
  };
}
