import {
  Alert,
  ConflictError,
  Enrichment,
  Indicator,
  NotFoundError,
  ToraOutput,
  ValidationError,
  issuesOf,
  type Clock,
} from "../../core/index.js";
import { getCase, relatedAlertRows } from "../../cases/index.js";
import { eventsAround, processTree, searchEvents, type EventQuery, type ProcessNode, type StoredEvent } from "../../events/index.js";
import { fromJson, type Executor } from "../../store/index.js";
import { getToraDecision } from "../tora/triage-case.js";
import { unenrichedEnrichment } from "../tora/schema.js";
import { uniqueCaseless } from "../tora/text.js";
import { loadOwnInfrastructure } from "./own-infrastructure.js";
import {
  VeraInput,
  type Augmentation,
  type AuthEvent,
  type Connection,
  type DestinationSummary,
  type DnsLookup,
  type EventDigest,
  type PartQuery,
  type ProcessNodeDigest,
  type VeraAlertInput,
} from "./schema.js";

/** How far around each trigger VERA looks, and how much of each part it keeps (the context budget). */
export const AUGMENT_WINDOW = { before_minutes: 30, after_minutes: 240, auth_before_minutes: 360, dns_history_hours: 24 } as const;
export const AUGMENT_CAPS = {
  anchors: 6,
  eventsPerAnchor: 40,
  trees: 3,
  nodesPerTree: 60,
  persistence: 40,
  connections: 200,
  destinations: 20,
  auth: 120,
  dnsLookups: 120,
  relatedAlerts: 25,
  profiles: 5,
  relatedIndicators: 10,
  /** Event data is attacker-controlled: bounded in keys and characters before it enters any context. */
  dataKeys: 40,
  valueChars: 400,
} as const;

const SYSMON_NETWORK = "3";
const SYSMON_DNS = "22";
const SYSMON_PROCESS = "1";
const PERSISTENCE_EVENT_IDS = ["7045", "4697", "4698", "4720", "4732", "13", "11"] as const;
const AUTH_EVENT_IDS = { "4624": "success", "4625": "failure", "4648": "explicit_credentials", "4672": "special_privileges" } as const;

/** Reads a case into VERA's input: TORA's decision whole, the case, its alerts and the augmentation layer. */
export async function loadVeraInput(ex: Executor, caseId: string, clock: Clock): Promise<VeraInput> {
  const current = await getCase(ex, caseId);
  if (!current) throw new NotFoundError(`case ${caseId}`);
  const decision = await getToraDecision(ex, caseId);
  if (!decision) throw new ConflictError(`case ${caseId} has no TORA decision to investigate`);
  const tora = ToraOutput.safeParse(decision.output);
  if (!tora.success) throw new ValidationError(`TORA decision ${decision.id} is not a valid TORA output`, issuesOf(tora.error, "tora"));
  const now = clock.now().toISOString();
  const rows = await ex.selectFrom("alerts").select(["id", "doc", "enrichment"]).where("case_id", "=", caseId).orderBy("time").orderBy("id").execute();
  if (rows.length === 0) throw new ConflictError(`case ${caseId} has no alerts to investigate`);
  const alerts: VeraAlertInput[] = rows.map((row) => {
    const parsed = Alert.safeParse(fromJson(row.doc, null));
    if (!parsed.success) throw new ValidationError(`stored alert ${row.id} is invalid`, issuesOf(parsed.error, "alert"));
    const enrichment = Enrichment.safeParse(fromJson(row.enrichment, null));
    return { alert: parsed.data, enrichment: enrichment.success ? enrichment.data : unenrichedEnrichment(parsed.data, now) };
  });
  const augmentation = await augment(ex, caseId, alerts, tora.data);
  const ownInfrastructure = await loadOwnInfrastructure(ex, alerts, tora.data);
  const input = VeraInput.safeParse({
    case_id: caseId,
    now,
    case: current,
    tora: { decision_id: decision.id, analyst: decision.analyst, created_at: decision.created_at, output: tora.data },
    alerts,
    augmentation,
    own_infrastructure: ownInfrastructure,
  });
  if (!input.success) throw new ValidationError(`VERA input for ${caseId} is invalid`, issuesOf(input.error, "input"));
  return input.data;
}

