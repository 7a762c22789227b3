import { toConnection, type StoredEvent } from "../../../events/index.js";
import { uniqueCaseless } from "../../assessment/text.js";
import type { Augmentation, Connection, DestinationSummary, PartQuery } from "../schema.js";
import { AUGMENT_CAPS, AUGMENT_WINDOW } from "./caps.js";
import { dedupe, primaryHosts, search, shift, TELEMETRY_LABEL, type AugmentContext } from "./context.js";
import type { CaseEntities } from "./entities.js";

// Network: the connections of the case's hosts (by name, and by address for network sensors) and, per
// destination, how often and how regularly they went there (beaconing).

const SYSMON_NETWORK = "3";
const SYSMON_DNS = "22";

export function summariseDestinations(connections: Connection[], entities: Pick<CaseEntities, "domains" | "ips">): DestinationSummary[] {
  const groups = new Map<string, Connection[]>();
  for (const c of connections) {
    const key = `${(c.dst_ip ?? c.dst_host ?? "").toLowerCase()}:${c.dst_port ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const indicatorIps = new Set(entities.ips.map((v) => v.toLowerCase()));
  const indicatorDomains = entities.domains.map((v) => v.toLowerCase());
  const out: DestinationSummary[] = [];
  for (const [key, list] of groups) {
    const sorted = [...list].sort((a, b) => (a.time < b.time ? -1 : 1));
    const times = sorted.map((c) => Date.parse(c.time));
    const intervals = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
    const median = intervals.length >= 2 ? medianOf(intervals) : null;
    const jitter = median !== null && median > 0 ? round(intervals.reduce((s, v) => s + Math.abs(v - median), 0) / intervals.length / median) : null;
    const host = sorted.find((c) => c.dst_host)?.dst_host ?? null;
    const ip = sorted.find((c) => c.dst_ip)?.dst_ip ?? null;
    const caseIndicator =
      (!!ip && indicatorIps.has(ip.toLowerCase())) || (!!host && indicatorDomains.some((d) => host.toLowerCase() === d || host.toLowerCase().endsWith(`.${d}`)));
    out.push({
      destination: key.replace(/:$/, ""),
      dst_ip: ip,
      dst_host: host,
      dst_port: sorted[0]!.dst_port,
      count: sorted.length,
      first: sorted[0]!.time,
      last: sorted[sorted.length - 1]!.time,
      processes: uniqueCaseless(sorted.map((c) => c.process)).slice(0, 5),
      interval_seconds: median !== null ? round(median) : null,
      jitter,
      // Regular repeats a few seconds or more apart: a beacon's shape, not a burst of page loads.
      beaconing: sorted.length >= 4 && median !== null && median >= 5 && jitter !== null && jitter <= 0.3,
      case_indicator: caseIndicator,
    });
  }
  return out.sort((a, b) => Number(b.case_indicator) - Number(a.case_indicator) || Number(b.beaconing) - Number(a.beaconing) || b.count - a.count);
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export async function networkPart(ctx: AugmentContext): Promise<Augmentation["network"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -5);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  const limit = AUGMENT_CAPS.connections;
  for (const host of primaryHosts(ctx)) {
    for (const q of [
      { host, event_id: SYSMON_NETWORK, from, to, limit },
      { host, filters: [{ field: "destination.ip", op: "exists" as const }], from, to, limit },
    ]) {
      const page = await search(ctx, queries, q);
      found.push(...page.events);
      truncated ||= page.more;
    }
  }
  // Network sensors (Zeek, Suricata, firewalls) name the host by its address, not its name.
  for (const ip of ctx.entities.hostIps.slice(0, 4)) {
    for (const name of ["src_ip", "id.orig_h", "source.ip"]) {
      const page = await search(ctx, queries, { filters: [{ field: name, value: ip }], from, to, limit });
      found.push(...page.events);
      truncated ||= page.more;
    }
  }
  const connections = dedupe(found)
    .filter((e) => e.event_id !== SYSMON_DNS)
    .map(toConnection)
    .filter((c): c is Connection => c !== null);
  if (connections.length > limit) truncated = true;
  const kept = connections.slice(0, limit);
  const destinations = summariseDestinations(connections, ctx.entities);
  if (destinations.length > AUGMENT_CAPS.destinations) truncated = true;
  const missing: string[] = [];
  if (connections.length === 0) {
    const hosts = primaryHosts(ctx);
    const none = hosts.length === 0 || hosts.every((h) => ctx.telemetry.has(h, "netflow") === false && ctx.telemetry.has(h, "edr") === false);
    missing.push(
      none
        ? `${TELEMETRY_LABEL.netflow}: ${hosts.length ? hosts.join(", ") : "the case's hosts"} ha${hosts.length === 1 ? "s" : "ve"} none (asset record)`
        : `network connections after ${ctx.first}: nothing stored for ${hosts.join(", ") || "the case's hosts"}`,
    );
  }
  return { queries, missing_telemetry: missing, truncated, connections: kept, destinations: destinations.slice(0, AUGMENT_CAPS.destinations) };
}
