import { sql } from "kysely";
import { Alert, type Enrichment } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { resolveHosts, type HostLabel } from "./hosts.js";
import type { IntelResult } from "./intel.js";
import { historyKey, indexAlertHistory, type KeyKind } from "./history-keys.js";
import { hostKey, ipKey, isWithinDomain } from "./normalise.js";
import { collectObservables, type AlertObservables } from "./observables.js";

type History = Omit<Enrichment["history"], "suppression_match" | "suppression_age_days">;
type Related = History["related_alerts"][number];

const RELATED_LIMIT = 20;
/** Stored times may differ in sub-second formatting: query a second wider, then compare exactly. */
const SLACK_MS = 1000;

export interface HistoryInput {
  alert: Alert;
  alertTime: string;
  windowHours: number;
  host: HostLabel | null;
  observables: AlertObservables;
  hostile: IntelResult["hostile"];
}

/** Addresses that belong to a CMDB asset are hosts, not indicators. */
async function withoutAssetIps(ex: Executor, ips: string[]): Promise<string[]> {
  const known = new Set<string>();
  for (let i = 0; i < ips.length; i += 500) {
    const rows = await ex.selectFrom("asset_ips").select("ip").where("ip", "in", ips.slice(i, i + 500)).execute();
    for (const row of rows) known.add(row.ip);
  }
  return ips.filter((ip) => !known.has(ip));
}

/** The key kind a known-bad indicator of each type is found under. */
const HOSTILE_KEY_KINDS: Partial<Record<string, KeyKind>> = { ip: "i", domain: "d", url: "l", file_hash: "f", email: "e" };

/** Ids of the alerts (other than `except`) whose time is in [lo, hi] and that carry one of `keys`: an index read per key. */
async function candidateIds(ex: Executor, keys: string[], range: { lo: string; hi: string; except: string }): Promise<string[]> {
  const ids = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await ex
      .selectFrom("alert_keys")
      .select("alert_id")
      .where("key", "in", keys.slice(i, i + 500))
      .where("time", ">=", range.lo)
      .where("time", "<=", range.hi)
      .where("alert_id", "!=", range.except)
      .execute();
    for (const row of rows) ids.add(row.alert_id);
  }
  return [...ids].sort();
}

interface Candidate {
  alert: Alert;
  time: number;
}

/** The alerts of `ids` whose time is in [from, at], parsed. */
async function loadCandidates(ex: Executor, ids: string[], from: number, at: number): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await ex.selectFrom("alerts").select(["id", "time", "doc"]).where("id", "in", ids.slice(i, i + 500)).execute();
    for (const row of rows) {
      const time = Date.parse(row.time);
      if (!(time >= from && time <= at)) continue;
      const parsed = Alert.safeParse(fromJson(row.doc, null));
      if (parsed.success) out.push({ alert: parsed.data, time });
    }
  }
  return out;
}

/**
 * Ids carrying one of `keys` in [lo, hi], newest first, one page at a time (`after`: the last page's end), leaving
 * out `except` and the ids in `skip`.
 */
async function recentIdsPage(
  ex: Executor,
  keys: string[],
  range: { lo: string; hi: string; except: string },
  after: { time: string; id: string } | null,
  size: number,
): Promise<{ id: string; time: string }[]> {
  let query = ex
    .selectFrom("alert_keys")
    .select(["alert_id", "time"])
    .where("key", "in", keys)
    .where("time", ">=", range.lo)
    .where("time", "<=", range.hi)
    .where("alert_id", "!=", range.except);
  if (after) query = query.where((eb) => eb.or([eb("time", "<", after.time), eb.and([eb("time", "=", after.time), eb("alert_id", "<", after.id)])]));
  const rows = await query.orderBy("time", "desc").orderBy("alert_id", "desc").limit(size).execute();
  return rows.map((r) => ({ id: r.alert_id, time: r.time }));
}

/**
 * Alerts before this one (by alert time, within the window) that share a host, user, source address or
 * indicator with it. The history keys (an index) narrow the candidates; the exact comparison happens on the
 * parsed documents.
 */
