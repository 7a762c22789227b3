import { Asset, type Alert, type AssetResolution } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { findAliases, nameCandidates, shortNameOf } from "./assets/aliases.js";
import { addressKeyOf } from "./assets/keys.js";
import { findInventory, mergeAsset } from "./assets/merge.js";
import { addressQueryKey, DEFAULT_IP_STALE_DAYS, findSubnets, resolveAddresses, type AddressOwner, type SubnetRecord } from "./assets/resolve.js";
import { hostKey, isIpAddress, ipKey } from "./normalise.js";
import type { AssetRecord } from "./queries.js";

/** Which host an alert is about: the asset when one is known (CMDB and/or inventory), else what the alert itself names. */
export interface HostLabel {
  key: string;
  display: string;
  /** The CMDB record merged with the inventories' (src/context/assets/merge.ts); null when neither knows the host. */
  record: AssetRecord | null;
  /** How the host was found: by name, or by an address as of the alert's time. */
  resolution: AssetResolution;
  /** Every record behind `record`: the CMDB (`cmdb`), each inventory, the subnet that gave the segment (its own axis: a subnet file ages apart from the host). */
  provenance: { axis: "asset" | "subnet"; source: string; as_of: string | null }[];
  /** The narrowest subnet containing the host's address, when one is known. */
  subnet: SubnetRecord | null;
}

export interface ResolveHostsOptions {
  /** `context.ip_stale_days`: how long after its last sighting an address still belongs to a host (default 7). */
  ipStaleDays?: number;
}

type Ref = { kind: "name"; key: string; raw: string } | { kind: "ip"; key: string; address: string | null; raw: string };

/** The join order of the brief: host.name, host.ip, then the source (the internal side of outbound traffic). */
function refsOf(alert: Alert): Ref[] {
  const refs: Ref[] = [];
  const ip = (raw: string): Ref => ({ kind: "ip", key: ipKey(raw), address: addressKeyOf(raw), raw: raw.trim() });
  // A host "name" that is an address (Prometheus' `instance` without its port) is resolved as one.
  if (alert.host?.name && isIpAddress(alert.host.name)) refs.push(ip(alert.host.name));
  else if (alert.host?.name) refs.push({ kind: "name", key: hostKey(alert.host.name), raw: alert.host.name });
  for (const raw of alert.host?.ip ?? []) if (isIpAddress(raw)) refs.push(ip(raw));
  const src = alert.src;
  if (src?.hostname && !isIpAddress(src.hostname)) refs.push({ kind: "name", key: hostKey(src.hostname), raw: src.hostname });
  if (src?.ip && isIpAddress(src.ip)) refs.push(ip(src.ip));
  return refs;
}

function alertInstant(alert: Alert): string {
  const ms = Date.parse(alert.time);
  return Number.isNaN(ms) ? alert.time : new Date(ms).toISOString();
}

/**
 * Resolves the host of many alerts in a handful of queries; the same rules for this alert and its history.
 * A name is looked up directly. An address is resolved as of the alert's own time (never now, so a replay
 * resolves the same way): a DHCP lease covering it, else an inventory sighting (within `ipStaleDays`),
 * else the CMDB's static address. The first reference that leads to a known asset wins.
 */
