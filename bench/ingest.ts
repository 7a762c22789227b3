/**
 * Posts 10,000 alerts in batches to a running Nightshift server (a child process, as in production) on
 * SQLite and on PostgreSQL, prints alerts/s against a bare HTTP baseline measured in the same run, and
 * confirms from the database that none was lost and none duplicated. Each POST's latency is recorded: p50, p90
 * and p99 are printed for each configuration (with the crew working in the same process, they show how long
 * a sender waits while the worker is busy).
 *
 *   npx tsx bench/ingest.ts [--alerts 10000] [--batch 200] [--concurrency 4] [--store sqlite|postgres|both]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { openStore } from "../src/store/index.js";
import { createDatabase, startTemporaryPostgres, type TemporaryPostgres } from "../test/support/temporary-postgres.js";

const { values } = parseArgs({
  options: {
    alerts: { type: "string", default: "10000" },
    batch: { type: "string", default: "200" },
    concurrency: { type: "string", default: "4" },
    store: { type: "string", default: "both" },
  },
});
const total = Number(values.alerts);
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);
const root = path.resolve(import.meta.dirname, "..");
const cli = [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "src/cli/main.ts")];

function makeAlerts(): unknown[] {
  const alerts = [];
  for (let i = 0; i < total; i++) {
    alerts.push({
      title: `Bench alert ${i % 50}`,
      time: new Date(Date.UTC(2026, 10, 24, 0, 0, 0) + i * 1000).toISOString(),
      severity: ["low", "medium", "high"][i % 3],
      source: "bench",
      source_id: `bench-${i}`,
      rule: { id: `bench-rule-${i % 20}`, title: `Bench rule ${i % 20}` },
      host: `ws-${String(i % 300).padStart(3, "0")}`,
      src: `10.0.${(i >> 8) & 255}.${i & 255}`,
      dst: { domain: `d${i % 97}.bench.invalid`, port: 443 },
      raw: { seq: i, note: "x".repeat(200) },
    });
  }
  return alerts;
}

function batches(alerts: unknown[]): string[] {
  const out = [];
  for (let i = 0; i < alerts.length; i += batchSize) out.push(JSON.stringify(alerts.slice(i, i + batchSize)));
  // Re-deliver every tenth batch: a retrying sender must not create duplicates.
  for (let i = 0; i < out.length; i += 10) out.push(out[i]!);
  return out;
}

/** The value below which `p` of the sorted latencies fall (nearest rank). */
function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : NaN;
}

function latencyLine(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `latency per POST p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p90 ${percentile(sorted, 0.9).toFixed(0)} ms, p99 ${percentile(sorted, 0.99).toFixed(0)} ms`;
}

async function post(url: string, bodies: string[], token: string): Promise<{ seconds: number; ids: number; latencies: number[] }> {
  let next = 0;
  let ids = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const sent = performance.now();
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body,
        });
        if (response.status !== 202) throw new Error(`POST answered ${response.status}: ${await response.text()}`);
        ids += ((await response.json()) as { ids: string[] }).ids.length;
        latencies.push(performance.now() - sent);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, ids, latencies };
}

/** The baseline: a bare node:http server that parses the same JSON bodies and answers 202 with ids. */
async function baseline(bodies: string[]) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown[];
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ ids: parsed.map((_, i) => String(i)) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  try {
    return await post(`http://127.0.0.1:${port}/`, bodies, "-");
  } finally {
    server.close();
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")} failed: ${err}`))));
  });
}

async function startServe(env: NodeJS.ProcessEnv, worker: boolean): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...cli, "serve", ...(worker ? [] : ["--no-worker"])], { env, stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (c) => {
      err += c;
      const match = /Nightshift on (http:\/\/\S+?) /.exec(err);
      if (match) resolve(match[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, url };
}

async function benchStore(kind: "sqlite" | "postgres", bodies: string[], worker: boolean, pgServer?: TemporaryPostgres) {
  const home = mkdtempSync(path.join(tmpdir(), "nightshift-bench-"));
  const env: NodeJS.ProcessEnv = { ...process.env, NIGHTSHIFT_HOME: home, NIGHTSHIFT_PORT: "0" };
  if (kind === "postgres") env.NIGHTSHIFT_DATABASE_URL = await createDatabase(pgServer!.url, `bench_${Date.now()}`);
  try {
    const token = (await run(["token", "create", "--role", "analyst", "--name", "bench"], env)).trim().split("\n").pop()!;
    const { child, url } = await startServe(env, worker);
    let result;
    try {
      result = await post(`${url}/api/v1/alerts`, bodies, token);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    const store = await openStore({ home, database_url: env.NIGHTSHIFT_DATABASE_URL });
    const counts = await store.db
      .selectFrom("alerts")
      .select([sql<string>`count(*)`.as("rows"), sql<string>`count(distinct source_id)`.as("distinct_ids")])
      .where("source", "=", "bench")
      .executeTakeFirstOrThrow();
    await store.close();
    return { ...result, rows: Number(counts.rows), distinct: Number(counts.distinct_ids) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const alerts = makeAlerts();
const bodies = batches(alerts);
const posted = bodies.reduce((n, b) => n + (JSON.parse(b) as unknown[]).length, 0);
console.log(`posting ${total} alerts (${posted} with re-deliveries) in batches of ${batchSize}, ${concurrency} at a time`);
const base = await baseline(bodies);
const baseRate = posted / base.seconds;
console.log(`${"baseline: node:http echo".padEnd(26)} ${baseRate.toFixed(0).padStart(8)} alerts/s  ${latencyLine(base.latencies)}`);
let failed = false;
const stores = values.store === "both" ? (["sqlite", "postgres"] as const) : [values.store as "sqlite" | "postgres"];
const pgServer = stores.includes("postgres") ? await startTemporaryPostgres() : undefined;
try {
  for (const kind of stores) for (const worker of [false, true]) {
    const result = await benchStore(kind, bodies, worker, pgServer);
    const rate = posted / result.seconds;
    const ok = result.rows === total && result.distinct === total;
    failed ||= !ok;
    const label = `${kind}, ${worker ? "crew working" : "ingest only"}`;
    console.log(
      `${label.padEnd(26)} ${rate.toFixed(0).padStart(8)} alerts/s  (${(rate / baseRate).toFixed(3)} × baseline)  ` +
        `rows ${result.rows}, distinct ${result.distinct}: ${ok ? "none lost, none duplicated" : "MISMATCH"}\n${"".padEnd(27)}${latencyLine(result.latencies)}`,
    );
  }
} finally {
  await pgServer?.stop();
}
process.exitCode = failed ? 1 : 0;
