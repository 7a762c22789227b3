import { getCmdbAssetRecord } from "../../context/queries.js";
import type { Executor } from "../../store/index.js";
import { isExternalDomain, isPublicIp } from "../assessment/facts.js";
import { caseEntities } from "./augment.js";
import type { VeraAlertInput, VeraInput } from "./schema.js";

/** The case's own infrastructure as the CMDB knows it: what may be isolated, never blocked as an indicator. */
export interface OwnInfrastructure {
  ips: string[];
  hostnames: string[];
}

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)$/i;

/**
 * Looks each address and name of the case (its entities and indicators) up in the CMDB: those that are one
 * of the organisation's assets or their addresses. Bounded by the case's entities, one indexed lookup each.
 */
export async function loadOwnInfrastructure(ex: Executor, alerts: VeraAlertInput[], tora: VeraInput["tora"]["output"] | null): Promise<OwnInfrastructure> {
  const e = caseEntities(alerts, tora);
  const ips = new Set<string>();
  const hostnames = new Set<string>();
  for (const ip of [...e.ips, ...e.hostIps]) {
    const record = await getCmdbAssetRecord(ex, ip);
    if (record) {
      ips.add(ip.toLowerCase());
      hostnames.add(record.asset.hostname.toLowerCase());
    }
  }
  for (const name of [...e.hosts, ...e.domains]) {
    const record = await getCmdbAssetRecord(ex, name);
    if (record) hostnames.add(name.toLowerCase());
  }
  return { ips: [...ips].sort(), hostnames: [...hostnames].sort() };
}

/**
 * Why a target is the organisation's own infrastructure (null when it is not): a private, loopback or
 * link-local address, an address or name of a CMDB asset (as loaded for the case, and the case's own hosts
 * and their addresses), or a name under an internal suffix. Such a target may be isolated or investigated,
 * never blocked as an indicator of compromise.
 */
export function ownInfrastructureOf(input: Pick<VeraInput, "alerts" | "own_infrastructure">): (target: string) => string | null {
  const ownIps = new Set(input.own_infrastructure.ips.map((v) => v.toLowerCase()));
  const ownNames = new Set(input.own_infrastructure.hostnames.map((v) => v.toLowerCase().split(".")[0]!));
  for (const { alert, enrichment } of input.alerts) {
    for (const ip of [...(alert.host?.ip ?? []), ...(enrichment.asset?.ips ?? [])]) ownIps.add(ip.toLowerCase());
    for (const h of [alert.host?.name, enrichment.asset?.hostname]) if (h) ownNames.add(h.toLowerCase().split(".")[0]!);
  }
  return (target) => {
    const t = target.trim().toLowerCase().replace(/\.$/, "");
    if (!t) return null;
    if (IP_LITERAL.test(t)) {
      if (!isPublicIp(t)) return `${target} is a private or internal address`;
      if (ownIps.has(t)) return `${target} is an address of the organisation's own asset`;
      return null;
    }
    // A short name or a fully qualified one of an own host (ws-042, ws-042.corp.example).
    if (ownNames.has(t.split(".")[0]!)) return `${target} is one of the organisation's own hosts`;
    if (t.includes(".") && !isExternalDomain(t)) return `${target} is an internal name`;
    return null;
  };
}
