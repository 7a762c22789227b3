import type { Alert } from "../core/index.js";
import { domainKey, hostKey, hostOfUrl, indicatorKey, isInternalIp, isIpAddress, ipKey, userKey } from "./normalise.js";

/** What an alert names, as lookup keys, split by what the keys are for. */
export interface AlertObservables {
  /** Every value worth asking threat intel about. */
  intel: { ip: string[]; domain: string[]; url: string[]; file_hash: string[]; email: string[] };
  /**
   * Values that relate this alert to others as a shared indicator: external addresses, destination
   * domains, URLs and hashes. Our own addresses relate alerts as hosts, not as indicators.
   */
  sharing: { ip: string[]; domain: string[]; url: string[]; file_hash: string[] };
  /** Addresses of the alert's own host (host.ip), never an indicator of anything. */
  hostIps: string[];
  srcIp: string | null;
  user: string | null;
}

function add(list: string[], value: string | null | undefined) {
  if (value && !list.includes(value)) list.push(value);
}

/** Domain-like names in the alert's destination (never the source: that is our host). */
function destinationDomains(alert: Alert): string[] {
  const out: string[] = [];
  if (alert.dst?.domain) add(out, domainKey(alert.dst.domain));
  if (alert.dst?.hostname && !isIpAddress(alert.dst.hostname)) add(out, domainKey(alert.dst.hostname));
  for (const o of alert.observables) if (o.type === "domain" && o.role !== "src") add(out, domainKey(o.value));
  return out;
}

function urlsOf(alert: Alert): string[] {
  const out: string[] = [];
  if (alert.dst?.url) add(out, indicatorKey("url", alert.dst.url));
  for (const link of alert.email?.links ?? []) add(out, indicatorKey("url", link));
  for (const o of alert.observables) if (o.type === "url") add(out, indicatorKey("url", o.value));
  return out;
}

export function collectObservables(alert: Alert): AlertObservables {
  const hostIps = (alert.host?.ip ?? []).filter(isIpAddress).map(ipKey);
  const ips: string[] = [];
  add(ips, alert.src?.ip && isIpAddress(alert.src.ip) ? ipKey(alert.src.ip) : null);
  add(ips, alert.dst?.ip && isIpAddress(alert.dst.ip) ? ipKey(alert.dst.ip) : null);
  for (const o of alert.observables) if (o.type === "ip" && isIpAddress(o.value)) add(ips, ipKey(o.value));
  for (const answer of alert.network?.answers ?? []) if (isIpAddress(answer)) add(ips, ipKey(answer));

  const domains = destinationDomains(alert);
  const urls = urlsOf(alert);
  const hashes: string[] = [];
  add(hashes, alert.process?.sha256 ? indicatorKey("file_hash", alert.process.sha256) : null);
  for (const o of alert.observables) if (o.type === "file_hash") add(hashes, indicatorKey("file_hash", o.value));

  const emails: string[] = [];
  add(emails, alert.email?.sender ? indicatorKey("email", alert.email.sender) : null);
  for (const o of alert.observables) if (o.type === "email") add(emails, indicatorKey("email", o.value));

  // Intel also hears about the hosts behind links and the sender's domain: a look-alike domain is the tell.
  const intelDomains = [...domains];
  for (const url of urls) {
    const host = hostOfUrl(url);
    if (host && !isIpAddress(host)) add(intelDomains, domainKey(host));
    else if (host) add(ips, ipKey(host));
  }
  for (const email of emails) add(intelDomains, email.includes("@") ? domainKey(email.slice(email.lastIndexOf("@") + 1)) : null);

  return {
    intel: { ip: [...ips, ...hostIps.filter((ip) => !ips.includes(ip))], domain: intelDomains, url: urls, file_hash: hashes, email: emails },
    sharing: { ip: ips.filter((ip) => !hostIps.includes(ip) && !isInternalIp(ip)), domain: domains, url: urls, file_hash: hashes },
    hostIps,
    srcIp: alert.src?.ip && isIpAddress(alert.src.ip) ? ipKey(alert.src.ip) : null,
    user: alert.user?.name ? userKey(alert.user.name) || null : null,
  };
}

/** The host name an alert names directly (host.name, else src.hostname), as a key. */
export function namedHost(alert: Alert): string | null {
  if (alert.host?.name) return hostKey(alert.host.name);
  if (alert.src?.hostname && !isIpAddress(alert.src.hostname)) return hostKey(alert.src.hostname);
  return null;
}