/** The case's entities: what the augmentation queries on, and what containment may target. */
export interface CaseEntities {
  hosts: string[];
  hostIps: string[];
  users: string[];
  domains: string[];
  ips: string[];
  hashes: string[];
  urls: string[];
  emails: string[];
}

export function caseEntities(alerts: VeraAlertInput[], tora: ToraOutput | null): CaseEntities {
  const hosts: string[] = [];
  const hostIps: string[] = [];
  const users: string[] = [];
  const domains: string[] = [];
  const ips: string[] = [];
  const hashes: string[] = [];
  const urls: string[] = [];
  const emails: string[] = [];
  for (const { alert, enrichment } of alerts) {
    hosts.push(...[alert.host?.name, enrichment.asset?.hostname, enrichment.network.src_hostname].filter((v): v is string => !!v));
    hostIps.push(...(alert.host?.ip ?? []), ...(enrichment.asset?.ips ?? []));
    // The source is the host itself for outbound activity, the one knocking for inbound (brute force).
    ips.push(...[enrichment.network.src_ip, alert.src?.ip].filter((v): v is string => !!v));
    users.push(...[alert.user?.name, enrichment.identity?.username].filter((v): v is string => !!v));
    domains.push(...[alert.dst?.domain, enrichment.network.dst_domain].filter((v): v is string => !!v));
    ips.push(...[alert.dst?.ip, enrichment.network.dst_ip].filter((v): v is string => !!v));
    if (alert.process?.sha256) hashes.push(alert.process.sha256);
    if (alert.dst?.url) urls.push(alert.dst.url);
    for (const o of alert.observables) {
      if (o.type === "host") hosts.push(o.value);
      else if (o.type === "user") users.push(o.value);
      else if (o.type === "domain") domains.push(o.value);
      else if (o.type === "ip") ips.push(o.value);
      else if (o.type === "file_hash") hashes.push(o.value);
      else if (o.type === "url") urls.push(o.value);
      else if (o.type === "email") emails.push(o.value);
    }
    if (alert.email) {
      urls.push(...(alert.email.links ?? []));
      emails.push(...(alert.email.recipients ?? []), ...(alert.email.sender ? [alert.email.sender] : []));
    }
  }
  const indicators = tora?.escalation_package?.indicators;
  if (indicators) {
    domains.push(...indicators.domains);
    ips.push(...indicators.ips);
    hashes.push(...indicators.hashes);
    urls.push(...indicators.urls);
    users.push(...indicators.usernames);
    hosts.push(...indicators.hostnames);
    emails.push(...indicators.emails);
  }
  const ownIps = new Set(hostIps.map((ip) => ip.toLowerCase()));
  return {
    hosts: uniqueCaseless(hosts),
    hostIps: uniqueCaseless(hostIps),
    users: uniqueCaseless(users),
    domains: uniqueCaseless(domains.map((d) => d.replace(/\.$/, ""))),
    ips: uniqueCaseless(ips).filter((ip) => !ownIps.has(ip.toLowerCase())),
    hashes: uniqueCaseless(hashes),
    urls: [...new Set(urls)],
    emails: uniqueCaseless(emails),
  };
}

