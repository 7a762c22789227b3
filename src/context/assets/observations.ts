import type { Executor } from "../../store/index.js";

/** An address seen on a host by a source at one instant. */
export interface Observation {
  ip: string;
  hostname: string;
  source: string;
  seen_at: string;
}

/**
 * Records sightings as stints: a sighting on the host that held the address at the source's latest stint
 * extends it; a sighting on another host starts a new stint. So an address that moved from A to B and
 * back to A is three stints, and a time inside B's stint never resolves to A.
 */
export async function recordObservations(ex: Executor, observations: Observation[]): Promise<void> {
  const ordered = [...observations].sort((a, b) => a.seen_at.localeCompare(b.seen_at) || a.hostname.localeCompare(b.hostname));
  for (const obs of ordered) {
    const latest = await ex
      .selectFrom("ip_observations")
      .select(["first_seen", "hostname", "last_seen"])
      .where("ip", "=", obs.ip)
      .where("source", "=", obs.source)
      .where("first_seen", "<=", obs.seen_at)
      .orderBy("first_seen", "desc")
      .orderBy("hostname")
      .executeTakeFirst();
    if (latest?.hostname === obs.hostname) {
      if (latest.last_seen < obs.seen_at)
        await ex
          .updateTable("ip_observations")
          .set({ last_seen: obs.seen_at })
          .where("ip", "=", obs.ip)
          .where("source", "=", obs.source)
          .where("first_seen", "=", latest.first_seen)
          .where("hostname", "=", obs.hostname)
          .execute();
      continue;
    }
    await ex
      .insertInto("ip_observations")
      .values({ ip: obs.ip, source: obs.source, first_seen: obs.seen_at, hostname: obs.hostname, last_seen: obs.seen_at })
      .onConflict((oc) => oc.columns(["ip", "source", "first_seen", "hostname"]).doNothing())
      .execute();
  }
}
