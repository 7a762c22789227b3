/**
 * End to end on SQLite: alerts POSTed to the HTTP API → enriched → grouped → every case decided by the
 * deterministic crew, on stores that already hold 1k, 10k and 100k alerts of history. Prints alerts/s for
 * each and the ratio of the last to the first (1.0 = the per-alert cost does not grow with history).
 *
 *   npx tsx bench/e2e.ts [--history 1000,10000,100000] [--alerts 1000] [--batch 100] [--no-warmup]
 *
 * A warm-up round on the smallest history runs first and is not counted (module loading and JIT compilation
 * would otherwise weigh on the first figure only).
 *
 * The history is written in bulk (alerts as ingest stores them, each in a closed case, with the done jobs
 * that carried it): a SOC's history only grows, and imported feedback starts it at 100k rows. It is spread
 * over the 14 days before the measured batch (half of it inside the 7-day history window), over 2,000
 * hosts, 1,500 users, 200 rules, 20,000 external addresses and 5,000 domains; the measured alerts share its
 * rules (see alertInput).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { openApp, workUntilIdle, type App } from "../src/app/index.js";
import { indexAlertHistory } from "../src/context/index.js";
import { ENRICH_JOB, GROUP_JOB, JOURNAL_POST_JOB, TRIAGE_JOB } from "../src/core/index.js";
import { normaliseAlert, toAlertRow } from "../src/ingest/index.js";
import { createToken, startHttpServer } from "../src/server/index.js";
import { withSqliteHandle } from "../src/store/index.js";

const { values } = parseArgs({
  options: {
    history: { type: "string", default: "1000,10000,100000" },
    alerts: { type: "string", default: "1000" },
    batch: { type: "string", default: "100" },
    "no-warmup": { type: "boolean", default: false },
  },
});
const sizes = values.history.split(",").map(Number);
const measured = Number(values.alerts);
const batchSize = Number(values.batch);

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 24, 0, 0, 0);
const HISTORY_SPAN = 14 * 24 * HOUR;

/** A small deterministic generator (mulberry32), so every run draws the same alerts. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * History and measured alerts share the rules, but not hosts, users or indicators: the crew then decides
 * the measured alerts the same way whatever the size of the history (a history sharing them makes alerts
 * weigh more, and the crew rightly does more work on them), so the figures compare the cost of the same
 * work. The lookups still run against the whole history: every key is looked up in an index that holds it.
 */
function alertInput(next: () => number, i: number, time: number, tag: string, history = false) {
  const pick = (n: number) => Math.floor(next() * n);
  const h = pick(2000) + (history ? 2000 : 0);
  const r = pick(200);
  const ext = pick(20_000) + (history ? 20_000 : 0);
  const hostIp = `10.${40 + (h >> 8)}.${h & 255}.10`;
  return {
    title: `Bench rule ${r} on ws-${h}`,
    time: new Date(time).toISOString(),
    severity: ["low", "medium", "high"][r % 3],
    source: "bench",
    source_id: `${tag}-${i}`,
    rule: { id: `bench-rule-${r}`, title: `Bench rule ${r}`, level: "medium" },
    host: { name: `ws-${String(h).padStart(4, "0")}`, ip: [hostIp] },
    user: `${history ? "old" : "user"}${pick(1500)}`,
    src: hostIp,
    dst: { ip: `45.${(ext >> 8) & 255}.${ext & 255}.${1 + (ext % 200)}`, domain: `d${pick(5000)}.${history ? "old" : "bench"}-cdn.example`, port: 443 },
    raw: { seq: i, note: "x".repeat(200) },
  };
}

/** History rows written straight into the tables in one transaction: alerts, their closed cases, their done jobs. */
async function seedHistory(app: App, count: number) {
  const next = random(count);
  const now = new Date(START).toISOString();
  await app.store.db.transaction().execute((trx) =>
    withSqliteHandle(trx, (database) => {
      if (!database) throw new Error("bench/e2e.ts runs on SQLite");
      const alertRow = database.prepare(
        `insert into alerts (id, dedupe_key, source, source_id, time, received_at, title, severity, rule_id, host_name, user_name,
          origin_file, origin_record, doc, enrichment, case_id, stage) values (@id, @dedupe_key, @source, @source_id, @time, @received_at,
          @title, @severity, @rule_id, @host_name, @user_name, @origin_file, @origin_record, @doc, @enrichment, @case_id, @stage)`,
      );
      const caseRow = database.prepare(
        `insert into cases (id, day, number, title, status, verdict, severity, tags, attack, rule_id, group_key, needs_human_verification,
          created_at, updated_at, last_alert_at, closed_at, crew_verdict) values (?, ?, ?, ?, 'closed', 'false_positive', 'medium', '[]', '{}', ?, ?, 0, ?, ?, ?, ?, 'CLOSED')`,
      );
      const jobRow = database.prepare(
        `insert into jobs (id, kind, payload, dedupe_key, status, attempts, run_after, created_at, updated_at) values (?, ?, ?, ?, 'done', 1, ?, ?, ?)`,
      );
      for (let i = 0; i < count; i++) {
        const time = START - HISTORY_SPAN + Math.floor((i / count) * HISTORY_SPAN);
        const at = new Date(time).toISOString();
        const result = normaliseAlert(alertInput(next, i, time, `history-${count}`, true), {
          id: `hist-${String(i).padStart(7, "0")}`,
          receivedAt: at,
          origin: { via: "api" },
        });
        if (!result.ok) throw new Error(`bench alert ${i} is invalid: ${JSON.stringify(result.issues)}`);
        const caseId = `HIST-${String(i).padStart(7, "0")}`;
        const row = toAlertRow(result.alert, result.dedupeKey);
        alertRow.run({ ...row, time: at, received_at: at, case_id: caseId, stage: "triaged", enrichment: "{}" });
        caseRow.run(caseId, at.slice(0, 10), i, row.title, row.rule_id, `${row.rule_id}|${row.host_name}`, at, at, at, at);
        for (const { kind } of [ENRICH_JOB, GROUP_JOB, TRIAGE_JOB, JOURNAL_POST_JOB])
          jobRow.run(`${kind}-${i}`, kind, JSON.stringify({ alert_id: row.id }), `${kind}:${row.id}`, at, at, at);
      }
      return now;
    }),
  );
}

