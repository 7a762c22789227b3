/**
 * Detection throughput against parsing alone, in one run: takes the OTRF Windows events (from their zips,
 * through readEventFiles), writes them to a temporary NDJSON file, then reads that file (a) parse-only —
 * JSON.parse of each line — and (b) with full detection: normaliseEvent and every Windows Sigma rule of
 * data/sigma/rules. Prints events/s for each and their ratio (target ≥ 0.25). Both are measured `--rounds`
 * times, alternating, after one warm-up of each, and the best round of each counts: on a machine shared with
 * other work, the fastest round is the one least disturbed.
 *
 *   npx tsx bench/detect.ts [--events 200000] [--rounds 3]
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDetector, normaliseEvent } from "../src/detect/engine.js";
import { readEventFiles } from "../src/detect/readers/index.js";

const { values } = parseArgs({
  options: { events: { type: "string", default: "200000" }, rounds: { type: "string", default: "3" } },
});
const limit = Number(values.events);
const rounds = Math.max(1, Number(values.rounds));
const root = path.resolve(import.meta.dirname, "..");
const shared = path.resolve(root, "../shared/data");
const otrf = path.join(shared, "otrf/windows");
const rules = path.join(shared, "sigma/rules/rules/windows");

const dir = mkdtempSync(path.join(tmpdir(), "nightshift-bench-detect-"));
const ndjson = path.join(dir, "otrf.ndjson");
try {
  const out = createWriteStream(ndjson);
  let written = 0;
  for await (const { event } of readEventFiles([otrf])) {
    if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, "drain");
    if (++written >= limit) break;
  }
  out.end();
  await once(out, "finish");
  console.log(`${written} OTRF events → ${(statSync(ndjson).size / 2 ** 20).toFixed(1)} MB of NDJSON`);

  const loadStarted = performance.now();
  const detector = await createDetector({ ruleDirs: [rules] });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  console.log(`${detector.rulesLoaded} rules loaded, ${detector.rulesSkipped.length} skipped, in ${loadSeconds.toFixed(2)} s`);

  // CPU time of this process beside wall time: other work on the machine inflates the latter far more.
  const timer = () => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    return () => {
      const used = process.cpuUsage(cpu);
      return { seconds: (performance.now() - wall) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
    };
  };
  const parseOnly = async () => {
    let events = 0;
    const stop = timer();
    for await (const { event } of readEventFiles([ndjson])) if (event) events++;
    return { events, alerts: 0, ...stop() };
  };
  const detect = async () => {
    let events = 0;
    let alerts = 0;
    const stop = timer();
    for await (const { event } of readEventFiles([ndjson])) {
      events++;
      alerts += detector.match(normaliseEvent(event)).length;
    }
    return { events, alerts, ...stop() };
  };

  // Warm-up: JIT, page cache, and the rule index's lazily built prefilters.
  await parseOnly();
  await detect();
  const best = { base: { wall: 0, cpu: 0 }, full: { wall: 0, cpu: 0 } };
  let alerts = 0;
  const keep = (into: { wall: number; cpu: number }, run: { events: number; seconds: number; cpuSeconds: number }) => {
    into.wall = Math.max(into.wall, run.events / run.seconds);
    into.cpu = Math.max(into.cpu, run.events / run.cpuSeconds);
  };
  for (let round = 0; round < rounds; round++) {
    keep(best.base, await parseOnly());
    const full = await detect();
    keep(best.full, full);
    alerts = full.alerts;
  }
  const line = (label: string, rate: { wall: number; cpu: number }, note: string) =>
    console.log(
      `${label.padEnd(26)} ${rate.wall.toFixed(0).padStart(9)} events/s  (${rate.cpu.toFixed(0)} per CPU-second; best of ${rounds}${note})`,
    );
  line("parse-only (JSON.parse)", best.base, "");
  line("full detection", best.full, `; ${alerts} alerts`);
  console.log(
    `ratio detection / parse-only: ${(best.full.wall / best.base.wall).toFixed(3)}  (by CPU time: ${(best.full.cpu / best.base.cpu).toFixed(3)}; target ≥ 0.25)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
