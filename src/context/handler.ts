import { Alert, ENRICH_JOB, GROUP_JOB, NotFoundError, ValidationError, issuesOf, type Clock, type JobPayload } from "../core/index.js";
import { enqueue, fromJson, handles, toJson, type Executor, type Handlers } from "../store/index.js";
import { enrichAlert } from "./enrich.js";

/** `alert.enrich`'s payload (src/core/pipeline.ts). */
export type EnrichPayload = JobPayload<typeof ENRICH_JOB>;

export interface ContextHandlerOptions {
  historyWindowHours: number;
  suppressionMaxAgeDays: number;
  clock: Clock;
  /** `context.anomaly_window_days` (default 30). */
  anomalyWindowDays?: number;
  /** `context.stale_after_days`, per provenance axis (default asset 90, identity 30). */
  staleAfterDays?: Readonly<Record<string, number>>;
  /** `context.ip_stale_days`: an address's last inventory sighting still names its host this many days later (default 7). */
  ipStaleDays?: number;
}

/** Stages that come after enrichment: re-enriching must not send an alert back through them. */
const BEFORE_ENRICHED = new Set(["received"]);

/**
 * Enriches one stored alert and hands it to grouping, in the job's transaction. Running it twice is
 * harmless: an enriched alert is left as it is (unless forced) and the hand-off is queued once.
 */
export async function enrichStoredAlert(ex: Executor, payload: EnrichPayload, options: ContextHandlerOptions): Promise<void> {
  const row = await ex
    .selectFrom("alerts")
    .select(["id", "doc", "enrichment", "stage"])
    .where("id", "=", payload.alert_id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`alert ${payload.alert_id}`);

  if (row.enrichment === null || payload.force) {
    const parsed = Alert.safeParse(fromJson(row.doc, null));
    if (!parsed.success) throw new ValidationError(`stored alert ${row.id} is not a valid alert`, issuesOf(parsed.error, "doc"));
    const enrichment = await enrichAlert(ex, parsed.data, options);
    await ex
      .updateTable("alerts")
      .set({ enrichment: toJson(enrichment), ...(BEFORE_ENRICHED.has(row.stage) ? { stage: "enriched" } : {}) })
      .where("id", "=", row.id)
      .execute();
  } else if (BEFORE_ENRICHED.has(row.stage)) {
    await ex.updateTable("alerts").set({ stage: "enriched" }).where("id", "=", row.id).execute();
  }
  // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
  await enqueue(ex, GROUP_JOB, { alert_id: row.id });
}

/** The context stage's queue handler: `alert.enrich` {alert_id, force?} → `alert.group`. */
export function contextHandlers(options: ContextHandlerOptions): Handlers {
  return handles(ENRICH_JOB, { handle: (trx, job) => enrichStoredAlert(trx, job.payload, options) });
}
