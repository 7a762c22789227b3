import { ValidationError, type Clock } from "../../core/index.js";
import type { Executor } from "../../store/index.js";
import { ingestAlerts, summarise } from "../ingest.js";
import { prefixPath, type Issue } from "../issues.js";
import { mapSenderPayload, type Sender } from "./senders.js";

/** Same cap as POST /api/v1/alerts: a bigger batch is refused whole rather than held in one transaction. */
export const MAX_WEBHOOK_RECORDS = 10_000;

export interface WebhookIngestResult {
  ids: string[];
  created: number;
  duplicates: number;
  /** Records the template left out (e.g. resolved Alertmanager alerts). */
  skipped: number;
}

/**
 * Maps a sender's payload through its template and ingests the alerts like POST /api/v1/alerts: all
 * records validated first, one transaction, nothing stored when one is bad. Issue paths name the record
 * in the sender's payload (`alerts[3].severity`), not its position among the mapped alerts.
 */
export async function ingestWebhookPayload(ex: Executor, sender: Sender, payload: unknown, options: { clock?: Clock } = {}): Promise<WebhookIngestResult> {
  const output = mapSenderPayload(sender, payload);
  if (output.issues.length) throw new ValidationError(`invalid ${sender.name} payload: ${summarise(output.issues)}`, output.issues.slice(0, 100));
  if (output.alerts.length > MAX_WEBHOOK_RECORDS)
    throw new ValidationError("batch too large", [{ path: "", message: `at most ${MAX_WEBHOOK_RECORDS} records per request` }]);
  const skipped = output.skipped.length;
  if (!output.alerts.length) return { ids: [], created: 0, duplicates: 0, skipped };
  try {
    const { results } = await ingestAlerts(
      ex,
      output.alerts.map((item) => item.alert),
      { via: "webhook", sender: `webhook:${sender.name}`, clock: options.clock, batch: true },
    );
    const created = results.filter((r) => r.created).length;
    return { ids: results.map((r) => r.id), created, duplicates: results.length - created, skipped };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues: Issue[] = error.issues.map((issue) => {
      const match = /^\[(\d+)\]\.?(.*)$/.exec(issue.path);
      const item = match ? output.alerts[Number(match[1])] : undefined;
      return item ? { path: prefixPath(item.at, match![2]!), message: issue.message } : issue;
    });
    throw new ValidationError(`invalid ${sender.name} payload: ${summarise(issues)}`, issues);
  }
}
