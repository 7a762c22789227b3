import { Alert, newId, type Alert as AlertType } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { insertAlertRow } from "../ingest/testing.js";

/**
 * A small alert fixture for tests: a valid normalised Alert with overrides, and a direct row insert
 * (the ingest stage owns the real write path).
 */
export function buildAlert(overrides: Partial<AlertType> = {}): AlertType {
  const time = overrides.time ?? "2026-03-11T12:00:00.000Z";
  return Alert.parse({
    schema_version: 1,
    id: overrides.id ?? newId(),
    source: "test",
    source_id: null,
    time,
    received_at: overrides.received_at ?? time,
    title: "Test alert",
    severity: "medium",
    rule: null,
    attack: { tactics: [], techniques: [] },
    host: null,
    user: null,
    src: null,
    dst: null,
    network: null,
    process: null,
    email: null,
    observables: [],
    raw: null,
    unmapped: {},
    origin: { via: "api" },
    ...overrides,
  });
}

export async function insertAlert(
  ex: Executor,
  alert: AlertType,
  options: { stage?: string; caseId?: string | null } = {},
): Promise<AlertType> {
  return insertAlertRow(ex, alert, { stage: options.stage ?? "received", caseId: options.caseId, dedupeKey: `${alert.source}:${alert.id}` });
}