async function postAll(url: string, token: string, bodies: string[]) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const response = await fetch(`${url}/api/v1/alerts`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body,
        });
        if (response.status !== 202) throw new Error(`POST answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
}

async function runOnce(history: number) {
  const home = mkdtempSync(path.join(tmpdir(), "nightshift-e2e-"));
  const app = await openApp({ env: { NIGHTSHIFT_HOME: home } });
  try {
    let started = performance.now();
    await seedHistory(app, history);
    await indexAlertHistory(app.store.db);
    const seeded = (performance.now() - started) / 1000;

    const next = random(7);
    const alerts = Array.from({ length: measured }, (_, i) => alertInput(next, i, START + i * 1000, `batch-${history}`));
    const bodies: string[] = [];
    for (let i = 0; i < alerts.length; i += batchSize) bodies.push(JSON.stringify(alerts.slice(i, i + batchSize)));
    const { token } = await createToken(app.store.db, { role: "analyst", name: "bench" });
    const server = await startHttpServer(
      { db: app.store.db, config: app.config, clock: app.clock, journalDir: path.join(home, "journal", "site") },
      { host: "127.0.0.1", port: 0 },
    );
    started = performance.now();
    const cpuStart = process.cpuUsage();
    try {
      await postAll(server.url, token, bodies);
    } finally {
      await server.close();
    }
    const stats = await workUntilIdle(app);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;

    const check = await app.store.db
      .selectFrom("alerts")
      .leftJoin("cases", "cases.id", "alerts.case_id")
      .select([sql<string>`count(*)`.as("alerts"), sql<string>`count(cases.crew_verdict)`.as("decided")])
      .where("alerts.source_id", "like", `batch-${history}-%`)
      .executeTakeFirstOrThrow();
    const cases = await app.store.db
      .selectFrom("cases")
      .select([sql<string>`count(*)`.as("n"), sql<string>`count(escalated_at)`.as("escalated")])
      .where("id", "not like", "HIST-%")
      .executeTakeFirstOrThrow();
    return {
      seconds,
      cpuSeconds,
      seeded,
      alerts: Number(check.alerts),
      decided: Number(check.decided),
      failed: stats.failed,
      jobs: stats.processed,
      cases: Number(cases.n),
      escalated: Number(cases.escalated),
    };
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
}

console.log(`end to end on SQLite: ${measured} alerts POSTed in batches of ${batchSize}, worked until every case is decided`);
// One round on the smallest history first, not counted: the first round otherwise also pays for loading the
// modules, compiling the hot code and building the detector and crew, which made the 1k figure look slow.
if (!values["no-warmup"]) {
  const warm = await runOnce(sizes[0]!);
  console.log(`warm-up (history ${sizes[0]}, not counted): ${(measured / warm.seconds).toFixed(1)} alerts/s`);
}
const rates: number[] = [];
const jobRates: number[] = [];
const cpuRates: number[] = [];
let failed = false;
for (const history of sizes) {
  const result = await runOnce(history);
  const rate = measured / result.seconds;
  rates.push(rate);
  jobRates.push(result.jobs / result.seconds);
  cpuRates.push(measured / result.cpuSeconds);
  const ok = result.alerts === measured && result.decided === measured && result.failed === 0;
  failed ||= !ok;
  console.log(
    `history ${String(history).padStart(7)}  ${rate.toFixed(1).padStart(7)} alerts/s  ` +
      `(${((result.seconds * 1000) / measured).toFixed(1)} ms/alert, CPU ${((result.cpuSeconds * 1000) / measured).toFixed(1)} ms/alert, ${((result.seconds * 1000) / result.jobs).toFixed(1)} ms/job; ` +
      `${result.jobs} jobs, ${result.cases} cases, ${result.escalated} escalated; history written and indexed in ${result.seeded.toFixed(1)} s)  ` +
      `${result.decided}/${result.alerts} decided${result.failed ? `, ${result.failed} jobs failed` : ""}${ok ? "" : "  MISMATCH"}`,
  );
}
if (rates.length > 1)
  console.log(
    `ratio ${sizes.at(-1)} / ${sizes[0]} history: ${(rates.at(-1)! / rates[0]!).toFixed(2)} alerts/s, ${(jobRates.at(-1)! / jobRates[0]!).toFixed(2)} jobs/s ` +
      `(1.00 = flat; the crew may do more work per alert when history makes alerts weigh more, hence jobs/s beside it)\n` +
      `ratio ${sizes.at(-1)} / ${sizes[0]} history, alerts per CPU second of this process: ${(cpuRates.at(-1)! / cpuRates[0]!).toFixed(2)} ` +
      `(wall-clock figures follow whatever else the machine runs; the process's own CPU time much less)`,
  );
process.exitCode = failed ? 1 : 0;