export async function buildHistory(ex: Executor, input: HistoryInput): Promise<History> {
  const { alert, alertTime, windowHours, host, observables } = input;
  const at = Date.parse(alertTime);
  const from = at - windowHours * 3_600_000;
  const lo = new Date(from - SLACK_MS).toISOString();
  const hi = new Date(at + SLACK_MS).toISOString();

  const sharing = { ...observables.sharing, ip: await withoutAssetIps(ex, observables.sharing.ip) };
  const hasIndicator = Object.values(sharing).some((list) => list.length > 0) || input.hostile.length > 0;

  // Every key an earlier alert must carry to share something with this one (src/context/history-keys.ts). Sharing
  // only this alert's host (its name or its own addresses) puts an earlier alert among the related alerts and
  // nowhere else, so those are read newest first and only until the related list is full (`hostKeys`); every
  // other kind of sharing counts, so all of those are read (`keys`). Reading every alert of a busy host for each
  // new one made enrichment quadratic in the host's alerts.
  const keys = new Set<string>();
  const hostKeys = new Set<string>();
  if (host) hostKeys.add(historyKey("h", host.key));
  if (observables.user) keys.add(historyKey("u", observables.user));
  const ips = [...sharing.ip];
  if (observables.srcIp) ips.push(observables.srcIp);
  for (const ip of ips) keys.add(historyKey("i", ipKey(ip)));
  for (const ip of [...observables.hostIps, ...(host?.record?.asset.ips ?? [])]) {
    const key = historyKey("i", ipKey(ip));
    if (!keys.has(key)) hostKeys.add(key);
  }
  for (const domain of sharing.domain) keys.add(historyKey("d", domain));
  for (const url of sharing.url) keys.add(historyKey("l", url));
  for (const hash of sharing.file_hash) keys.add(historyKey("f", hash));
  for (const { key, type } of input.hostile) {
    const kind = HOSTILE_KEY_KINDS[type];
    if (kind) keys.add(historyKey(kind, kind === "i" ? ipKey(key) : key));
  }

  const candidates: Candidate[] = [];
  const hosts = new Map<string, HostLabel | null>();
  const range = { lo, hi, except: alert.id };
  if (keys.size > 0 || hostKeys.size > 0) await indexAlertHistory(ex);
  if (keys.size > 0) {
    candidates.push(...(await loadCandidates(ex, await candidateIds(ex, [...keys], range), from, at)));
    for (const [id, label] of await resolveHosts(ex, candidates.map((c) => c.alert))) hosts.set(id, label);
  }
  if (hostKeys.size > 0 && host) {
    // Related through the host only: newest first, until RELATED_LIMIT of them are on this host.
    const seen = new Set(candidates.map((c) => c.alert.id));
    let onHost = 0;
    let after: { time: string; id: string } | null = null;
    while (onHost < RELATED_LIMIT) {
      const page = await recentIdsPage(ex, [...hostKeys], range, after, 100);
      if (page.length === 0) break;
      after = page[page.length - 1]!;
      const fresh = [...new Set(page.map((p) => p.id))].filter((id) => !seen.has(id));
      for (const id of fresh) seen.add(id);
      const loaded = await loadCandidates(ex, fresh, from, at);
      const labels = await resolveHosts(ex, loaded.map((c) => c.alert));
      loaded.sort((a, b) => b.time - a.time || b.alert.id.localeCompare(a.alert.id));
      for (const c of loaded) {
        if (onHost >= RELATED_LIMIT) break;
        const label = labels.get(c.alert.id) ?? null;
        hosts.set(c.alert.id, label);
        candidates.push(c);
        if (label?.key === host.key) onHost++;
      }
      if (page.length < 100) break;
    }
  }
  const indicatorAssets = new Map<string, string>();
  if (host && hasIndicator) indicatorAssets.set(host.key, host.display);
  let sameIndicator = 0;
  let sameSrc = 0;
  const linked: Linked[] = [];
  const related: (Related & { at: number })[] = [];

  for (const { alert: other, time } of candidates) {
    const theirs = collectObservables(other);
    const theirHost = hosts.get(other.id) ?? null;
    const shared: string[] = [];
    let sharesIndicator = false;

    if (host && theirHost?.key === host.key) shared.push(`host:${host.display}`);
    if (observables.user && theirs.user === observables.user) shared.push(`user:${observables.user}`);
    if (observables.srcIp && theirs.srcIp === observables.srcIp) {
      shared.push(`src.ip:${observables.srcIp}`);
      sameSrc++;
      if (sharing.ip.includes(observables.srcIp)) sharesIndicator = true;
    }
    for (const type of ["ip", "domain", "url", "file_hash"] as const) {
      for (const value of sharing[type]) {
        if (!theirs.sharing[type].includes(value)) continue;
        sharesIndicator = true;
        if (!(type === "ip" && value === observables.srcIp && theirs.srcIp === value)) shared.push(`${type}:${value}`);
      }
    }
    // A known-bad indicator relates alerts even when they reach it differently (a subdomain, a link).
    for (const { type, key } of input.hostile) {
      const label = `${type}:${key}`;
      if (shared.includes(label) || shared.includes(`src.ip:${key}`)) continue;
      const hit = type === "domain" ? theirs.intel.domain.some((d) => isWithinDomain(d, key)) : theirs.intel[type].includes(key);
      if (hit) {
        shared.push(label);
        sharesIndicator = true;
      }
    }

    if (sharesIndicator) {
      sameIndicator++;
      if (theirHost && !indicatorAssets.has(theirHost.key)) indicatorAssets.set(theirHost.key, theirHost.display);
    }
    const sharesSrc = observables.srcIp !== null && theirs.srcIp === observables.srcIp;
    if (sharesIndicator || sharesSrc)
      linked.push({ id: other.id, at: time, host: theirHost?.key ?? null, indicator: sharesIndicator, src: sharesSrc, rule: false });
    if (shared.length > 0)
      related.push({
        alert_id: other.id,
        time: other.time,
        title: other.title,
        subtype: other.subtype ?? null,
        rule_id: other.rule?.id ?? null,
        host: theirHost?.display ?? null,
        shared,
        at: time,
      });
  }

  related.sort((a, b) => b.at - a.at || a.alert_id.localeCompare(b.alert_id));
  const sameRule = await sameRuleAlerts(ex, alert, { from, at, lo, hi });
  // An alert of the rule not read above that names this alert's host by the same name is on the same host.
  const ownName = alert.host?.name ? hostKey(alert.host.name) : null;
  const byId = new Map(linked.map((l) => [l.id, l]));
  for (const other of sameRule) {
    const known = byId.get(other.id);
    if (known) known.rule = true;
    else {
      const resolved = hosts.get(other.id)?.key ?? (other.host !== null && other.host === ownName && host ? host.key : other.host);
      linked.push({ ...other, host: resolved, indicator: false, src: false, rule: true });
    }
  }
  return {
    same_indicator_count: sameIndicator,
    same_indicator_assets: [...indicatorAssets.values()].sort((a, b) => a.localeCompare(b)),
    same_src_count: sameSrc,
    same_rule_count: sameRule.length,
    last_disposition: await lastDisposition(ex, alert, alertTime),
    related_alerts: related.slice(0, RELATED_LIMIT).map(({ at: _at, ...rest }) => rest),
    window_hours: windowHours,
    windows: historyWindows(linked, { at, windowHours, host: host?.key ?? null }),
  };
}

