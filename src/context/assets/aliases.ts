import type { Executor } from "../../store/index.js";
import { hostKey, isIpAddress } from "../normalise.js";

/** How an alert's host name met a known host (recorded in `asset.resolved_by.match`). */
export type NameMatch = "fqdn" | "short_name" | "alias";

/** The first label of an FQDN key (`ws-042.corp.example` → `ws-042`); null for a short name or an address. */
export function shortNameOf(key: string): string | null {
  if (isIpAddress(key)) return null;
  const dot = key.indexOf(".");
  if (dot <= 0) return null;
  const short = key.slice(0, dot);
  return /^\d+$/.test(short) ? null : short;
}

/** The other names of one host record: its short name when it is keyed by an FQDN, and its declared aliases. */
export function aliasRows(hostname: string, declared: readonly string[] | undefined, source: string) {
  const key = hostKey(hostname);
  const rows = new Map<string, { alias: string; hostname: string; source: string; kind: "short_name" | "alias" }>();
  for (const name of declared ?? []) {
    const alias = hostKey(name);
    if (alias && alias !== key) rows.set(alias, { alias, hostname: key, source, kind: "alias" });
  }
  const short = shortNameOf(key);
  if (short && !rows.has(short)) rows.set(short, { alias: short, hostname: key, source, kind: "short_name" });
  return [...rows.values()];
}

/** Replaces the other names a source gives one host (written with the host's record, in its transaction). */
export async function writeAliases(ex: Executor, hostname: string, declared: readonly string[] | undefined, source: string): Promise<void> {
  const key = hostKey(hostname);
  await ex.deleteFrom("host_aliases").where("hostname", "=", key).where("source", "=", source).execute();
  const rows = aliasRows(key, declared, source);
  if (rows.length) await ex.insertInto("host_aliases").values(rows).onConflict((oc) => oc.doNothing()).execute();
}

/** alias → the hosts it names and how (a short name or a declared alias), for many names in few queries. */
export async function findAliases(ex: Executor, names: string[]): Promise<Map<string, { hostname: string; kind: "short_name" | "alias" }[]>> {
  const out = new Map<string, { hostname: string; kind: "short_name" | "alias" }[]>();
  for (let i = 0; i < names.length; i += 500) {
    const rows = await ex.selectFrom("host_aliases").select(["alias", "hostname", "kind"]).where("alias", "in", names.slice(i, i + 500)).execute();
    for (const row of rows) {
      const list = out.get(row.alias) ?? [];
      if (!list.some((e) => e.hostname === row.hostname && e.kind === row.kind)) list.push({ hostname: row.hostname, kind: row.kind });
      out.set(row.alias, list);
    }
  }
  return out;
}

/**
 * The hosts a name may stand for, most specific first: the name itself (`fqdn` when it has a domain,
 * else `short_name`), a host whose alias or FQDN's short name it is, then for an FQDN its short name and
 * the hosts declaring that as an alias. An FQDN never joins a host of another domain through their shared
 * short name. A name several hosts share at one step names none of them there (never guessed).
 */
export function nameCandidates(
  key: string,
  raw: string,
  aliases: Map<string, { hostname: string; kind: "short_name" | "alias" }[]>,
): { key: string; match: NameMatch; display: string }[] {
  const out: { key: string; match: NameMatch; display: string }[] = [{ key, match: key.includes(".") ? "fqdn" : "short_name", display: raw }];
  const unique = (rows: { hostname: string; kind: "short_name" | "alias" }[]) => (new Set(rows.map((r) => r.hostname)).size === 1 ? rows[0] : undefined);
  const direct = unique(aliases.get(key) ?? []);
  if (direct) out.push({ key: direct.hostname, match: direct.kind, display: direct.hostname });
  const short = shortNameOf(key);
  if (short) {
    out.push({ key: short, match: "short_name", display: short });
    const declared = unique((aliases.get(short) ?? []).filter((r) => r.kind === "alias"));
    if (declared) out.push({ key: declared.hostname, match: "alias", display: declared.hostname });
  }
  return out;
}