export async function resolveHosts(ex: Executor, alerts: Alert[], options: ResolveHostsOptions = {}): Promise<Map<string, HostLabel | null>> {
  const refsById = new Map<string, Ref[]>();
  const ips = new Set<string>();
  const queries = new Map<string, { ip: string; at: string }>();
  for (const alert of alerts) {
    const refs = refsOf(alert);
    refsById.set(alert.id, refs);
    const at = alertInstant(alert);
    for (const ref of refs)
      if (ref.kind === "ip") {
        ips.add(ref.key);
        if (ref.address) queries.set(addressQueryKey({ ip: ref.address, at }), { ip: ref.address, at });
      }
  }

  const owners = await resolveAddresses(ex, [...queries.values()], options.ipStaleDays ?? DEFAULT_IP_STALE_DAYS);
  const spoken = new Set<string>();
  for (const refs of refsById.values())
    for (const ref of refs)
      if (ref.kind === "name") {
        spoken.add(ref.key);
        const short = shortNameOf(ref.key);
        if (short) spoken.add(short);
      }
  const aliases = await findAliases(ex, [...spoken]);

  const byIp = new Map<string, AssetRecord>();
  const ipList = [...ips];
  for (let i = 0; i < ipList.length; i += 500) {
    const rows = await ex
      .selectFrom("asset_ips")
      .innerJoin("assets", "assets.hostname", "asset_ips.hostname")
      .select(["asset_ips.ip", "assets.doc", "assets.updated_at", "assets.source"])
      .where("asset_ips.ip", "in", ipList.slice(i, i + 500))
      // An address listed on two CMDB records belongs to the most recently updated one.
      .orderBy("assets.updated_at", "asc")
      .orderBy("assets.hostname", "desc")
      .execute();
    for (const row of rows)
      byIp.set(row.ip, { asset: Asset.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source });
  }

  // Each reference → a candidate host name and how it was found.
  type Candidate = { key: string; display: string; resolution: AssetResolution; address: string | null };
  const candidatesById = new Map<string, Candidate[]>();
  const names = new Set<string>();
  for (const alert of alerts) {
    const at = alertInstant(alert);
    const candidates: Candidate[] = [];
    for (const ref of refsById.get(alert.id)!) {
      if (ref.kind === "name") {
        for (const { key, match, display } of nameCandidates(ref.key, ref.raw, aliases))
          candidates.push({ key, display, resolution: { method: "hostname", match, address: null, as_of: null }, address: null });
        continue;
      }
      const owner: AddressOwner | null | undefined = ref.address ? owners.get(addressQueryKey({ ip: ref.address, at })) : null;
      const cmdb = byIp.get(ref.key);
      if (owner)
        candidates.push({
          key: hostKey(owner.hostname),
          display: owner.hostname,
          resolution: { method: owner.method, match: "ip", address: ref.raw, as_of: owner.as_of, source: owner.source },
          address: ref.address,
        });
      else if (cmdb)
        candidates.push({
          key: hostKey(cmdb.asset.hostname),
          display: cmdb.asset.hostname,
          resolution: { method: "cmdb_ip", match: "ip", address: ref.raw, as_of: cmdb.updated_at, source: cmdb.source },
          address: ref.address,
        });
    }
    for (const c of candidates) names.add(c.key);
    candidatesById.set(alert.id, candidates);
  }

  const nameList = [...names];
  const byName = new Map<string, AssetRecord>();
  for (let i = 0; i < nameList.length; i += 500) {
    const rows = await ex
      .selectFrom("assets")
      .select(["hostname", "doc", "updated_at", "source"])
      .where("hostname", "in", nameList.slice(i, i + 500))
      .execute();
    for (const row of rows)
      byName.set(row.hostname, { asset: Asset.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source });
  }
  const inventory = await findInventory(ex, nameList);

  const labels = new Map<string, Omit<HostLabel, "subnet"> & { address: string | null }>();
  for (const alert of alerts) {
    const refs = refsById.get(alert.id)!;
    const candidates = candidatesById.get(alert.id)!;
    let label: (Omit<HostLabel, "subnet"> & { address: string | null }) | null = null;
    for (const c of candidates) {
      const cmdb = byName.get(c.key) ?? null;
      const merged = mergeAsset(cmdb, inventory.get(c.key) ?? []);
      if (!merged) continue;
      const primary = merged.provenance[0]!;
      label = {
        key: hostKey(merged.asset.hostname),
        display: merged.asset.hostname,
        record: { asset: { ...merged.asset, resolved_by: c.resolution }, updated_at: primary.as_of ?? "", source: cmdb?.source ?? primary.source },
        resolution: c.resolution,
        provenance: merged.provenance,
        address: c.address,
      };
      break;
    }
    if (!label) {
      // Unknown to the CMDB and every inventory: a name the alert gives beats one an address resolved to,
      // which beats the bare address.
      const named = candidates.find((c) => c.resolution.method === "hostname") ?? candidates[0];
      const ref = refs.find((r) => r.kind === "ip");
      if (named) label = { key: named.key, display: named.display, record: null, resolution: named.resolution, provenance: [], address: named.address };
      else if (ref && ref.kind === "ip")
        label = { key: ref.key, display: ref.raw, record: null, resolution: { method: "none", address: ref.raw, as_of: null }, provenance: [], address: ref.address };
    }
    if (label && !label.address) {
      const ipRef = refs.find((r) => r.kind === "ip");
      label.address = (ipRef?.kind === "ip" ? ipRef.address : null) ?? (label.record?.asset.ips[0] ? addressKeyOf(label.record.asset.ips[0]) : null);
    }
    if (label) labels.set(alert.id, label);
  }

  const subnets = await findSubnets(ex, [...labels.values()].map((l) => l.address).filter((a): a is string => a !== null));
  const out = new Map<string, HostLabel | null>();
  for (const alert of alerts) {
    const found = labels.get(alert.id);
    if (!found) {
      out.set(alert.id, null);
      continue;
    }
    const { address, ...label } = found;
    const subnet = address ? (subnets.get(address) ?? null) : null;
    // A subnet names no asset; it gives the segment of a known asset whose CMDB record does not.
    if (subnet && label.record && label.record.asset.network_segment === undefined) {
      label.record = { ...label.record, asset: { ...label.record.asset, network_segment: subnet.subnet.segment } };
      label.provenance = [...label.provenance, { axis: "subnet", source: `subnet:${subnet.subnet.cidr}`, as_of: subnet.updated_at }];
    }
    out.set(alert.id, { ...label, subnet });
  }
  return out;
}
