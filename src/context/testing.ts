import { Alert, canonicalJson, newId, type Alert as AlertType } from "../core/index.js";
import type { Executor } from "../store/index.js";

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
  await ex
    .insertInto("alerts")
    .values({
      id: alert.id,
      dedupe_key: `${alert.source}:${alert.id}`,
      source: alert.source,
      source_id: alert.source_id,
      time: new Date(alert.time).toISOString(),
      received_at: new Date(alert.received_at).toISOString(),
      title: alert.title,
      severity: alert.severity,
      rule_id: alert.rule?.id ?? null,
      host_name: alert.host?.name ?? null,
      user_name: alert.user?.name ?? null,
      origin_file: null,
      origin_record: null,
      doc: canonicalJson(alert),
      enrichment: null,
      case_id: options.caseId ?? null,
      stage: options.stage ?? "received",
    })
    .execute();
  return alert;
}
