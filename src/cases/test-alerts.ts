import { Alert, newId, type Severity } from "../core/index.js";
import { toJson, type Executor } from "../store/index.js";

/** Test fixtures: a minimal valid Alert, and its row in the alerts table as ingest would store it. */
export interface AlertFixture {
  id?: string;
  title?: string;
  time?: string;
  received_at?: string;
  severity?: Severity;
  source?: string;
  source_id?: string | null;
  rule?: { id: string; title: string } | null;
  host?: string | null;
  user?: string | null;
  src_ip?: string;
  dst_domain?: string;
  sha256?: string;
  techniques?: string[];
  subtype?: string;
  origin?: Alert["origin"];
}

export function makeAlert(f: AlertFixture = {}): Alert {
  const time = f.time ?? "2026-11-24T09:00:00.000Z";
  return Alert.parse({
    schema_version: 1,
    id: f.id ?? newId(),
    source: f.source ?? "suricata",
    source_id: f.source_id === undefined ? newId().slice(0, 8) : f.source_id,
    time,
    received_at: f.received_at ?? time,
    title: f.title ?? "Malicious DNS lookup",
    severity: f.severity ?? "medium",
    subtype: f.subtype,
    rule: f.rule === undefined ? { id: "dns-malicious", title: "Malicious DNS lookup" } : f.rule,
    attack: { tactics: [], techniques: f.techniques ?? [] },
    host: f.host === null ? null : { name: f.host ?? "ws-01", ip: [] },
    user: f.user ? { name: f.user } : null,
    src: f.src_ip ? { ip: f.src_ip } : null,
    dst: f.dst_domain ? { domain: f.dst_domain } : null,
    network: null,
    process: f.sha256 ? { name: "evil.exe", sha256: f.sha256 } : null,
    email: null,
    observables: [],
    raw: null,
    unmapped: {},
    origin: f.origin ?? { via: "api" },
  });
}

export async function insertAlert(ex: Executor, alert: Alert, stage = "enriched"): Promise<Alert> {
  await ex
    .insertInto("alerts")
    .values({
      id: alert.id,
      dedupe_key: `${alert.source}:${alert.source_id ?? alert.id}`,
      source: alert.source,
      source_id: alert.source_id,
      time: alert.time,
      received_at: alert.received_at,
      title: alert.title,
      severity: alert.severity,
      rule_id: alert.rule?.id ?? null,
      host_name: alert.host?.name ?? null,
      user_name: alert.user?.name ?? null,
      origin_file: alert.origin.file ?? null,
      origin_record: alert.origin.record ?? null,
      doc: toJson(alert),
      enrichment: null,
      case_id: null,
      stage,
    })
    .execute();
  return alert;
}

export async function storedAlert(ex: Executor, f: AlertFixture = {}): Promise<Alert> {
  return insertAlert(ex, makeAlert(f));
}
