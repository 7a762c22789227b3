import type { Enrichment, Indicator } from "../core/index.js";
import type { Executor } from "../store/index.js";
import type { AlertObservables } from "./observables.js";
import { ageDays, indicatorKey, parentDomains } from "./normalise.js";
import { isNetwork } from "./intel/network.js";
import { intelIndex, parseEntry } from "./intel/lookup.js";

type Verdict = Enrichment["threat_intel"]["verdict"];
type Match = Enrichment["threat_intel"]["matches"][number];

const STRENGTH: Record<Verdict, number> = { malicious: 3, suspicious: 2, benign: 1, unknown: 0 };

export interface IntelResult {
  threat_intel: Enrichment["threat_intel"];
  /** One entry per feed that matched, dated by its newest matching record. */
  provenance: Enrichment["meta"]["provenance"];
  /** Malicious or suspicious indicators that matched, as keys: they relate alerts to each other. */
  hostile: { type: Indicator["type"]; key: string }[];
}

/**
 * Matches every observable of the alert against the indicator store, as of the alert's time: a domain
 * also matches through its parent domains, and an indicator that had expired by then is ignored.
 */
export async function matchIntel(ex: Executor, observables: AlertObservables, alertTime: string): Promise<IntelResult> {
  const at = Date.parse(alertTime);
  const index = await intelIndex(ex);
  // Stored key → the alert's own value behind it: a parent domain is matched for the subdomain seen. The
  // first observable to reach a key names it, in the order below.
  const matchedValue = new Map<string, string>();
  const entries = new Map<string, string>();
  const hit = (type: Indicator["type"], key: string, value: string, entry: string | undefined) => {
    if (entry === undefined) return;
    const k = `${type}:${key}`;
    if (!matchedValue.has(k)) matchedValue.set(k, value);
    entries.set(k, entry);
  };
  for (const type of ["url", "file_hash", "email"] as const) for (const value of observables.intel[type]) hit(type, value, value, index.get(type, value));
  // An address matches itself and every stored network that contains it: a few hash lookups, no scan.
  for (const ip of observables.intel.ip) {
    const covering = index.covering(ip);
    if (covering) for (const [key, entry] of covering) hit("ip", key, ip, entry);
    else hit("ip", ip, ip, index.get("ip", ip));
  }
  // Exact names first, so a domain the alert names itself is never credited to a subdomain of it.
  for (const domain of observables.intel.domain) hit("domain", domain, domain, index.get("domain", domain));
  for (const domain of observables.intel.domain) for (const parent of parentDomains(domain)) hit("domain", parent, domain, index.get("domain", parent));
  const found = [...entries.values()].map(parseEntry).filter(({ indicator }) => !indicator.expires_at || Date.parse(indicator.expires_at) >= at);

  found.sort(
    (a, b) =>
      STRENGTH[b.indicator.verdict] - STRENGTH[a.indicator.verdict] ||
      b.indicator.source_count - a.indicator.source_count ||
      a.indicator.value.localeCompare(b.indicator.value),
  );

  let verdict: Verdict = "unknown";
  const matches: Match[] = [];
  const feeds = new Map<string, string>();
  const hostile: IntelResult["hostile"] = [];
  for (const { indicator, updated_at } of found) {
    if (STRENGTH[indicator.verdict] > STRENGTH[verdict]) verdict = indicator.verdict;
    const seen = indicator.last_seen ?? indicator.first_seen;
    const key = indicatorKey(indicator.type, indicator.value);
    const matched = matchedValue.get(`${indicator.type}:${key}`) ?? indicator.value;
    const how = indicator.type === "ip" && isNetwork(key) ? "cidr" : indicator.type === "domain" && matched !== key ? "parent_domain" : "exact";
    matches.push({
      indicator: indicator.value,
      type: indicator.type,
      verdict: indicator.verdict,
      matched_value: matched,
      source_count: indicator.source_count,
      source_total: indicator.source_total,
      category: indicator.category ?? null,
      associated_malware: indicator.associated_malware ?? null,
      ioc_age_days: seen ? ageDays(seen, alertTime) : null,
      feed: indicator.sources?.join(", ") ?? indicator.feed,
      match: how,
      ...(indicator.sources ? { sources: [...indicator.sources] } : {}),
    });
    for (const feed of indicator.sources ?? [indicator.feed]) {
      const asOf = feeds.get(feed);
      if (!asOf || updated_at > asOf) feeds.set(feed, updated_at);
    }
    // A network relates alerts through the address seen, not through the network's own spelling.
    if (indicator.verdict !== "benign") hostile.push({ type: indicator.type, key: how === "cidr" ? matched : key });
  }
  return {
    threat_intel: { verdict, matches },
    provenance: [...feeds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([feed, asOf]) => ({ axis: "threat_intel", source: `intel:${feed}`, as_of: asOf })),
    hostile,
  };
}
