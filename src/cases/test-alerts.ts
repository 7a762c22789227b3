import { Alert, newId, type Severity } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { insertAlertRow } from "../ingest/testing.js";

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
  return insertAlertRow(ex, alert, { stage });
}

export async function storedAlert(ex: Executor, f: AlertFixture = {}): Promise<Alert> {
  return insertAlert(ex, makeAlert(f));
}
