import { isBruteForceSubtype, isLoginSuccessSubtype, type AlertFacts } from "./facts.js";
import { listOf, uniqueCaseless } from "./text.js";
import type { BruteForceChain } from "./assessment-types.js";
import { sumCapped } from "./confidence.js";
import { perAlertMalicious } from "./evidence.js";

/** Assets on which the case's indicator has been seen: history plus the case's own alerts. */
export function indicatorSpread(facts: AlertFacts[]): string[] {
  const assets: string[] = [];
  for (const f of facts) {
    const seen = f.enrichment.history.same_indicator_assets;
    if (seen.length > 0) assets.push(...seen, ...(f.host ? [f.host] : []));
  }
  const hostsByIndicator = new Map<string, string[]>();
  for (const f of facts) {
    const host = f.host ?? f.hostIp;
    if (!host) continue;
    const indicators = uniqueCaseless([f.domain, f.family === "auth" ? f.srcIp : f.dstIp, f.intel.best?.indicator]);
    for (const indicator of indicators) {
      const key = indicator.toLowerCase();
      hostsByIndicator.set(key, [...(hostsByIndicator.get(key) ?? []), host]);
    }
  }
  for (const hosts of hostsByIndicator.values()) if (uniqueCaseless(hosts).length >= 2) assets.push(...hosts);
  return uniqueCaseless(assets);
}

function isBruteForce(f: AlertFacts): boolean {
  return isBruteForceSubtype(f.subtype) || isBruteForceSubtype(f.ruleId) || isBruteForceSubtype(f.ruleTitle);
}

function isLoginSuccess(f: AlertFacts): boolean {
  return isLoginSuccessSubtype(f.subtype) || isLoginSuccessSubtype(f.ruleId);
}

/**
 * Brute force followed by a successful login from the same source: within the case, or a brute-force
 * alert among the success alert's related (earlier) alerts. A related alert is recognised by subtype
 * or rule id; its free-text title is consulted only when it has neither, and can then only add caution.
 */
export function findBruteForceChain(facts: AlertFacts[]): BruteForceChain | null {
  for (const s of facts) {
    // The guessing source: the success alert's remote source, or (a C2 lookup made by the host itself
    // carries none) the remote source of a brute-force alert of the case.
    const attacker = s.remoteSrcIp ?? facts.find((b) => b !== s && isBruteForce(b) && b.remoteSrcIp)?.remoteSrcIp ?? null;
    const chain = (detail: string): BruteForceChain => ({
      src: attacker,
      host: s.host,
      user: s.user,
      successAlertId: s.alertId,
      successTime: s.time,
      detail,
    });
    if (/bruteforce_c2/.test(s.subtype))
      return chain(`subtype ${s.subtype}: SSH brute force${attacker ? ` from ${attacker}` : ""} succeeded on ${s.host ?? "the host"}, then C2 DNS`);
    if (!isLoginSuccess(s)) continue;
    for (const b of facts) {
      if (b === s || !isBruteForce(b) || Date.parse(b.time) > Date.parse(s.time)) continue;
      const sameSource = b.srcIp && s.srcIp ? b.srcIp === s.srcIp : !!b.host && !!s.host && b.host.toLowerCase() === s.host.toLowerCase();
      if (sameSource)
        return chain(
          `${b.subtype} from ${b.srcIp ?? "?"} at ${b.time} then ${s.subtype} from ${s.srcIp ?? "?"} on ${s.host ?? "?"}${s.user ? ` as ${s.user}` : ""} at ${s.time} (both in this case)`,
        );
    }
    for (const r of s.enrichment.history.related_alerts) {
      const brute =
        isBruteForceSubtype(r.subtype) || isBruteForceSubtype(r.rule_id) || (!r.subtype && !r.rule_id && /brute|spray/i.test(r.title));
      if (!brute || Date.parse(r.time) > Date.parse(s.time)) continue;
      // Shared entities read "src.ip:203.0.113.9", "ip:…", "host:…" (context/history.ts).
      const sameSource = s.srcIp ? r.shared.some((entity) => entity === s.srcIp || entity.slice(entity.indexOf(":") + 1) === s.srcIp) : r.shared.length > 0;
      if (sameSource)
        return chain(
          `earlier alert ${r.alert_id} (${r.subtype ?? r.rule_id ?? "brute force"}, ${r.time}, shares ${listOf(r.shared)}) then ${s.subtype} from ${s.srcIp ?? "?"} on ${s.host ?? "?"}${s.user ? ` as ${s.user}` : ""} at ${s.time}`,
        );
    }
  }
  return null;
}

export function choosePrimary(facts: AlertFacts[], chain: BruteForceChain | null): AlertFacts {
  if (chain) return facts.find((f) => f.alertId === chain.successAlertId)!;
  const credentials = facts.find((f) => f.email?.credentialsSubmitted);
  if (credentials) return credentials;
  const rank = (f: AlertFacts) => ["informational", "low", "medium", "high", "critical"].indexOf(f.sourceSeverity) * 100 + sumCapped(perAlertMalicious(f));
  let best = facts[0]!;
  for (const f of facts.slice(1)) {
    if (rank(f) > rank(best) || (rank(f) === rank(best) && Date.parse(f.time) < Date.parse(best.time))) best = f;
  }
  return best;
}
