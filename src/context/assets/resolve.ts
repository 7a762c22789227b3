import { Subnet } from "../../core/index.js";
import { fromJson, type Executor } from "../../store/index.js";
import { coveringKeys } from "../intel/network.js";

export const DEFAULT_IP_STALE_DAYS = 7;
const DAY_MS = 86_400_000;

/** Which host held an address at an instant, and on what evidence. */
export interface AddressOwner {
  hostname: string;
  method: "lease" | "observation";
  /** The lease's start, or the sighting's last time. */
  as_of: string;
  source: string;
}

export interface AddressQuery {
  /** Canonical address (addressKeyOf). */
  ip: string;
  /** ISO-8601 UTC instant: the alert's time, never now, so a replay resolves the same way. */
  at: string;
}

export const addressQueryKey = (q: AddressQuery) => `${q.ip}|${q.at}`;

/**
 * Who held each address at each time, in two queries for any number of alerts: a DHCP lease covering the
 * time (starts ≤ T < ends; the latest start wins), else an inventory sighting whose stint covers T, else
 * the latest stint that ended at most `staleDays` before T. Sightings after T are never used. A lease
 * without a client hostname names nobody and is passed over. Ties break on source then hostname, so the
 * answer does not depend on row order.
 */
export async function resolveAddresses(
  ex: Executor,
  queries: AddressQuery[],
  staleDays = DEFAULT_IP_STALE_DAYS,
): Promise<Map<string, AddressOwner | null>> {
  const out = new Map<string, AddressOwner | null>();
  if (queries.length === 0) return out;
  const ips = [...new Set(queries.map((q) => q.ip))];
  const times = queries.map((q) => q.at).sort();
  const earliest = new Date(Date.parse(times[0]!) - staleDays * DAY_MS).toISOString();
  const latest = times[times.length - 1]!;

  const leases: { ip: string; starts: string; ends: string | null; hostname: string | null; source: string }[] = [];
  const stints: { ip: string; first_seen: string; last_seen: string; hostname: string; source: string }[] = [];
  for (let i = 0; i < ips.length; i += 500) {
    const chunk = ips.slice(i, i + 500);
    leases.push(
      ...(await ex
        .selectFrom("dhcp_leases")
        .select(["ip", "starts", "ends", "hostname", "source"])
        .where("ip", "in", chunk)
        .where("hostname", "is not", null)
        .where("starts", "<=", latest)
        .where((eb) => eb.or([eb("ends", "is", null), eb("ends", ">", times[0]!)]))
        .execute()),
    );
    stints.push(
      ...(await ex
        .selectFrom("ip_observations")
        .select(["ip", "first_seen", "last_seen", "hostname", "source"])
        .where("ip", "in", chunk)
        .where("first_seen", "<=", latest)
        .where("last_seen", ">=", earliest)
        .execute()),
    );
  }
  const tie = (a: { source: string; hostname: string | null }, b: { source: string; hostname: string | null }) =>
    a.source.localeCompare(b.source) || (a.hostname ?? "").localeCompare(b.hostname ?? "");

  for (const q of queries) {
    const key = addressQueryKey(q);
    if (out.has(key)) continue;
    const lease = leases
      .filter((l) => l.ip === q.ip && l.starts <= q.at && (l.ends === null || q.at < l.ends))
      .sort((a, b) => b.starts.localeCompare(a.starts) || tie(a, b))[0];
    if (lease) {
      out.set(key, { hostname: lease.hostname!, method: "lease", as_of: lease.starts, source: lease.source });
      continue;
    }
    const mine = stints.filter((s) => s.ip === q.ip && s.first_seen <= q.at);
    const covering = mine.filter((s) => q.at <= s.last_seen).sort((a, b) => b.first_seen.localeCompare(a.first_seen) || tie(a, b))[0];
    const horizon = new Date(Date.parse(q.at) - staleDays * DAY_MS).toISOString();
    const recent = mine.filter((s) => s.last_seen >= horizon).sort((a, b) => b.last_seen.localeCompare(a.last_seen) || tie(a, b))[0];
    const stint = covering ?? recent;
    out.set(key, stint ? { hostname: stint.hostname, method: "observation", as_of: stint.last_seen, source: stint.source } : null);
  }
  return out;
}

export interface SubnetRecord {
  subnet: Subnet;
  updated_at: string;
  source: string;
}

/** The narrowest stored subnet containing each address, in one query per 15 addresses (each asks its covering keys). */
export async function findSubnets(ex: Executor, ips: string[]): Promise<Map<string, SubnetRecord>> {
  const out = new Map<string, SubnetRecord>();
  const keysByIp = new Map<string, string[]>();
  for (const ip of new Set(ips)) {
    const keys = coveringKeys(ip);
    if (keys) keysByIp.set(ip, keys);
  }
  const all = [...new Set([...keysByIp.values()].flat())];
  const found = new Map<string, SubnetRecord>();
  for (let i = 0; i < all.length; i += 500) {
    const rows = await ex
      .selectFrom("subnets")
      .select(["cidr", "doc", "updated_at", "source"])
      .where("cidr", "in", all.slice(i, i + 500))
      .execute();
    for (const row of rows) found.set(row.cidr, { subnet: Subnet.parse(fromJson(row.doc, null)), updated_at: row.updated_at, source: row.source });
  }
  if (found.size === 0) return out;
  // coveringKeys lists the address first, then networks from the narrowest: the first hit is the most specific.
  for (const [ip, keys] of keysByIp) {
    const hit = keys.find((k) => found.has(k));
    if (hit) out.set(ip, found.get(hit)!);
  }
  return out;
}
