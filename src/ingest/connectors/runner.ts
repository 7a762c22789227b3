import { newId, systemClock, type Clock } from "../../core/index.js";
import type { Db, Executor } from "../../store/index.js";
import { ingestAlerts } from "../ingest.js";
import { normaliseAlert } from "../normalise.js";
import { ensureState, loadState, markRun, saveProgress } from "./state.js";
import type { Checkpoint, Connector, PullResult } from "./types.js";

export interface RunOptions {
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** A safety stop for one run; the next run resumes from the checkpoint. */
  maxPages?: number;
  /** Called inside each page's transaction after the alerts are stored, before the checkpoint moves (tests inject a crash here). */
  beforeCommit?: (trx: Executor, page: number) => Promise<void> | void;
  /** Redacts secrets from an error message before it is stored; the connector's own redactor when it has one. */
  redact?: (text: string) => string;
}

export interface RunSummary {
  name: string;
  kind: string;
  pages: number;
  fetched: number;
  created: number;
  duplicates: number;
  rejected: number;
  checkpoint_time: string | null;
  /** True when the vendor said nothing more is waiting. */
  caught_up: boolean;
  error: string | null;
}

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The message of an alert the generic schema refuses: stored in health, without the alert's content. */
function rejectionMessage(issues: { path: string; message: string }[]): string {
  const first = issues[0];
  return first ? `${first.path || "(root)"}: ${first.message}` : "invalid alert";
}

/**
 * Pulls pages until the connector says it is caught up. Each page's alerts and the checkpoint after
 * them commit in one transaction, so a crash anywhere re-fetches the page and idempotency on
 * source + source_id drops what was stored before. An alert the schema refuses is counted as rejected
 * (it cannot block the connector forever); errors end the run and are stored, redacted, in health.
 */
/** A run that has done nothing yet (or failed before its first page, with `error`). */
export function emptySummary(connector: Pick<Connector, "name" | "kind">, error: string | null = null): RunSummary {
  const counts = { pages: 0, fetched: 0, created: 0, duplicates: 0, rejected: 0 };
  return { name: connector.name, kind: connector.kind, ...counts, checkpoint_time: null, caught_up: false, error };
}

export async function runConnector(db: Db, connector: Connector, options: RunOptions = {}): Promise<RunSummary> {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const redact = options.redact ?? ((text: string) => text);
  const maxPages = options.maxPages ?? 1000;
  const summary = emptySummary(connector);
  await ensureState(db, connector.name, connector.kind, clock);
  await markRun(db, connector.name, { last_run_at: clock.now().toISOString() }, clock);
  let checkpoint: Checkpoint = (await loadState(db, connector.name)).checkpoint;
  summary.checkpoint_time = checkpoint.time;
  try {
    let rejectedMessage: string | null = null;
    while (summary.pages < maxPages) {
      const page: PullResult = await connector.pull(checkpoint, { clock, sleep, firstPage: summary.pages === 0 });
      const receivedAt = clock.now().toISOString();
      const valid: unknown[] = [];
      let rejected = 0;
      for (const alert of page.alerts) {
        const result = normaliseAlert(alert, { id: newId(), receivedAt, origin: { via: "connector" } });
        if (result.ok) valid.push(alert);
        else {
          rejected++;
          rejectedMessage = `rejected alert: ${rejectionMessage(result.issues)}`;
        }
      }
      const pageNumber = summary.pages + 1;
      const counts = await db.transaction().execute(async (trx) => {
        const { results } = await ingestAlerts(trx, valid, { via: "connector", clock, batch: true });
        const created = results.filter((r) => r.created).length;
        await page.commit?.(trx);
        await options.beforeCommit?.(trx, pageNumber);
        const pageCounts = { fetched: page.fetched ?? page.alerts.length, created, duplicates: results.length - created, rejected };
        await saveProgress(trx, connector.name, page.checkpoint, pageCounts, clock);
        return pageCounts;
      });
      checkpoint = page.checkpoint;
      summary.pages = pageNumber;
      summary.fetched += counts.fetched;
      summary.created += counts.created;
      summary.duplicates += counts.duplicates;
      summary.rejected += counts.rejected;
      summary.checkpoint_time = checkpoint.time;
      if (!page.more) {
        summary.caught_up = true;
        break;
      }
    }
    await markRun(db, connector.name, { last_success_at: clock.now().toISOString(), last_error: rejectedMessage, last_error_at: rejectedMessage ? clock.now().toISOString() : null }, clock);
  } catch (error) {
    summary.error = redact(error instanceof Error ? error.message : String(error));
    await markRun(db, connector.name, { last_error: summary.error, last_error_at: clock.now().toISOString() }, clock);
  }
  return summary;
}
