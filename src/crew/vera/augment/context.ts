import { searchEvents, type EventQuery, type StoredEvent } from "../../../events/index.js";
import type { Executor } from "../../../store/index.js";
import type { EventDigest, PartQuery, VeraAlertInput } from "../schema.js";
import { AUGMENT_CAPS } from "./caps.js";
import type { CaseEntities } from "./entities.js";

// What every augmentation part works with: the case's alerts and entities, the telemetry its assets say they
// have (and the missing-telemetry line when a part finds nothing), times, bounded event digests, searches.

export interface AugmentContext {
  ex: Executor;
  alerts: VeraAlertInput[];
  entities: CaseEntities;
  telemetry: TelemetryView;
  first: string;
  last: string;
}

// ——— telemetry the assets say they have ———

export type TelemetryKind = "edr" | "netflow" | "dns_logs" | "auth_logs";
const TELEMETRY_ALIASES: Record<TelemetryKind, RegExp> = {
  edr: /^(edr|sysmon|endpoint|process|xdr)/i,
  netflow: /^(netflow|network|zeek|suricata|flow|firewall|proxy|ndr)/i,
  dns_logs: /^(dns|resolver|passive_dns)/i,
  auth_logs: /^(auth|authentication|security|windows_security|sshd|idp|identity)/i,
};
export const TELEMETRY_LABEL: Record<TelemetryKind, string> = {
  edr: "endpoint telemetry (EDR/Sysmon)",
  netflow: "network flow telemetry",
  dns_logs: "DNS logs",
  auth_logs: "authentication logs",
};

export interface TelemetryView {
  /** true: the asset lists it; false: the asset is known and does not; null: nothing known about the host. */
  has(host: string | null, kind: TelemetryKind): boolean | null;
}

export function telemetryOf(alerts: VeraAlertInput[]): TelemetryView {
  const byHost = new Map<string, { listed: string[]; edr: boolean | undefined }>();
  for (const { alert, enrichment } of alerts) {
    const asset = enrichment.asset;
    const names = [alert.host?.name, asset?.hostname].filter((v): v is string => !!v).map((h) => h.toLowerCase());
    if (!asset) continue;
    const listed = [...asset.telemetry, ...enrichment.meta.telemetry];
    for (const name of names) byHost.set(name, { listed, edr: asset.edr_present });
  }
  return {
    has(host, kind) {
      const known = host ? byHost.get(host.toLowerCase()) : undefined;
      if (!known) return null;
      if (kind === "edr" && known.edr === true) return true;
      if (known.listed.some((t) => TELEMETRY_ALIASES[kind].test(t))) return true;
      if (kind === "edr" && known.edr === undefined && known.listed.length === 0) return null;
      return false;
    },
  };
}

export function missingFor(ctx: AugmentContext, host: string | null, kind: TelemetryKind, what: string, found: number): string | null {
  if (found > 0) return null;
  const has = ctx.telemetry.has(host, kind);
  const where = host ?? "the case's hosts";
  if (has === false) return `${TELEMETRY_LABEL[kind]}: ${where} has none (asset record)`;
  return `${what}: nothing stored for ${where}`;
}

// ——— events ———

export function iso(time: string): string {
  return new Date(time).toISOString();
}

export function shift(time: string, minutes: number): string {
  return new Date(Date.parse(time) + minutes * 60_000).toISOString();
}

export function bounded(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.length > AUGMENT_CAPS.valueChars ? `${value.slice(0, AUGMENT_CAPS.valueChars - 1)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => bounded(v, depth + 1));
  if (value && typeof value === "object") {
    if (depth > 3) return "[nested]";
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value).slice(0, AUGMENT_CAPS.dataKeys)) out[key] = bounded(v, depth + 1);
    return out;
  }
  return value;
}

export function digest(event: StoredEvent): EventDigest {
  return {
    id: event.id,
    time: event.time,
    host: event.host,
    user: event.user,
    event_id: event.event_id,
    channel: event.channel,
    process: event.process,
    process_id: event.process_id,
    process_guid: event.process_guid,
    parent_process: event.parent_process,
    data: bounded(event.data) as Record<string, unknown>,
  };
}


export async function search(ctx: AugmentContext, queries: PartQuery[], query: EventQuery): Promise<{ events: StoredEvent[]; more: boolean }> {
  queries.push({ source: "search_events", args: { ...query } });
  const page = await searchEvents(ctx.ex, { order: "asc", ...query });
  return { events: page.events, more: page.next_cursor !== null };
}

export function dedupe(events: StoredEvent[]): StoredEvent[] {
  const seen = new Map<string, StoredEvent>();
  for (const e of events) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
}

export function primaryHosts(ctx: AugmentContext): string[] {
  return ctx.entities.hosts.slice(0, 4);
}