async function augment(ex: Executor, caseId: string, alerts: VeraAlertInput[], tora: ToraOutput): Promise<Augmentation> {
  const entities = caseEntities(alerts, tora);
  const telemetry = telemetryOf(alerts);
  const first = alerts.reduce((min, a) => (a.alert.time < min ? a.alert.time : min), alerts[0]!.alert.time);
  const last = alerts.reduce((max, a) => (a.alert.time > max ? a.alert.time : max), alerts[0]!.alert.time);
  const ctx: AugmentContext = { ex, alerts, entities, telemetry, first: iso(first), last: iso(last) };
  const [events_around, process_trees, persistence, network, authentication, dns_history, related_alerts, threat_actor] = [
    await eventsAroundPart(ctx),
    await processTreePart(ctx),
    await persistencePart(ctx),
    await networkPart(ctx),
    await authPart(ctx),
    await dnsPart(ctx),
    await relatedAlertsPart(ctx, caseId),
    await threatActorPart(ctx),
  ];
  const parts = [events_around, process_trees, persistence, network, authentication, dns_history, related_alerts, threat_actor];
  return {
    window: { before_minutes: AUGMENT_WINDOW.before_minutes, after_minutes: AUGMENT_WINDOW.after_minutes, dns_history_hours: AUGMENT_WINDOW.dns_history_hours },
    events_around,
    process_trees,
    persistence,
    network,
    authentication,
    dns_history,
    related_alerts,
    threat_actor,
    missing_telemetry: [...new Set(parts.flatMap((p) => p.missing_telemetry))],
  };
}

interface AugmentContext {
  ex: Executor;
  alerts: VeraAlertInput[];
  entities: CaseEntities;
  telemetry: TelemetryView;
  first: string;
  last: string;
}

// ——— telemetry the assets say they have ———

type TelemetryKind = "edr" | "netflow" | "dns_logs" | "auth_logs";
const TELEMETRY_ALIASES: Record<TelemetryKind, RegExp> = {
  edr: /^(edr|sysmon|endpoint|process|xdr)/i,
  netflow: /^(netflow|network|zeek|suricata|flow|firewall|proxy|ndr)/i,
  dns_logs: /^(dns|resolver|passive_dns)/i,
  auth_logs: /^(auth|authentication|security|windows_security|sshd|idp|identity)/i,
};
const TELEMETRY_LABEL: Record<TelemetryKind, string> = {
  edr: "endpoint telemetry (EDR/Sysmon)",
  netflow: "network flow telemetry",
  dns_logs: "DNS logs",
  auth_logs: "authentication logs",
};

interface TelemetryView {
  /** true: the asset lists it; false: the asset is known and does not; null: nothing known about the host. */
  has(host: string | null, kind: TelemetryKind): boolean | null;
}

function telemetryOf(alerts: VeraAlertInput[]): TelemetryView {
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

function missingFor(ctx: AugmentContext, host: string | null, kind: TelemetryKind, what: string, found: number): string | null {
  if (found > 0) return null;
  const has = ctx.telemetry.has(host, kind);
  const where = host ?? "the case's hosts";
  if (has === false) return `${TELEMETRY_LABEL[kind]}: ${where} has none (asset record)`;
  return `${what}: nothing stored for ${where}`;
}

// ——— events ———

function iso(time: string): string {
  return new Date(time).toISOString();
}

function shift(time: string, minutes: number): string {
  return new Date(Date.parse(time) + minutes * 60_000).toISOString();
}

function bounded(value: unknown, depth = 0): unknown {
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

/** A data field: a flat key ("source.ip" as one key) wins over the nested path, as in the event store. */
export function field(data: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    let value: unknown;
    if (Object.hasOwn(data, name)) value = data[name];
    else {
      let current: unknown = data;
      for (const part of name.split(".")) {
        if (!current || typeof current !== "object" || Array.isArray(current) || !Object.hasOwn(current, part)) {
          current = undefined;
          break;
        }
        current = (current as Record<string, unknown>)[part];
      }
      value = current;
    }
    if (value === undefined || value === null || value === "" || value === "-") continue;
    return value;
  }
  return undefined;
}

export function text(data: Record<string, unknown>, ...names: string[]): string | null {
  const value = field(data, ...names);
  if (typeof value === "string") return value.trim() || null;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.length) return typeof value[0] === "string" ? value[0] : null;
  return null;
}

