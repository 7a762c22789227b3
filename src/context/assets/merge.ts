import { Asset } from "../../core/index.js";
import { fromJson, type Executor } from "../../store/index.js";
import type { AssetRecord } from "../queries.js";
import { DeviceRecordSchema, type InventoryDevice } from "./inventory.js";

export interface InventoryRecord {
  source: string;
  device: InventoryDevice;
  last_seen: string | null;
  updated_at: string;
}

/** Every inventory record of these hosts (lower-case keys), newest sighting first. */
export async function findInventory(ex: Executor, hostnames: string[]): Promise<Map<string, InventoryRecord[]>> {
  const out = new Map<string, InventoryRecord[]>();
  for (let i = 0; i < hostnames.length; i += 500) {
    const rows = await ex
      .selectFrom("asset_inventory")
      .select(["hostname", "source", "doc", "last_seen", "updated_at"])
      .where("hostname", "in", hostnames.slice(i, i + 500))
      .execute();
    for (const row of rows) {
      const list = out.get(row.hostname) ?? [];
      list.push({ source: row.source, device: DeviceRecordSchema.parse(fromJson(row.doc, null)), last_seen: row.last_seen, updated_at: row.updated_at });
      out.set(row.hostname, list);
    }
  }
  for (const list of out.values())
    list.sort((a, b) => (b.last_seen ?? "").localeCompare(a.last_seen ?? "") || a.source.localeCompare(b.source));
  return out;
}

export interface MergedAsset {
  asset: Asset;
  /** One entry per record behind the asset: the CMDB's, then each inventory's (as of its last sighting). */
  provenance: { axis: "asset"; source: string; as_of: string | null }[];
}

/**
 * The CMDB record and the inventories' records of one host as one asset. Criticality, environment, owner,
 * crown-jewel adjacency and network segment come only from the CMDB (an inventory does not know them);
 * os, patch level and EDR come from the CMDB when it has them, else from the most recently seen inventory;
 * telemetry, addresses and tags are the union; `last_seen` is the latest sighting.
 */
export function mergeAsset(cmdb: AssetRecord | null, inventory: InventoryRecord[]): MergedAsset | null {
  if (!cmdb && inventory.length === 0) return null;
  const devices = inventory.map((r) => r.device);
  const pick = <K extends "os" | "os_version" | "patch_level" | "edr_present" | "device_id" | "health" | "risk">(field: K) =>
    devices.find((d) => d[field] !== undefined)?.[field];
  const base = cmdb?.asset;
  const union = (...lists: (string[] | undefined)[]) => [...new Set(lists.flatMap((l) => l ?? []))];
  const lastSeen = inventory.map((r) => r.last_seen).filter((t): t is string => t !== null).sort().at(-1);
  const tags = union(...devices.map((d) => d.tags));
  const merged: Asset = Asset.parse({
    ...(base ?? {}),
    hostname: base?.hostname ?? devices[0]!.hostname,
    ips: union(base?.ips, ...devices.map((d) => d.ips.map((e) => e.ip))),
    os: base?.os ?? pick("os"),
    patch_level: base?.patch_level ?? pick("patch_level"),
    edr_present: base?.edr_present ?? pick("edr_present"),
    telemetry: union(base?.telemetry, ...devices.map((d) => d.telemetry)),
    os_version: pick("os_version"),
    device_id: pick("device_id"),
    health: pick("health"),
    risk: pick("risk"),
    last_seen: lastSeen,
    tags: tags.length ? tags : undefined,
  });
  const provenance = [
    ...(cmdb ? [{ axis: "asset" as const, source: "cmdb", as_of: cmdb.updated_at }] : []),
    ...inventory.map((r) => ({ axis: "asset" as const, source: r.source, as_of: r.last_seen ?? r.updated_at })),
  ];
  return { asset: merged, provenance };
}
