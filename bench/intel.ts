/**
 * Threat-intel load and lookup, on SQLite and on PostgreSQL. Generates a plain list and a STIX 2.1 bundle
 * of --count indicators each (the bundle repeats half of the list's values, so multi-feed merging is on
 * the path) and imports both through the same code as `nightshift context import-intel`. Then it measures
 * the matcher enrichment uses (`matchIntel` over an alert's observables: exact key, covering CIDR
 * networks, parent domains, expiry at the alert's time) on hits and misses, against a bare in-memory Map
 * lookup of the same values measured in the same run, and reports the in-memory index's size.
 *
 *   npx tsx --expose-gc bench/intel.ts [--count 1000000] [--lookups 20000] [--store sqlite|postgres|both]
 *
 * PostgreSQL: a throw-away server as the tests start one, or NIGHTSHIFT_BENCH_PG_URL (an admin URL: the
 * bench creates its own database there).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { collectObservables, contextCounts, importIntelFile, matchIntel } from "../src/context/index.js";
import { buildAlert } from "../src/context/testing.js";
import { sql } from "kysely";
import { openStore } from "../src/store/index.js";
import { createDatabase, dropDatabase, startTemporaryPostgres, type TemporaryPostgres } from "../test/support/temporary-postgres.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000000" },
    lookups: { type: "string", default: "20000" },
    store: { type: "string", default: "both" },
  },
});
const count = Number(values.count);
const lookups = Number(values.lookups);
const stores = values.store === "both" ? (["sqlite", "postgres"] as const) : [values.store as "sqlite" | "postgres"];
const gc = (globalThis as { gc?: () => void }).gc;
/** This process's CPU seconds: on a shared machine wall time also counts everyone else's work. */
const cpuSeconds = (since?: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};
/**
 * CPU seconds of a PostgreSQL server on this machine (postmaster, live children, and reaped children), or
 * undefined when it is not local: the load's cost on the server side, which wall time hides under load.
 */
const serverCpuSeconds = (postmaster: number | undefined) => {
  if (postmaster === undefined) return undefined;
  const ticks = 100; // USER_HZ on Linux
  const stat = (pid: string) => {
    const file = `/proc/${pid}/stat`;
    if (!existsSync(file)) return undefined;
    try {
      // Fields after the command name (which may hold spaces): state is field 3, ppid 4, utime 14 … cstime 17.
      const fields = readFileSync(file, "utf8").split(") ")[1]!.split(" ");
      return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
    } catch {
      return undefined;
    }
  };
  const main = stat(String(postmaster));
  if (!main) return undefined;
  let total = main.own + main.reaped;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const child = stat(pid);
    if (child?.ppid === postmaster) total += child.own;
  }
  return total / ticks;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const ipOf = (i: number) => `${11 + ((i >>> 16) & 0x7f)}.${(i >>> 8) & 0xff}.${i & 0xff}.${1 + (i % 7)}`;
const domainOf = (i: number) => `host${i}.bad${i % 997}.example`;
const valueOf = (i: number) => (i % 2 === 0 ? ipOf(i >>> 1) : domainOf(i));

