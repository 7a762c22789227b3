// Test helper (never built): alerts straight into the alerts table, for tests of the stages after ingest.

import type { Alert } from "../core/index.js";
import { toAlertRow } from "./index.js";
import { toJson, type Executor } from "../store/index.js";

export interface AlertRowOptions {
  stage?: string;
  caseId?: string | null;
  enrichment?: unknown;
  dedupeKey?: string;
}

/**
 * Puts an alert straight into the alerts table, in the row shape ingest writes, for tests of the later
 * stages that need alerts in a given stage without running the pipeline before them.
 */
export async function insertAlertRow(ex: Executor, alert: Alert, options: AlertRowOptions = {}): Promise<Alert> {
  const row = toAlertRow(alert, options.dedupeKey ?? `${alert.source}:${alert.source_id ?? alert.id}`);
  await ex
    .insertInto("alerts")
    .values({
      ...row,
      time: new Date(alert.time).toISOString(),
      received_at: new Date(alert.received_at).toISOString(),
      stage: options.stage ?? row.stage,
      case_id: options.caseId ?? null,
      enrichment: options.enrichment == null ? null : toJson(options.enrichment),
    })
    .execute();
  return alert;
}
