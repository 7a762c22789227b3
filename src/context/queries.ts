import { sql } from "kysely";
import { Asset, Identity, Indicator, Suppression } from "../core/index.js";
import { fromJson, toNumber, type Executor } from "../store/index.js";
import { isoNow, systemClock, type Clock } from "../core/index.js";
import { findAliases, nameCandidates, shortNameOf } from "./assets/aliases.js";
import { addressKeyOf } from "./assets/keys.js";
import { findInventory, mergeAsset } from "./assets/merge.js";
import { addressQueryKey, DEFAULT_IP_STALE_DAYS, resolveAddresses } from "./assets/resolve.js";
import { hostKey, indicatorKey, isIpAddress, ipKey, userKey } from "./normalise.js";

/** A stored context record with what provenance needs: when it was last changed and where it came from. */
export interface AssetRecord {
  asset: Asset;
  updated_at: string;
  source: string;
}

export interface IdentityRecord {
  identity: Identity;
  updated_at: string;
  source: string;
}

export interface IndicatorRecord {
  indicator: Indicator;
  updated_at: string;
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

export interface ContextCounts {
  /** CMDB records. */
  assets: number;
  /** Device-inventory records (one per source and device; a host may have several). */
  inventory: number;
  /** Hosts known only to an inventory, not to the CMDB: assets too, with unknown criticality. */
  inventory_only_hosts: number;
  identities: number;
  indicators: number;
  suppressions: number;
  dhcp_leases: number;
  subnets: number;
}

function toAssetRecord(row: { doc: string; updated_at: string; source: string }): AssetRecord {
  return { asset: Asset.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source };
}

function toIdentityRecord(row: { doc: string; updated_at: string; source: string }): IdentityRecord {
  return { identity: Identity.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source };
}

/** The CMDB record alone of a host, by hostname (any case) or by one of its CMDB addresses. */
export async function getCmdbAssetRecord(ex: Executor, hostnameOrIp: string): Promise<AssetRecord | null> {
  if (!hostnameOrIp.trim()) return null;
  if (isIpAddress(hostnameOrIp)) {
    const row = await ex
      .selectFrom("asset_ips")
      .innerJoin("assets", "assets.hostname", "asset_ips.hostname")
      .select(["assets.doc", "assets.updated_at", "assets.source"])
      .where("asset_ips.ip", "=", ipKey(hostnameOrIp))
      // An address that moved between hosts: the most recently updated record is the current owner.
      .orderBy("assets.updated_at", "desc")
      .orderBy("assets.hostname")
      .executeTakeFirst();
    return row ? toAssetRecord(row) : null;
  }
  const row = await ex
    .selectFrom("assets")
    .select(["doc", "updated_at", "source"])
    .where("hostname", "=", hostKey(hostnameOrIp))
    .executeTakeFirst();
  return row ? toAssetRecord(row) : null;
}

export interface AssetLookupOptions {
  /** The instant an address is resolved at (a lease or sighting then); default: now by `clock`. */
  at?: string;
  clock?: Clock;
  /** `context.ip_stale_days` (default 7). */
  ipStaleDays?: number;
}

/**
 * A host as enrichment sees it: the CMDB record merged with every device inventory's (src/context/assets/
 * merge.ts), so a host known only to an EDR inventory is found too. By hostname (any case), or by address:
 * the host holding it at `at` by a DHCP lease or an inventory sighting, else the CMDB's static address.
 * `updated_at` is the CMDB record's (else the newest inventory sighting's), `source` the CMDB's (else the inventory's).
 */
export async function getAssetRecord(ex: Executor, hostnameOrIp: string, options: AssetLookupOptions = {}): Promise<AssetRecord | null> {
  const query = hostnameOrIp.trim();
  if (!query) return null;
  let hostname = query;
  if (isIpAddress(query)) {
    const address = addressKeyOf(query);
    const at = options.at ?? isoNow(options.clock ?? systemClock);
    const owner = address ? (await resolveAddresses(ex, [{ ip: address, at }], options.ipStaleDays ?? DEFAULT_IP_STALE_DAYS)).get(addressQueryKey({ ip: address, at })) : null;
    const found = owner?.hostname ?? (await getCmdbAssetRecord(ex, query))?.asset.hostname;
    if (!found) return null;
    hostname = found;
  }
  // A name is tried as enrichment tries it: itself, as an alias or short name, its FQDN's short name.
  const key = hostKey(hostname);
  const short = shortNameOf(key);
  const aliases = await findAliases(ex, short ? [key, short] : [key]);
  for (const candidate of nameCandidates(key, hostname, aliases)) {
    const cmdb = await getCmdbAssetRecord(ex, candidate.key);
    const merged = mergeAsset(cmdb, (await findInventory(ex, [candidate.key])).get(candidate.key) ?? []);
    if (!merged) continue;
    const primary = merged.provenance[0]!;
    return { asset: merged.asset, updated_at: cmdb?.updated_at ?? primary.as_of ?? "", source: cmdb?.source ?? primary.source };
  }
  return null;
}

/** The merged asset (CMDB + inventories) of a host, by hostname or address: see getAssetRecord. */
export async function getAsset(ex: Executor, hostnameOrIp: string, options: AssetLookupOptions = {}): Promise<Asset | null> {
  return (await getAssetRecord(ex, hostnameOrIp, options))?.asset ?? null;
}

/** The identity of a user in any of its forms: `DOMAIN\user`, `user@domain` or `user`. */
export async function getIdentityRecord(ex: Executor, username: string): Promise<IdentityRecord | null> {
  const key = userKey(username);
  if (!key) return null;
  const row = await ex
    .selectFrom("identities")
    .select(["doc", "updated_at", "source"])
    .where("username", "=", key)
    .executeTakeFirst();
  return row ? toIdentityRecord(row) : null;
}

export async function getIdentity(ex: Executor, username: string): Promise<Identity | null> {
  return (await getIdentityRecord(ex, username))?.identity ?? null;
}

/** The indicator stored for exactly this value (normalised as loading does); expiry is the caller's call. */
export async function lookupIndicator(ex: Executor, type: Indicator["type"], value: string): Promise<Indicator | null> {
  const row = await ex
    .selectFrom("indicators")
    .select(["doc"])
    .where("type", "=", type)
    .where("value", "=", indicatorKey(type, value))
    .executeTakeFirst();
  return row ? Indicator.parse(fromJson(row.doc, null)) : null;
}

/** Every stored indicator of `type` whose value is one of `values` (already normalised keys). */
export async function findIndicators(ex: Executor, type: Indicator["type"], values: string[]): Promise<IndicatorRecord[]> {
  if (values.length === 0) return [];
  const out: IndicatorRecord[] = [];
  // Chunked so a large alert never exceeds a backend's bound-parameter limit.
  for (let i = 0; i < values.length; i += 500) {
    const rows = await ex
      .selectFrom("indicators")
      .select(["doc", "updated_at"])
      .where("type", "=", type)
      .where("value", "in", values.slice(i, i + 500))
      .execute();
    for (const row of rows) out.push({ indicator: Indicator.parse(fromJson(row.doc, null)), updated_at: row.updated_at });
  }
  return out;
}

/**
 * Every stored indicator whose (type, value) is among `keys`, in one statement: one round trip for all of
 * an alert's observables (each branch is an indexed lookup on the primary key).
 */
export async function findIndicatorsByType(ex: Executor, keys: Partial<Record<Indicator["type"], string[]>>): Promise<IndicatorRecord[]> {
  const branches = Object.entries(keys).filter(([, values]) => values.length > 0) as [Indicator["type"], string[]][];
  const total = branches.reduce((n, [, values]) => n + values.length, 0);
  if (total === 0) return [];
  // A large alert is asked type by type, in chunks, to stay under every backend's parameter limit.
  if (total > 500) {
    const out: IndicatorRecord[] = [];
    // One after another: a transaction holds a single connection.
    for (const [type, values] of branches) out.push(...(await findIndicators(ex, type, values)));
    return out;
  }
  const rows = await ex
    .selectFrom("indicators")
    .select(["doc", "updated_at"])
    .where((eb) => eb.or(branches.map(([type, values]) => eb.and([eb("type", "=", type), eb("value", "in", values)]))))
    .execute();
  return rows.map((row) => ({ indicator: Indicator.parse(fromJson(row.doc, null)), updated_at: row.updated_at }));
}

export async function listAssets(ex: Executor, options: ListOptions = {}): Promise<Asset[]> {
  const rows = await ex
    .selectFrom("assets")
    .select(["doc", "updated_at", "source"])
    .orderBy("hostname")
    .limit(options.limit ?? 1000)
    .offset(options.offset ?? 0)
    .execute();
  return rows.map((row) => toAssetRecord(row).asset);
}

export async function listIdentities(ex: Executor, options: ListOptions = {}): Promise<Identity[]> {
  const rows = await ex
    .selectFrom("identities")
    .select(["doc", "updated_at", "source"])
    .orderBy("username")
    .limit(options.limit ?? 1000)
    .offset(options.offset ?? 0)
    .execute();
  return rows.map((row) => toIdentityRecord(row).identity);
}

export async function listIndicators(ex: Executor, options: ListOptions = {}): Promise<Indicator[]> {
  const rows = await ex
    .selectFrom("indicators")
    .select(["doc"])
    .orderBy("type")
    .orderBy("value")
    .limit(options.limit ?? 1000)
    .offset(options.offset ?? 0)
    .execute();
  return rows.map((row) => Indicator.parse(fromJson(row.doc, null)));
}

/** The suppression records of these ids (those that exist). */
export async function getSuppressions(ex: Executor, ids: readonly string[]): Promise<Suppression[]> {
  if (ids.length === 0) return [];
  const rows = await ex.selectFrom("suppressions").select("doc").where("id", "in", ids).execute();
  return rows.map((row) => Suppression.parse(fromJson(row.doc, null)));
}

export async function listSuppressions(ex: Executor): Promise<Suppression[]> {
  const rows = await ex.selectFrom("suppressions").select(["doc"]).orderBy("created_at", "desc").orderBy("id").execute();
  return rows.map((row) => Suppression.parse(fromJson(row.doc, null)));
}

export async function contextCounts(ex: Executor): Promise<ContextCounts> {
  const count = (table: "assets" | "asset_inventory" | "identities" | "indicators" | "suppressions" | "dhcp_leases" | "subnets") =>
    ex
      .selectFrom(table)
      .select(sql<string>`count(*)`.as("n"))
      .executeTakeFirstOrThrow()
      .then((row) => toNumber(row.n));
  // One after another: a transaction holds a single connection.
  const assets = await count("assets");
  const inventory = await count("asset_inventory");
  const inventoryOnly = await ex
    .selectFrom("asset_inventory")
    .select(sql<string>`count(DISTINCT asset_inventory.hostname)`.as("n"))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom("assets").select("assets.hostname").whereRef("assets.hostname", "=", "asset_inventory.hostname"))))
    .executeTakeFirstOrThrow()
    .then((row) => toNumber(row.n));
  const identities = await count("identities");
  const indicators = await count("indicators");
  const suppressions = await count("suppressions");
  const dhcpLeases = await count("dhcp_leases");
  const subnets = await count("subnets");
  return { assets, inventory, inventory_only_hosts: inventoryOnly, identities, indicators, suppressions, dhcp_leases: dhcpLeases, subnets };
}