/** An earlier alert linked to this one, and how. */
interface Linked {
  id: string;
  at: number;
  host: string | null;
  indicator: boolean;
  src: boolean;
  rule: boolean;
}

/** `1h`, `24h`, then whole days (`7d`) or hours for the configured window. */
export function windowLabel(hours: number): string {
  return hours > 24 && hours % 24 === 0 ? `${hours / 24}d` : `${hours}h`;
}

/**
 * Counts over nested windows ending at the alert's time: the last hour, the last day, and the whole
 * history window, from the alerts already fetched for it (no query per window).
 */
export function historyWindows(
  linked: Linked[],
  context: { at: number; windowHours: number; host: string | null },
): NonNullable<History["windows"]> {
  const spans = [...new Set([1, 24, context.windowHours].filter((h) => h <= context.windowHours))];
  const out: NonNullable<History["windows"]> = {};
  for (const hours of spans) {
    const from = context.at - hours * 3_600_000;
    const inside = linked.filter((l) => l.at >= from && l.at <= context.at);
    const assets = new Set<string>();
    if (context.host) assets.add(context.host);
    for (const l of inside) if (l.host) assets.add(l.host);
    out[windowLabel(hours)] = {
      same_indicator: inside.filter((l) => l.indicator).length,
      same_src: inside.filter((l) => l.src).length,
      same_rule: inside.filter((l) => l.rule).length,
      assets: assets.size,
    };
  }
  return out;
}

/** Earlier alerts of the same rule in the window, with their time and host. */
async function sameRuleAlerts(
  ex: Executor,
  alert: Alert,
  range: { from: number; at: number; lo: string; hi: string },
): Promise<{ id: string; at: number; host: string | null }[]> {
  if (!alert.rule) return [];
  const rows = await ex
    .selectFrom("alerts")
    .select(["id", "time", "host_name"])
    .where("rule_id", "=", alert.rule.id)
    .where("time", ">=", range.lo)
    .where("time", "<=", range.hi)
    .where("id", "!=", alert.id)
    .execute();
  return rows
    .map((r) => ({ id: r.id, at: Date.parse(r.time), host: r.host_name ? hostKey(r.host_name) : null }))
    .filter((r) => r.at >= range.from && r.at <= range.at);
}

/** The verdict of the latest case, closed or resolved before this alert, about the same rule on the same host. */
async function lastDisposition(ex: Executor, alert: Alert, alertTime: string): Promise<string | null> {
  if (!alert.rule || !alert.host?.name) return null;
  const rows = await ex
    .selectFrom("alerts")
    .innerJoin("cases", "cases.id", "alerts.case_id")
    .select(["cases.verdict", "cases.closed_at", "cases.resolved_at", "cases.updated_at"])
    // One row per case, not per alert: a closed flood holds thousands of this rule's alerts.
    .distinct()
    .where("alerts.rule_id", "=", alert.rule.id)
    .where(sql<string>`lower(alerts.host_name)`, "=", hostKey(alert.host.name))
    .where("cases.status", "in", ["resolved", "closed"])
    .where("cases.verdict", "is not", null)
    .where("alerts.id", "!=", alert.id)
    .execute();
  const at = Date.parse(alertTime);
  let best: { verdict: string; when: number } | null = null;
  for (const row of rows) {
    const when = Date.parse(row.closed_at ?? row.resolved_at ?? row.updated_at);
    if (Number.isNaN(when) || when > at) continue;
    if (!best || when > best.when) best = { verdict: row.verdict!, when };
  }
  return best?.verdict ?? null;
}
