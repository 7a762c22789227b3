import type { CaseFacts } from "./facts.js";

/** A host seen in alerts that enrichment never found in the CMDB. */
export interface MissingAsset {
  host: string;
  ips: string[];
  cases: string[];
  sources: string[];
}

export function missingAssets(cases: CaseFacts[]): MissingAsset[] {
  const hosts = new Map<string, { host: string; ips: Set<string>; cases: Set<string>; sources: Set<string> }>();
  for (const c of cases)
    for (const a of c.alerts) {
      if (a.asset_known !== false || !a.host) continue;
      const key = a.host.toLowerCase();
      const h = hosts.get(key) ?? { host: a.host, ips: new Set(), cases: new Set(), sources: new Set() };
      for (const ip of a.host_ips) h.ips.add(ip);
      h.cases.add(c.case_id);
      h.sources.add(a.source);
      hosts.set(key, h);
    }
  return [...hosts.values()]
    .map((h) => ({ host: h.host, ips: [...h.ips].sort(), cases: [...h.cases].sort(), sources: [...h.sources].sort() }))
    .sort((a, b) => b.cases.length - a.cases.length || a.host.localeCompare(b.host));
}

/** Two sources that disagree about the same host: each reports it at addresses the other never does. */
export interface TelemetryContradiction {
  host: string;
  /** source → addresses it reported for the host. */
  addresses: Record<string, string[]>;
  cases: string[];
}

export function telemetryContradictions(cases: CaseFacts[]): TelemetryContradiction[] {
  const hosts = new Map<string, { host: string; bySource: Map<string, Set<string>>; cases: Set<string> }>();
  for (const c of cases)
    for (const a of c.alerts) {
      if (!a.host || !a.host_ips.length) continue;
      const key = a.host.toLowerCase();
      const h = hosts.get(key) ?? { host: a.host, bySource: new Map(), cases: new Set() };
      const ips = h.bySource.get(a.source) ?? new Set();
      for (const ip of a.host_ips) ips.add(ip);
      h.bySource.set(a.source, ips);
      h.cases.add(c.case_id);
      hosts.set(key, h);
    }
  const out: TelemetryContradiction[] = [];
  for (const h of hosts.values()) {
    const sources = [...h.bySource.entries()];
    if (sources.length < 2) continue;
    const disjoint = sources.some(([, a], i) => sources.slice(i + 1).some(([, b]) => ![...a].some((ip) => b.has(ip))));
    if (!disjoint) continue;
    out.push({ host: h.host, addresses: Object.fromEntries(sources.sort(([x], [y]) => x.localeCompare(y)).map(([s, ips]) => [s, [...ips].sort()])), cases: [...h.cases].sort() });
  }
  return out.sort((a, b) => a.host.localeCompare(b.host));
}
