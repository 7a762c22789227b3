/**
 * Grouping on real alerts: the AIT Alert Data Set (../shared/data/ait-ads, russellmitchell) imported as a
 * new user would — the label columns stripped, `ingest alerts --format csv --map …`, `shift run --until-idle`,
 * `alerts export` — then scored offline with the labels: alerts per case (file rows, and stored alerts
 * after exact-duplicate collapse) and purity (cases mixing attack alerts with false-positive alerts, by the
 * dataset's time labels and by its event labels). The baseline, measured in the same run on the same stored
 * alerts, is the former grouping (rule|host without the source, one case per 240-minute window).
 *
 *   npx tsx bench/ait-grouping.ts [--from 2022-01-24T00:00Z] [--hours 16] [--all] [--keep]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "2022-01-24T00:00:00Z" },
    hours: { type: "string", default: "16" },
    all: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const root = path.resolve(import.meta.dirname, "..");
const dataset = path.resolve(root, "../shared/data/ait-ads/russellmitchell_alerts.csv.gz");
const cli = [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "src/cli/main.ts")];
const MAP = "time=time,title=name,host.name=host,host.ip=ip,rule.id=short";

interface Row {
  time: number;
  name: string;
  ip: string;
  host: string;
  short: string;
  timeLabel: string;
  eventLabel: string;
}

/** The dataset's CSV: no quoted commas except in `name`, which may be quoted. */
function parseCsv(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split("\n").slice(1)) {
    if (!line) continue;
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (ch === '"' && quoted && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = !quoted;
      else if (ch === "," && !quoted) {
        cells.push(cell);
        cell = "";
      } else cell += ch;
    }
    cells.push(cell);
    const [time, name, ip, host, short, timeLabel, eventLabel] = cells;
    rows.push({ time: Number(time), name: name!, ip: ip!, host: host!, short: short!, timeLabel: timeLabel!, eventLabel: eventLabel! });
  }
  return rows;
}

const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const keyOf = (time: string | number, name: string, host: string, short: string) =>
  JSON.stringify([typeof time === "number" ? new Date(time * 1000).toISOString() : time, name, host, short]);

function run(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [...cli, ...args], { cwd: root, env, encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "inherit"] });
}

interface Scored {
  cases: number;
  rowsPerCase: { mean: number; median: number; max: number };
  alertsPerCase: { mean: number; median: number; max: number };
  mixedByTimeLabel: number;
  mixedByEventLabel: number;
  casesWithAttack: number;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  return { mean: Math.round(mean * 10) / 10, median: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** Scores a grouping: case id per stored alert, each alert standing for 1 + duplicates file rows with its labels. */
function score(alerts: { caseId: string; rows: number; label: Row }[]): Scored {
  const byCase = new Map<string, { rows: number; alerts: number; attackTime: boolean; fpTime: boolean; attackEvent: boolean; fpEvent: boolean }>();
  for (const a of alerts) {
    const c = byCase.get(a.caseId) ?? { rows: 0, alerts: 0, attackTime: false, fpTime: false, attackEvent: false, fpEvent: false };
    c.rows += a.rows;
    c.alerts++;
    if (a.label.timeLabel === "false_positive") c.fpTime = true;
    else c.attackTime = true;
    if (a.label.eventLabel === "-") c.fpEvent = true;
    else c.attackEvent = true;
    byCase.set(a.caseId, c);
  }
  const cases = [...byCase.values()];
  return {
    cases: cases.length,
    rowsPerCase: stats(cases.map((c) => c.rows)),
    alertsPerCase: stats(cases.map((c) => c.alerts)),
    mixedByTimeLabel: cases.filter((c) => c.attackTime && c.fpTime).length,
    mixedByEventLabel: cases.filter((c) => c.attackEvent && c.fpEvent).length,
    casesWithAttack: cases.filter((c) => c.attackTime).length,
  };
}

/** The former grouping: rule|host, a case per 240-minute window since the case's last alert (by alert time). */
function formerGrouping(alerts: { time: number; rule: string; host: string }[]): string[] {
  const order = alerts.map((_, i) => i).sort((a, b) => alerts[a]!.time - alerts[b]!.time);
  const open = new Map<string, { id: string; last: number }>();
  const ids: string[] = new Array<string>(alerts.length);
  let next = 0;
  for (const i of order) {
    const a = alerts[i]!;
    const key = `${a.rule}|${a.host}`.toLowerCase();
    let c = open.get(key);
    if (!c || a.time - c.last > 240 * 60_000) open.set(key, (c = { id: `former-${next++}`, last: a.time }));
    c.last = a.time;
    ids[i] = c.id;
  }
  return ids;
}

const all = parseCsv(gunzipSync(readFileSync(dataset)).toString("utf8"));
const from = Date.parse(values.from!) / 1000;
const until = from + Number(values.hours) * 3600;
const sample = values.all ? all : all.filter((r) => r.time >= from && r.time < until);
const labels = new Map<string, Row>();
for (const r of sample) labels.set(keyOf(r.time, r.name, r.host, r.short), r);

const home = mkdtempSync(path.join(tmpdir(), "nightshift-ait-"));
const csv = path.join(home, "alerts.csv");
writeFileSync(csv, ["time,name,ip,host,short", ...sample.map((r) => [String(r.time), r.name, r.ip, r.host, r.short].map(quote).join(","))].join("\n") + "\n");
const env: NodeJS.ProcessEnv = { ...process.env, NIGHTSHIFT_HOME: home };
delete env.NIGHTSHIFT_DATABASE_URL;
delete env.NIGHTSHIFT_CONFIG;
try {
  const started = performance.now();
  const ingest = run(["ingest", "alerts", csv, "--format", "csv", "--map", MAP], env).trim().split("\n").at(-1);
  const shift = run(["shift", "run", "--until-idle"], env).trim().split("\n").at(-1);
  const seconds = (performance.now() - started) / 1000;
  const exported = run(["alerts", "export"], env)
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { time: string; title: string; host: string; rule_id: string; case_id: string | null; duplicates: number });
  const joined = exported.map((a) => {
    const label = labels.get(keyOf(a.time, a.title, a.host, a.rule_id));
    if (!label) throw new Error(`no label for ${a.time} ${a.title} ${a.host}`);
    return { ...a, label, rows: 1 + a.duplicates };
  });
  const unassigned = joined.filter((a) => !a.case_id).length;
  const now = score(joined.map((a) => ({ caseId: a.case_id ?? "none", rows: a.rows, label: a.label })));
  const formerIds = formerGrouping(joined.map((a) => ({ time: Date.parse(a.time), rule: a.rule_id, host: a.host })));
  const former = score(joined.map((a, i) => ({ caseId: formerIds[i]!, rows: a.rows, label: a.label })));
  console.log(`sample: ${sample.length} file rows (${values.all ? "whole scenario" : `${values.hours} h from ${values.from}`}), labels stripped`);
  console.log(`ingest: ${ingest}`);
  console.log(`shift:  ${shift}`);
  console.log(`ingest + shift: ${seconds.toFixed(0)} s, ${(sample.length / seconds).toFixed(1)} rows/s; alerts without a case: ${unassigned}`);
  console.log(JSON.stringify({ grouping: now, former_rule_host_baseline: former, ratio_rows_per_case: Math.round((now.rowsPerCase.mean / former.rowsPerCase.mean) * 100) / 100 }, null, 2));
} finally {
  if (values.keep) console.log(`home kept: ${home}`);
  else rmSync(home, { recursive: true, force: true });
}