const home = mkdtempSync(path.join(tmpdir(), "nightshift-bench-intel-"));
let pgServer: TemporaryPostgres | undefined;
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

  const time = "2026-03-11T12:00:00.000Z";
  const hits = Array.from({ length: lookups }, (_, k) => valueOf((k * 7919) % count));
  const misses = Array.from({ length: lookups }, (_, k) => (k % 2 === 0 ? `10.${(k >>> 8) & 0xff}.${k & 0xff}.200` : `miss${k}.nowhere.example`));
  const observablesOf = (value: string) =>
    collectObservables(buildAlert({ time, ...(/^\d/.test(value) ? { dst: { ip: value } } : { dst: { domain: value } }) }));

  const baseline = new Map(lines.map((v) => [v, true]));
  const mapRate = (keys: string[]) => {
    let found = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (let round = 0; round < 50; round++) for (const key of keys) if (baseline.get(key)) found++;
    return { rate: (keys.length * 50) / ((performance.now() - start) / 1000), cpuMicros: (cpuSeconds(cpu) * 1e6) / (keys.length * 50), found: found / 50 };
  };

  for (const kind of stores) {
    let databaseUrl: string | undefined;
    let drop: (() => Promise<void>) | undefined;
    if (kind === "postgres") {
      const admin = process.env.NIGHTSHIFT_BENCH_PG_URL ?? (pgServer ??= await startTemporaryPostgres()).url;
      const name = `bench_intel_${Date.now()}`;
      databaseUrl = await createDatabase(admin, name);
      drop = () => dropDatabase(admin, name);
    }
    const storeHome = mkdtempSync(path.join(home, `${kind}-`));
    const store = await openStore({ home: storeHome, database_url: databaseUrl });
    let postmaster: number | undefined;
    if (kind === "postgres") {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(store.db);
      const backend = `/proc/${rows[0]!.pid}/stat`;
      if (existsSync(backend)) postmaster = Number(readFileSync(backend, "utf8").split(") ")[1]!.split(" ")[1]);
    }
    try {
      const load = async (file: string, feed: string) => {
        const server = serverCpuSeconds(postmaster);
        const start = performance.now();
        const cpu = process.cpuUsage();
        const result = await importIntelFile(store.db, file, { feed });
        const seconds = (performance.now() - start) / 1000;
        const cpuUsed = cpuSeconds(cpu);
        const serverUsed = server === undefined ? undefined : serverCpuSeconds(postmaster)! - server;
        console.log(
          `${kind.padEnd(8)} load ${feed.padEnd(5)} ${result.indicators} indicators in ${seconds.toFixed(2)} s = ` +
            `${Math.round(result.indicators / seconds).toLocaleString("en")} indicators/s; ${cpuUsed.toFixed(2)} s CPU in this process ` +
            `(${Math.round(result.indicators / cpuUsed).toLocaleString("en")}/CPU-s)` +
            (serverUsed === undefined ? "" : ` + ${serverUsed.toFixed(2)} s CPU in the server`) +
            ` (inserted ${result.inserted}, merged ${result.updated})`,
        );
      };
      await load(listFile, "list");
      await load(stixFile, "stix");
      const stored = (await contextCounts(store.db)).indicators;

      // The first match builds the in-memory index: its time and its heap are the cost of "microseconds".
      gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const buildStart = performance.now();
      await matchIntel(store.db, observablesOf(hits[0]!), time);
      const buildSeconds = (performance.now() - buildStart) / 1000;
      gc?.();
      const heapAfter = process.memoryUsage().heapUsed;
      console.log(
        `${kind.padEnd(8)} index    ${stored} indicators built in ${buildSeconds.toFixed(2)} s, heap +${mb(heapAfter - heapBefore)} = ` +
          `${Math.round((heapAfter - heapBefore) / stored)} bytes/indicator${gc ? "" : " (run with --expose-gc for a clean figure)"}`,
      );

      const matcherRate = async (keys: string[]) => {
        const prepared = keys.map(observablesOf);
        let found = 0;
        const start = performance.now();
        const cpu = process.cpuUsage();
        for (const observables of prepared) if ((await matchIntel(store.db, observables, time)).threat_intel.matches.length > 0) found++;
        return { rate: keys.length / ((performance.now() - start) / 1000), cpuMicros: (cpuSeconds(cpu) * 1e6) / keys.length, found };
      };
      await matcherRate(hits.slice(0, 1000));
      for (const [label, keys] of [
        ["hits", hits],
        ["misses", misses],
      ] as const) {
        const matcher = await matcherRate(keys);
        const map = mapRate(keys);
        console.log(
          `${kind.padEnd(8)} lookup ${label.padEnd(6)} matchIntel ${Math.round(matcher.rate).toLocaleString("en")}/s (${(1e6 / matcher.rate).toFixed(1)} µs each, ` +
            `${matcher.cpuMicros.toFixed(1)} µs CPU, ${matcher.found} matched) · Map baseline ${Math.round(map.rate).toLocaleString("en")}/s ` +
            `(${(1e6 / map.rate).toFixed(2)} µs, ${map.cpuMicros.toFixed(2)} µs CPU, ${map.found} found) · ratio ${(matcher.rate / map.rate).toFixed(4)}`,
        );
      }
      console.log(`${kind.padEnd(8)} rss ${mb(process.memoryUsage().rss)} (the bench's own feeds and Map included), load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`);
    } finally {
      await store.close();
      await drop?.();
    }
  }
} finally {
  await pgServer?.stop();
  rmSync(home, { recursive: true, force: true });
}
