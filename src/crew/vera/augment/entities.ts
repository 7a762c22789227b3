import type { ToraOutput } from "../../../core/index.js";
import { uniqueCaseless } from "../../assessment/text.js";
import type { VeraAlertInput } from "../schema.js";

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
