import { z } from "zod";
import { Alert, NotFoundError, ValidationError, issuesOf, type Clock } from "../core/index.js";
import { enqueue, fromJson, toJson, type Executor, type HandlerEntry, type Job } from "../store/index.js";
import { enrichAlert } from "./enrich.js";

export const ENRICH_JOB = "alert.enrich";
export const GROUP_JOB = "alert.group";

export const EnrichPayload = z.object({
  alert_id: z.string().min(1),
  /** Enrich again even when the alert already carries an enrichment (after the context changed). */
  force: z.boolean().optional(),
});
export type EnrichPayload = z.infer<typeof EnrichPayload>;

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
  await enqueue(ex, GROUP_JOB, { alert_id: row.id }, { dedupeKey: `group:${row.id}` });
}

export function contextHandlers(options: ContextHandlerOptions): Record<string, HandlerEntry> {
  return {
    [ENRICH_JOB]: {
      async handle(trx: Executor, job: Job) {
        const payload = EnrichPayload.safeParse(job.payload);
        if (!payload.success) throw new ValidationError(`${ENRICH_JOB} payload is invalid`, issuesOf(payload.error, "payload"));
        await enrichStoredAlert(trx, payload.data, options);
      },
    },
  };
}
