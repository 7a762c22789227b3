/**
 * Threat-intel load and lookup. Generates a plain list and a STIX 2.1 bundle of --count indicators each
 * (the bundle repeats half of the list's values, so multi-feed merging is on the path), imports both into
 * a fresh SQLite store through the same code as `nightshift context import-intel`, then measures the
 * matcher enrichment uses (`matchIntel`: exact key, every covering CIDR key, parent domains) on hits and
 * misses, against a plain in-memory Map lookup of the same keys measured in the same run.
 *
 *   npx tsx bench/intel.ts [--count 1000000] [--lookups 20000] [--cache-mb 0]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { loadConfig } from "../src/config/index.js";
import { collectObservables, contextCounts, importIntelFile, matchIntel } from "../src/context/index.js";
import { buildAlert } from "../src/context/testing.js";
import { openStore } from "../src/store/index.js";

const { values } = parseArgs({
  options: { count: { type: "string", default: "1000000" }, lookups: { type: "string", default: "20000" }, "cache-mb": { type: "string", default: "0" } },
});
const count = Number(values.count);
const lookups = Number(values.lookups);

const ipOf = (i: number) => `${11 + ((i >>> 16) & 0x7f)}.${(i >>> 8) & 0xff}.${i & 0xff}.${1 + (i % 7)}`;
const domainOf = (i: number) => `host${i}.bad${i % 997}.example`;
const valueOf = (i: number) => (i % 2 === 0 ? ipOf(i >>> 1) : domainOf(i));

const home = mkdtempSync(path.join(tmpdir(), "nightshift-bench-intel-"));
try {
  const listFile = path.join(home, "list.txt");
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(valueOf(i));
  writeFileSync(listFile, `# generated\n${lines.join("\n")}\n`);

  const stixFile = path.join(home, "bundle.json");
  const objects: string[] = [];
  for (let i = 0; i < count; i++) {
    // Half the bundle repeats list values (agreeing feeds), half are new.
    const n = i % 2 === 0 ? i : count + i;
    const pattern = n % 2 === 0 ? `[ipv4-addr:value = '${ipOf(n >>> 1)}']` : `[domain-name:value = '${domainOf(n)}']`;
    const id = `indicator--${(n >>> 0).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
    objects.push(`{"type":"indicator","spec_version":"2.1","id":"${id}","pattern":"${pattern}","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z"}`);
  }
  writeFileSync(stixFile, `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[${objects.join(",")}]}`);
  objects.length = 0;

  const store = await openStore(loadConfig({ NIGHTSHIFT_HOME: home }));
  // SQLite's default page cache is 2 MB: past a few hundred thousand random keys the index no longer fits.
  const cacheMb = Number(values["cache-mb"]);
  if (cacheMb > 0) await sql.raw(`PRAGMA cache_size = -${cacheMb * 1024}`).execute(store.db);
  const load = async (file: string, feed: string) => {
    const start = performance.now();
    const result = await importIntelFile(store.db, file, { feed });
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `load ${feed.padEnd(5)} ${result.indicators} indicators in ${seconds.toFixed(2)} s = ${Math.round(result.indicators / seconds).toLocaleString("en")} indicators/s ` +
        `(inserted ${result.inserted}, merged ${result.updated})`,
    );
  };
  await load(listFile, "list");
  await load(stixFile, "stix");
  console.log(`stored: ${(await contextCounts(store.db)).indicators} indicators`);

  const time = "2026-03-11T12:00:00.000Z";
  const hits = Array.from({ length: lookups }, (_, k) => valueOf((k * 7919) % count));
  const misses = Array.from({ length: lookups }, (_, k) => (k % 2 === 0 ? `10.${(k >>> 8) & 0xff}.${k & 0xff}.200` : `miss${k}.nowhere.example`));
  const observablesOf = (value: string) =>
    collectObservables(buildAlert({ time, ...(/^\d/.test(value) ? { dst: { ip: value } } : { dst: { domain: value } }) }));

  const baseline = new Map(lines.map((v) => [v, true]));
  const mapRate = (keys: string[]) => {
    let found = 0;
    const start = performance.now();
    for (let round = 0; round < 50; round++) for (const key of keys) if (baseline.get(key)) found++;
    return { rate: (keys.length * 50) / ((performance.now() - start) / 1000), found: found / 50 };
  };
  const matcherRate = async (keys: string[]) => {
    const prepared = keys.map(observablesOf);
    let found = 0;
    const start = performance.now();
    for (const observables of prepared) if ((await matchIntel(store.db, observables, time)).threat_intel.matches.length > 0) found++;
    return { rate: keys.length / ((performance.now() - start) / 1000), found };
  };
  await matcherRate(hits.slice(0, 1000));
  for (const [label, keys] of [["hits", hits], ["misses", misses]] as const) {
    const matcher = await matcherRate(keys);
    const map = mapRate(keys);
    console.log(
      `lookup ${label.padEnd(6)} matcher ${Math.round(matcher.rate).toLocaleString("en")}/s (${(1e6 / matcher.rate).toFixed(1)} µs each, ${matcher.found} matched) · ` +
        `Map baseline ${Math.round(map.rate).toLocaleString("en")}/s (${map.found} found) · ratio ${(matcher.rate / map.rate).toFixed(4)}`,
    );
  }
  await store.close();
} finally {
  rmSync(home, { recursive: true, force: true });
}
