import { Alert } from "../core/index.js";
import { fromJson, inTransaction, isPostgres, type Executor } from "../store/index.js";
import { domainKey, hostKey, ipKey, userKey } from "./normalise.js";
import { collectObservables } from "./observables.js";

/**
 * History keys: what an alert can share with a later one, as exact lookup keys in `alert_keys`
 * (migration 0007), so that history finds its candidates through an index instead of reading every
 * alert of the window. They cover every comparison `buildHistory` makes on the candidates: the host it
 * names (`h:`), the user (`u:`), every address (`i:`, the host's own included: an address resolves to
 * a host), every destination domain with its parent domains (`d:`, so a known-bad parent finds its
 * subdomains), URLs (`l:`), file hashes (`f:`) and e-mail addresses (`e:`).
 */
export type KeyKind = "h" | "u" | "i" | "d" | "l" | "f" | "e";

export function historyKey(kind: KeyKind, value: string): string {
  return `${kind}:${value}`;
}

/** A domain and every suffix of it (`a.evil.example` → itself, `evil.example`, `example`). */
function domainSuffixes(domain: string): string[] {
  const labels = domainKey(domain).split(".").filter(Boolean);
  return labels.map((_, i) => labels.slice(i).join("."));
}

export function historyKeysOf(alert: Alert): string[] {
  const keys = new Set<string>();
  if (alert.host?.name) keys.add(historyKey("h", hostKey(alert.host.name)));
  const user = alert.user?.name ? userKey(alert.user.name) : "";
  if (user) keys.add(historyKey("u", user));
  const { intel } = collectObservables(alert);
  for (const ip of intel.ip) keys.add(historyKey("i", ipKey(ip)));
  for (const domain of intel.domain) for (const suffix of domainSuffixes(domain)) keys.add(historyKey("d", suffix));
  for (const url of intel.url) keys.add(historyKey("l", url));
  for (const hash of intel.file_hash) keys.add(historyKey("f", hash));
  for (const email of intel.email) keys.add(historyKey("e", email));
  return [...keys];
}

const CHUNK = 1000;


/** Writes the keys of one chunk of pending alerts; false when none was pending. */
async function indexChunk(trx: Executor): Promise<boolean> {
  let query = trx
    .selectFrom("alert_keys_pending")
    .innerJoin("alerts", "alerts.id", "alert_keys_pending.alert_id")
    .select(["alerts.id", "alerts.time", "alerts.doc"])
    .orderBy("alert_keys_pending.alert_id")
    .limit(CHUNK);
  // Two workers keying at once: the second waits on the first's rows (locked in id order, so no deadlock)
  // and then skips them, as they are gone.
  if (isPostgres(trx)) query = query.forUpdate(["alert_keys_pending"]);
  const rows = await query.execute();
  if (rows.length === 0) return false;
  const values: { alert_id: string; key: string; time: string }[] = [];
  for (const row of rows) {
    const parsed = Alert.safeParse(fromJson(row.doc, null));
    // An alert that does not parse is never a history candidate (buildHistory skips it too).
    if (!parsed.success) continue;
    for (const key of historyKeysOf(parsed.data)) values.push({ alert_id: row.id, key, time: row.time });
  }
  // 3 columns a row: 1,000 rows a statement stay far under both backends' parameter limits.
  for (let i = 0; i < values.length; i += 1000)
    await trx
      .insertInto("alert_keys")
      .values(values.slice(i, i + 1000))
      .onConflict((oc) => oc.columns(["alert_id", "key"]).doNothing())
      .execute();
  await trx
    .deleteFrom("alert_keys_pending")
    .where(
      "alert_id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  return rows.length === CHUNK;
}

/**
 * Writes the history keys of every alert still pending (normally the alerts ingested since the last
 * lookup; after the migration, every stored alert once). In `ex`'s transaction when it is one, else one
 * transaction per chunk.
 */
export async function indexAlertHistory(ex: Executor): Promise<void> {
  for (;;) {
    const more = await inTransaction(ex, indexChunk);
    if (!more) return;
  }
}
