import { Asset, type Alert } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { hostKey, isIpAddress, ipKey } from "./normalise.js";
import type { AssetRecord } from "./queries.js";

/** Which host an alert is about: the CMDB asset when one is known, else what the alert itself names. */
export interface HostLabel {
  key: string;
  display: string;
  record: AssetRecord | null;
}

type Ref = { kind: "name"; key: string; raw: string } | { kind: "ip"; key: string; raw: string };

/** The join order of the brief: host.name, host.ip, then the source (the internal side of outbound traffic). */
function refsOf(alert: Alert): Ref[] {
  const refs: Ref[] = [];
  if (alert.host?.name) refs.push({ kind: "name", key: hostKey(alert.host.name), raw: alert.host.name });
  for (const ip of alert.host?.ip ?? []) if (isIpAddress(ip)) refs.push({ kind: "ip", key: ipKey(ip), raw: ip.trim() });
  const src = alert.src;
  if (src?.hostname && !isIpAddress(src.hostname)) refs.push({ kind: "name", key: hostKey(src.hostname), raw: src.hostname });
  if (src?.ip && isIpAddress(src.ip)) refs.push({ kind: "ip", key: ipKey(src.ip), raw: src.ip.trim() });
  return refs;
}

/** Resolves the host of many alerts with two queries; the same rules for this alert and its history. */
export async function resolveHosts(ex: Executor, alerts: Alert[]): Promise<Map<string, HostLabel | null>> {
  const names = new Set<string>();
  const ips = new Set<string>();
  const refsById = new Map<string, Ref[]>();
  for (const alert of alerts) {
    const refs = refsOf(alert);
    refsById.set(alert.id, refs);
    for (const ref of refs) (ref.kind === "name" ? names : ips).add(ref.key);
  }

  const byName = new Map<string, AssetRecord>();
  const nameList = [...names];
  for (let i = 0; i < nameList.length; i += 500) {
    const rows = await ex
      .selectFrom("assets")
      .select(["hostname", "doc", "updated_at", "source"])
      .where("hostname", "in", nameList.slice(i, i + 500))
      .execute();
    for (const row of rows)
      byName.set(row.hostname, { asset: Asset.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source });
  }

  const byIp = new Map<string, AssetRecord>();
  const ipList = [...ips];
  for (let i = 0; i < ipList.length; i += 500) {
    const rows = await ex
      .selectFrom("asset_ips")
      .innerJoin("assets", "assets.hostname", "asset_ips.hostname")
      .select(["asset_ips.ip", "assets.doc", "assets.updated_at", "assets.source"])
      .where("asset_ips.ip", "in", ipList.slice(i, i + 500))
      // An address that moved between hosts belongs to the most recently updated record.
      .orderBy("assets.updated_at", "asc")
      .orderBy("assets.hostname", "desc")
      .execute();
    for (const row of rows)
      byIp.set(row.ip, { asset: Asset.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source });
  }

  const out = new Map<string, HostLabel | null>();
  for (const alert of alerts) {
    const refs = refsById.get(alert.id)!;
    let label: HostLabel | null = null;
    for (const ref of refs) {
      const record = ref.kind === "name" ? byName.get(ref.key) : byIp.get(ref.key);
      if (record) {
        label = { key: hostKey(record.asset.hostname), display: record.asset.hostname, record };
        break;
      }
    }
    if (!label) {
      // Unknown to the CMDB: a name the alert gives beats an address.
      const ref = refs.find((r) => r.kind === "name") ?? refs[0];
      if (ref) label = { key: ref.key, display: ref.raw, record: null };
    }
    out.set(alert.id, label);
  }
  return out;
}
