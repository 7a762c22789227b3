import { statSync } from "node:fs";
import type { Config } from "../config/index.js";
import { DETECT_JOB, ValidationError, isoNow, logger, systemClock, type Clock } from "../core/index.js";
import { createDetector, detectionToAlertInput, detectorSources, type DetectionAlert, type Detector } from "../detect/index.js";
import { getEvents, loadDetectionState, purgeEvents, saveDetectionState, type StoredEvent } from "../events/index.js";
import { ingestAlerts, reviseAlerts } from "../ingest/index.js";
import { handles, type Db, type Handlers, type Job } from "../store/index.js";

/** The correlation state row shared by every process running the configured Sigma rules. */
export const DETECTION_STATE_ID = "sigma";

export interface DetectionHandlerOptions {
  /** Built once and reused; called on the first job. */
  detector: () => Promise<Detector>;
  clock?: Clock;
  /** After a job commits: how many alerts it queued for the crew (new ones only). */
  onAlertsQueued?: (count: number, job: Job) => void;
}

/** Events in the order they happened (correlation windows depend on it); ties keep file order. */
function byTime(a: StoredEvent, b: StoredEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.origin.file !== b.origin.file) return a.origin.file < b.origin.file ? -1 : 1;
  return a.origin.record - b.origin.record;
}

/**
 * The detection stage: `events.detect {ids}` runs the Sigma rules over those stored events and ingests
 * what fires as alerts (queued for `alert.enrich`), all in the job's transaction together with the
 * correlation state. The detector is in memory and shared: jobs in one process run one at a time, each
 * starting from the stored state, so a job that fails leaves neither alerts nor a changed state behind.
 */
export function detectionHandlers(options: DetectionHandlerOptions): Handlers {
  const clock = options.clock ?? systemClock;
  let ready: Promise<{ detector: Detector; initialState: unknown }> | undefined;
  const prepare = () =>
    (ready ??= options.detector().then(
      (detector) => ({ detector, initialState: detector.saveState() }),
      (error: unknown) => {
        ready = undefined; // a fixed rule folder is picked up on the next attempt
        throw error;
      },
    ));
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const queued = new Map<string, number>();

  return handles(DETECT_JOB, {
    handle: (trx, job) =>
      exclusive(async () => {
        queued.delete(job.id);
        const { detector, initialState } = await prepare();
        const saved = await loadDetectionState(trx, DETECTION_STATE_ID);
        restore(detector, saved ?? initialState, initialState);
        const events = (await getEvents(trx, job.payload.ids)).sort(byTime);
        const now = clock.now();
        const alerts: DetectionAlert[] = [];
        for (const event of events)
          alerts.push(...detector.process(event.data, { file: event.origin.file, record: event.origin.record, id: event.id }, now));
        const { inputs, revisions } = withRevisions(alerts, detector.revisions());
        await reviseAlerts(trx, revisions);
        let created = 0;
        if (alerts.length) {
          const { results } = await ingestAlerts(trx, inputs, {
            via: "detect",
            clock,
            batch: true,
            origins: alerts.map((alert) => ({ file: alert.source.file, record: alert.source.record })),
          });
          created = results.filter((result) => result.created).length;
        }
        await saveDetectionState(trx, DETECTION_STATE_ID, detector.saveState(), isoNow(clock));
        queued.set(job.id, created);
      }),
    afterCommit: async (job) => {
      const count = queued.get(job.id) ?? 0;
      queued.delete(job.id);
      options.onAlertsQueued?.(count, job);
    },
  });
}

/**
 * The job's alerts as ingest inputs, each with its latest count (a correlation alert raised by this job and
 * revised by a later event of it is stored once, with its window's total), and the revisions of alerts raised
 * by earlier jobs, which revise the stored alert (same source_id): one alert per group per window.
 */
export function withRevisions(alerts: DetectionAlert[], revised: DetectionAlert[]): { inputs: Record<string, unknown>[]; revisions: Record<string, unknown>[] } {
  const inputs = alerts.map(detectionToAlertInput);
  const index = new Map(inputs.map((input, i) => [input.source_id, i]));
  const revisions: Record<string, unknown>[] = [];
  for (const alert of revised) {
    const input = detectionToAlertInput(alert);
    const i = index.get(input.source_id);
    if (i === undefined) revisions.push(input);
    else inputs[i] = input;
  }
  return { inputs, revisions };
}

/** A stored state the detector no longer reads (older version, damaged) costs open windows, not the stage. */
function restore(detector: Detector, state: unknown, initialState: unknown) {
  try {
    detector.restoreState(state);
  } catch (error) {
    if (!(error instanceof ValidationError) || state === initialState) throw error;
    logger().warn({ err: error }, "stored correlation state unreadable; starting with empty windows");
    detector.restoreState(initialState);
  }
}

/** The detector the configuration describes: the built-in pack (unless turned off), then the configured folders. */
export async function createConfiguredDetector(config: Config): Promise<Detector> {
  const missing = config.detect.rules.flatMap((dir, index) => (statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? [] : [{ dir, index }]));
  if (missing.length)
    throw new ValidationError(
      `Sigma rule folder not found: ${missing.map((m) => m.dir).join(", ")}`,
      missing.map(({ dir, index }) => ({ path: `detect.rules[${index}]`, message: `${dir} is not a directory` })),
    );
  // The same rule sources `nightshift detect` runs without --rules; events may arrive out of order by the lateness.
  return await createDetector({
    ...detectorSources(config.detect, { home: config.home }),
    correlationLimits: { latenessMs: config.detect.correlation.lateness_seconds * 1000 },
  });
}

const detectors = new WeakMap<Config, Promise<Detector>>();

/** `createConfiguredDetector`, built at most once per configuration object, on first use. */
export function configuredDetector(config: Config): () => Promise<Detector> {
  return () => {
    let detector = detectors.get(config);
    if (!detector) {
      detector = createConfiguredDetector(config);
      detectors.set(config, detector);
      detector.catch(() => detectors.delete(config));
    }
    return detector;
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The retention sweep: deletes stored events that arrived more than `events.retention_days` ago; returns how many. */
export function purgeExpiredEvents(app: { store: { db: Db }; config: Config; clock: Clock }): Promise<number> {
  const cutoff = new Date(app.clock.now().getTime() - app.config.events.retention_days * DAY_MS).toISOString();
  return purgeEvents(app.store.db, cutoff);
}
