import { ValidationError, type Clock } from "../../core/index.js";
import type { Executor } from "../../store/index.js";
import { ingestAlerts, summarise } from "../ingest.js";
import { prefixPath, type Issue } from "../issues.js";
import { mapSenderPayload, type Sender } from "./senders.js";
import type { TemplateOutput } from "./template.js";

/** Same cap as POST /api/v1/alerts: a bigger batch is refused whole rather than held in one transaction. */
export const MAX_WEBHOOK_RECORDS = 10_000;

export interface WebhookIngestResult {
  ids: string[];
  created: number;
  duplicates: number;
  /** Records the template left out (e.g. resolved Alertmanager alerts). */
  skipped: number;
}

/** One JSON document of a body: the whole body, or one line of an NDJSON body (`line` counts from 1). */
export interface WebhookDocument {
  payload: unknown;
  line?: number;
}

/** Each document through the template, in order; paths of a line's records start with `line N: `. */
export function mapSenderDocuments(sender: Sender, documents: WebhookDocument[]): TemplateOutput {
  const out: TemplateOutput = { alerts: [], skipped: [], issues: [] };
  let offset = 0;
  for (const { payload, line } of documents) {
    const output = mapSenderPayload(sender, payload);
    const at = (path: string) => (line === undefined ? path : path ? `line ${line}: ${path}` : `line ${line}`);
    out.alerts.push(...output.alerts.map((item) => ({ ...item, index: item.index + offset, at: at(item.at) })));
    out.skipped.push(...output.skipped.map((index) => index + offset));
    out.issues.push(...output.issues.map((issue) => ({ ...issue, path: at(issue.path) })));
    offset += output.alerts.length + output.skipped.length;
  }
  return out;
}

/**
 * Maps a sender's payload (or each line of an NDJSON body) through its template and ingests the alerts like POST /api/v1/alerts: all
 * records validated first, one transaction, nothing stored when one is bad. Issue paths name the record
 * in the sender's payload (`alerts[3].severity`), not its position among the mapped alerts.
 */
export async function ingestWebhookPayload(
  ex: Executor,
  sender: Sender,
  payload: unknown,
  options: { clock?: Clock; documents?: WebhookDocument[] } = {},
): Promise<WebhookIngestResult> {
  const output = options.documents ? mapSenderDocuments(sender, options.documents) : mapSenderPayload(sender, payload);
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