function num(data: Record<string, unknown>, ...names: string[]): number | null {
  const value = field(data, ...names);
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

async function search(ctx: AugmentContext, queries: PartQuery[], query: EventQuery): Promise<{ events: StoredEvent[]; more: boolean }> {
  queries.push({ source: "search_events", args: { ...query } });
  const page = await searchEvents(ctx.ex, { order: "asc", ...query });
  return { events: page.events, more: page.next_cursor !== null };
}

function dedupe(events: StoredEvent[]): StoredEvent[] {
  const seen = new Map<string, StoredEvent>();
  for (const e of events) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
}

function primaryHosts(ctx: AugmentContext): string[] {
  return ctx.entities.hosts.slice(0, 4);
}

// ——— parts ———

async function eventsAroundPart(ctx: AugmentContext): Promise<Augmentation["events_around"]> {
  const queries: PartQuery[] = [];
  const missing: string[] = [];
  const anchors: Augmentation["events_around"]["anchors"] = [];
  let truncated = false;
  const seen = new Set<string>();
  for (const { alert, enrichment } of ctx.alerts) {
    const host = alert.host?.name ?? enrichment.asset?.hostname ?? null;
    const user = alert.user?.name ?? enrichment.identity?.username ?? null;
    for (const [key, value] of [["host", host], ["user", user]] as const) {
      if (!value) continue;
      const id = `${key}:${value.toLowerCase()}:${alert.time.slice(0, 16)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (anchors.length >= AUGMENT_CAPS.anchors) {
        truncated = true;
        continue;
      }
      const args = { [key]: value, time: iso(alert.time), before_minutes: AUGMENT_WINDOW.before_minutes, after_minutes: 30, limit: AUGMENT_CAPS.eventsPerAnchor + 1 };
      queries.push({ source: "events_around", args });
      const events = await eventsAround(ctx.ex, args);
      if (events.length > AUGMENT_CAPS.eventsPerAnchor) truncated = true;
      anchors.push({
        alert_id: alert.id,
        host: key === "host" ? value : null,
        user: key === "user" ? value : null,
        time: iso(alert.time),
        events: events.slice(0, AUGMENT_CAPS.eventsPerAnchor).map(digest),
      });
      if (key === "host" && events.length === 0) {
        const why = missingFor(ctx, value, "edr", `raw events ±${AUGMENT_WINDOW.before_minutes} min around ${iso(alert.time)}`, 0);
        if (why) missing.push(why);
      }
    }
  }
  if (anchors.length === 0) missing.push("raw events: the case names no host or user to look around");
  return { queries, missing_telemetry: [...new Set(missing)], truncated, anchors };
}

function processOf(node: ProcessNode, target: string | null, depth: number, out: ProcessNodeDigest[]): void {
  if (out.length >= AUGMENT_CAPS.nodesPerTree) return;
  const data = node.event.data;
  const signed = field(data, "Signed", "process.code_signature.valid", "process.code_signature.trusted");
  out.push({
    depth,
    time: node.event.time,
    process: node.event.process,
    process_id: node.event.process_id,
    process_guid: node.event.process_guid,
    parent_process: node.event.parent_process,
    user: node.event.user,
    command_line: bounded(text(data, "CommandLine", "process.command_line", "cmdline")) as string | null,
    signed: typeof signed === "boolean" ? signed : typeof signed === "string" ? /^true$/i.test(signed) : null,
    signer: text(data, "Signature", "Company", "process.code_signature.subject_name"),
    sha256: hashOf(data),
    is_target: node.event.id === target,
  });
  for (const child of node.children) processOf(child, target, depth + 1, out);
}

function hashOf(data: Record<string, unknown>): string | null {
  const direct = text(data, "process.hash.sha256", "sha256", "SHA256");
  if (direct) return direct.toLowerCase();
  const hashes = text(data, "Hashes");
  const match = hashes ? /SHA256=([0-9a-f]{64})/i.exec(hashes) : null;
  return match ? match[1]!.toLowerCase() : null;
}

async function processTreePart(ctx: AugmentContext): Promise<Augmentation["process_trees"]> {
  const queries: PartQuery[] = [];
  const missing: string[] = [];
  const trees: Augmentation["process_trees"]["trees"] = [];
  let truncated = false;
  const processAlerts = ctx.alerts.filter(({ alert }) => alert.process && (alert.host?.name || alert.process.pid !== undefined));
  for (const { alert, enrichment } of processAlerts) {
    const host = alert.host?.name ?? enrichment.asset?.hostname;
    if (!host) continue;
    if (trees.length >= AUGMENT_CAPS.trees) {
      truncated = true;
      break;
    }
    const raw = alert.raw && typeof alert.raw === "object" && !Array.isArray(alert.raw) ? (alert.raw as Record<string, unknown>) : {};
    let guid = text(raw, "ProcessGuid", "process.entity_id");
    let pid = alert.process!.pid !== undefined ? String(alert.process!.pid) : text(raw, "ProcessId", "process.pid");
    if (!guid && !pid && alert.process!.name) {
      // The alert names the process only: its creation event near the alert's time gives the guid or pid.
      const found = await search(ctx, queries, {
        host,
        process: alert.process!.name,
        event_id: SYSMON_PROCESS,
        from: shift(alert.time, -AUGMENT_WINDOW.before_minutes),
        to: shift(alert.time, 5),
        order: "desc",
        limit: 1,
      });
      guid = found.events[0]?.process_guid ?? null;
      pid = found.events[0]?.process_id ?? null;
    }
    if (!guid && !pid) {
      missing.push(`process tree of ${alert.process!.name ?? "the alert's process"} on ${host}: no process id or guid, and no creation event stored`);
      continue;
    }
    const args = { host, ...(guid ? { process_guid: guid } : {}), ...(pid ? { process_id: pid } : {}), time: shift(alert.time, 1) };
    queries.push({ source: "process_tree", args });
    const tree = await processTree(ctx.ex, args);
    if (!tree) {
      const why = missingFor(ctx, host, "edr", `process creation events for ${alert.process!.name ?? pid ?? guid}`, 0);
      if (why) missing.push(why);
      continue;
    }
    const target = findTarget(tree, guid, pid);
    const nodes: ProcessNodeDigest[] = [];
    processOf(tree, target, 0, nodes);
    if (countNodes(tree) > nodes.length) truncated = true;
    trees.push({ alert_id: alert.id, host, nodes });
  }
  return { queries, missing_telemetry: [...new Set(missing)], truncated, trees };
}

function countNodes(node: ProcessNode): number {
  return 1 + node.children.reduce((n, c) => n + countNodes(c), 0);
}

function findTarget(node: ProcessNode, guid: string | null, pid: string | null): string | null {
  const g = guid?.replace(/^\{|\}$/g, "").toUpperCase() ?? null;
  const stack = [node];
  let byPid: string | null = null;
  while (stack.length) {
    const n = stack.pop()!;
    if (g && n.event.process_guid === g) return n.event.id;
    if (pid && n.event.process_id === pid) byPid = n.event.id;
    stack.push(...n.children);
  }
  return byPid;
}

async function persistencePart(ctx: AugmentContext): Promise<Augmentation["persistence"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -AUGMENT_WINDOW.before_minutes);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  for (const host of primaryHosts(ctx)) {
    for (const eventId of PERSISTENCE_EVENT_IDS) {
      const filters = eventId === "13" ? [{ field: "TargetObject", value: "\\CurrentVersion\\Run", op: "contains" as const }] : undefined;
      const page = await search(ctx, queries, { host, event_id: eventId, from, to, limit: AUGMENT_CAPS.persistence, ...(filters ? { filters } : {}) });
      found.push(...page.events);
      truncated ||= page.more;
    }
  }
  const events = dedupe(found);
  if (events.length > AUGMENT_CAPS.persistence) truncated = true;
  const missing = primaryHosts(ctx)
    .map((h) => (events.some((e) => e.host?.toLowerCase().startsWith(h.toLowerCase())) ? null : missingFor(ctx, h, "edr", "persistence and file events", 0)))
    .filter((m): m is string => !!m && m.includes("has none"));
  return { queries, missing_telemetry: missing, truncated, events: events.slice(0, AUGMENT_CAPS.persistence).map(digest) };
}

export function toConnection(event: StoredEvent): Connection | null {
  const d = event.data;
  const dstIp = text(d, "DestinationIp", "destination.ip", "dest_ip", "id.resp_h", "dst_ip");
  const dstHost = text(d, "DestinationHostname", "destination.domain", "destination.address", "tls.sni", "http.hostname", "server_name");
  if (!dstIp && !dstHost) return null;
  return {
    time: event.time,
    host: event.host,
    src_ip: text(d, "SourceIp", "source.ip", "src_ip", "id.orig_h"),
    dst_ip: dstIp,
    dst_port: num(d, "DestinationPort", "destination.port", "dest_port", "id.resp_p", "dst_port"),
    dst_host: dstHost,
    process: event.process,
    protocol: text(d, "Protocol", "network.transport", "proto", "app_proto", "service"),
    bytes_out: num(d, "source.bytes", "orig_bytes", "flow.bytes_toserver", "SentBytes"),
    event_id: event.id,
  };
}

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

async function networkPart(ctx: AugmentContext): Promise<Augmentation["network"]> {
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

const SSHD_LINE = /^(Accepted|Failed) (password|publickey|keyboard-interactive\/pam) for (?:invalid user )?(\S+) from (\S+) port \d+/;

export function toAuthEvent(event: StoredEvent): AuthEvent | null {
  const d = event.data;
  const id = event.event_id ?? "";
  if (id in AUTH_EVENT_IDS) {
    const kind = AUTH_EVENT_IDS[id as keyof typeof AUTH_EVENT_IDS];
    return {
      time: event.time,
      host: event.host,
      user: kind === "special_privileges" ? text(d, "SubjectUserName") ?? event.user : text(d, "TargetUserName") ?? event.user,
      kind,
      src_ip: text(d, "IpAddress", "source.ip"),
      logon_type: text(d, "LogonType"),
      method: text(d, "AuthenticationPackageName", "LogonProcessName"),
      event_id: event.id,
    };
  }
  const program = text(d, "program", "process.name", "comm");
  const message = text(d, "message", "MESSAGE", "msg");
  if (program?.toLowerCase() === "sshd" && message) {
    const m = SSHD_LINE.exec(message);
    if (!m) return null;
    return {
      time: event.time,
      host: event.host,
      user: m[3]!,
      kind: m[1] === "Accepted" ? "success" : "failure",
      src_ip: m[4]!,
      logon_type: "ssh",
      method: m[2]!,
      event_id: event.id,
    };
  }
  return null;
}

export function failureThenSuccess(events: AuthEvent[]): Augmentation["authentication"]["summary"]["failure_then_success"] {
  const out: Augmentation["authentication"]["summary"]["failure_then_success"] = [];
  const bySource = new Map<string, AuthEvent[]>();
  for (const e of events) if (e.src_ip && (e.kind === "failure" || e.kind === "success")) bySource.set(e.src_ip, [...(bySource.get(e.src_ip) ?? []), e]);
  for (const [src, list] of bySource) {
    const sorted = [...list].sort((a, b) => (a.time < b.time ? -1 : 1));
    let failures = 0;
    for (const e of sorted) {
      if (e.kind === "failure") failures++;
      else if (failures >= 3) {
        out.push({ src_ip: src, user: e.user, failures, success_time: e.time });
        break;
      }
    }
  }
  return out;
}

async function authPart(ctx: AugmentContext): Promise<Augmentation["authentication"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -AUGMENT_WINDOW.auth_before_minutes);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  const limit = AUGMENT_CAPS.auth;
  for (const host of primaryHosts(ctx)) {
    for (const eventId of Object.keys(AUTH_EVENT_IDS)) {
      const page = await search(ctx, queries, { host, event_id: eventId, from, to, limit });
      found.push(...page.events);
      truncated ||= page.more;
    }
    const ssh = await search(ctx, queries, { host, filters: [{ field: "program", value: "sshd" }], from, to, limit });
    found.push(...ssh.events);
    truncated ||= ssh.more;
  }
  // The user's logons elsewhere: lateral movement and sign-ins from new places.
  for (const user of ctx.entities.users.slice(0, 3)) {
    const page = await search(ctx, queries, { user, event_id: "4624", from, to, limit });
    found.push(...page.events);
    truncated ||= page.more;
  }
  const events = dedupe(found)
    .map(toAuthEvent)
    .filter((e): e is AuthEvent => e !== null);
  if (events.length > limit) truncated = true;
  const missing: string[] = [];
  if (events.length === 0) {
    const host = primaryHosts(ctx)[0] ?? null;
    const why = missingFor(ctx, host, "auth_logs", `authentication events (4624/4625/4648/4672, sshd) from ${from} to ${to}`, 0);
    if (why) missing.push(why);
  }
  return {
    queries,
    missing_telemetry: missing,
    truncated,
    events: events.slice(0, limit),
    summary: {
      failures: events.filter((e) => e.kind === "failure").length,
      successes: events.filter((e) => e.kind === "success").length,
      failure_then_success: failureThenSuccess(events),
    },
  };
}

export function toDnsLookup(event: StoredEvent): DnsLookup | null {
  const d = event.data;
  const query = text(d, "QueryName", "dns.question.name", "query", "dns.rrname", "dns.query");
  if (!query) return null;
  const results = text(d, "QueryResults");
  const answersField = field(d, "answers", "dns.resolved_ip", "dns.answers");
  const answers = results
    ? results
        .split(";")
        .map((s) => s.replace(/^type:\s*\d+\s*/i, "").replace(/^::ffff:/, "").trim())
        .filter(Boolean)
    : Array.isArray(answersField)
      ? answersField.filter((a): a is string => typeof a === "string")
      : [];
  const status = text(d, "QueryStatus", "rcode_name", "dns.response_code", "dns.rcode");
  return {
    time: event.time,
    host: event.host,
    query: query.replace(/\.$/, ""),
    answers: answers.slice(0, 10),
    response_code: status === "0" ? "NOERROR" : status === "9003" ? "NXDOMAIN" : status,
    process: event.process,
  };
}

async function dnsPart(ctx: AugmentContext): Promise<Augmentation["dns_history"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -AUGMENT_WINDOW.dns_history_hours * 60);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  const limit = AUGMENT_CAPS.dnsLookups;
  const domains = ctx.entities.domains.slice(0, 6);
  for (const domain of domains) {
    for (const name of ["QueryName", "dns.question.name", "query", "dns.rrname"]) {
      // A "*" in an eq filter is a wildcard: the domain itself and every subdomain (checked again below).
      const page = await search(ctx, queries, { filters: [{ field: name, value: `*${domain}` }], from, to, limit });
      found.push(...page.events);
      truncated ||= page.more;
    }
  }
  const lookups = dedupe(found)
    .map(toDnsLookup)
    .filter((l): l is DnsLookup => l !== null)
    .filter((l) => domains.some((d) => l.query.toLowerCase() === d.toLowerCase() || l.query.toLowerCase().endsWith(`.${d.toLowerCase()}`)));
  if (lookups.length > limit) truncated = true;
  const summary = domains.map((domain) => {
    const hits = lookups.filter((l) => l.query.toLowerCase() === domain.toLowerCase() || l.query.toLowerCase().endsWith(`.${domain.toLowerCase()}`));
    return {
      domain,
      lookups: hits.length,
      hosts: uniqueCaseless(hits.map((h) => h.host)).slice(0, 20),
      first: hits[0]?.time ?? null,
      last: hits[hits.length - 1]?.time ?? null,
    };
  });
  const missing: string[] = [];
  if (domains.length && lookups.length === 0) {
    const host = primaryHosts(ctx)[0] ?? null;
    const why = missingFor(ctx, host, "dns_logs", `DNS lookups of ${domains.join(", ")} in the ${AUGMENT_WINDOW.dns_history_hours}h before`, 0);
    if (why) missing.push(why);
  }
  return { queries, missing_telemetry: missing, truncated, lookups: lookups.slice(0, limit), domains: summary };
}

async function relatedAlertsPart(ctx: AugmentContext, caseId: string): Promise<Augmentation["related_alerts"]> {
  const e = ctx.entities;
  const values = [...e.domains, ...e.ips, ...e.hashes, ...e.users, ...e.hosts, ...e.hostIps].map((v) => v.toLowerCase()).slice(0, 60);
  const queries: PartQuery[] = [{ source: "observables", args: { values, excluding_case: caseId } }];
  if (values.length === 0) return { queries, missing_telemetry: [], truncated: false, alerts: [], cases: [] };
  const rows = await relatedAlertRows(ctx.ex, caseId, values).execute();
  const byAlert = new Map<string, Augmentation["related_alerts"]["alerts"][number]>();
  for (const row of rows) {
    const entry = byAlert.get(row.alert_id) ?? {
      alert_id: row.alert_id,
      case_id: row.case_id,
      time: row.time,
      title: bounded(row.title) as string,
      severity: row.severity,
      host: row.host_name,
      user: row.user_name,
      shared: [],
    };
    const label = `${row.type}:${row.value}`;
    if (!entry.shared.includes(label)) entry.shared.push(label);
    byAlert.set(row.alert_id, entry);
  }
  const alerts = [...byAlert.values()];
  const cases = [...new Set(alerts.map((a) => a.case_id).filter((c): c is string => !!c))];
  return { queries, missing_telemetry: [], truncated: alerts.length > AUGMENT_CAPS.relatedAlerts || rows.length >= 500, alerts: alerts.slice(0, AUGMENT_CAPS.relatedAlerts), cases };
}

async function threatActorPart(ctx: AugmentContext): Promise<Augmentation["threat_actor"]> {
  const queries: PartQuery[] = [];
  const byFamily = new Map<string, Augmentation["threat_actor"]["profiles"][number]>();
  for (const { enrichment } of ctx.alerts) {
    for (const m of enrichment.threat_intel.matches) {
      if (m.verdict === "benign") continue;
      const key = (m.associated_malware ?? `category:${m.category ?? "unknown"}`).toLowerCase();
      const profile = byFamily.get(key) ?? {
        associated_malware: m.associated_malware,
        categories: [],
        matched_indicators: [],
        max_source_count: 0,
        source_total: m.source_total,
        feeds: [],
        related_indicators: [],
      };
      if (m.category && !profile.categories.includes(m.category)) profile.categories.push(m.category);
      if (!profile.matched_indicators.includes(m.indicator)) profile.matched_indicators.push(m.indicator);
      if (m.source_count > profile.max_source_count) {
        profile.max_source_count = m.source_count;
        profile.source_total = m.source_total;
      }
      for (const feed of [m.feed, ...(m.sources ?? [])]) if (!profile.feeds.includes(feed)) profile.feeds.push(feed);
      byFamily.set(key, profile);
    }
  }
  const profiles = [...byFamily.values()].slice(0, AUGMENT_CAPS.profiles);
  let truncated = byFamily.size > AUGMENT_CAPS.profiles;
  for (const profile of profiles) {
    if (!profile.associated_malware) continue;
    const family = profile.associated_malware;
    queries.push({ source: "indicators", args: { associated_malware: family } });
    const rows = await ctx.ex
      .selectFrom("indicators")
      .select(["type", "value", "doc"])
      .where("doc", "like", `%${family.replace(/[\\%_"]/g, "")}%`)
      .orderBy("updated_at", "desc")
      .limit(200)
      .execute();
    for (const row of rows) {
      const parsed = Indicator.safeParse(fromJson(row.doc, null));
      if (!parsed.success || parsed.data.associated_malware?.toLowerCase() !== family.toLowerCase()) continue;
      if (profile.matched_indicators.some((v) => v.toLowerCase() === row.value.toLowerCase())) continue;
      if (profile.related_indicators.length >= AUGMENT_CAPS.relatedIndicators) {
        truncated = true;
        break;
      }
      profile.related_indicators.push({ type: row.type, value: row.value });
    }
  }
  return { queries, missing_telemetry: [], truncated, profiles };
}
