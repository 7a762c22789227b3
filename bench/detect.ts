/**
 * Detection throughput against parsing alone, in one run: takes the OTRF Windows events (from their zips,
 * through readEventFiles), writes them to a temporary NDJSON file, then reads that file (a) parse-only —
 * JSON.parse of each line — and (b) with full detection: normaliseEvent and every Windows Sigma rule of
 * data/sigma/rules. Prints events/s for each and their ratio (target ≥ 0.25).
 *
 *   npx tsx bench/detect.ts [--events 200000]
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDetector, normaliseEvent } from "../src/detect/engine.js";
import { readEventFiles } from "../src/detect/readers/index.js";

const { values } = parseArgs({ options: { events: { type: "string", default: "200000" } } });
const limit = Number(values.events);
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

  const parseOnly = async () => {
    let events = 0;
    const started = performance.now();
    for await (const { event } of readEventFiles([ndjson])) if (event) events++;
    return { events, seconds: (performance.now() - started) / 1000 };
  };
  const detect = async () => {
    let events = 0;
    let alerts = 0;
    const started = performance.now();
    for await (const { event } of readEventFiles([ndjson])) {
      events++;
      alerts += detector.match(normaliseEvent(event)).length;
    }
    return { events, alerts, seconds: (performance.now() - started) / 1000 };
  };

  await parseOnly(); // warm-up: JIT and page cache
  const base = await parseOnly();
  const full = await detect();
  const baseRate = base.events / base.seconds;
  const fullRate = full.events / full.seconds;
  console.log(`${"parse-only (JSON.parse)".padEnd(26)} ${baseRate.toFixed(0).padStart(9)} events/s`);
  console.log(`${"full detection".padEnd(26)} ${fullRate.toFixed(0).padStart(9)} events/s  (${full.alerts} alerts)`);
  console.log(`ratio detection / parse-only: ${(fullRate / baseRate).toFixed(3)}  (target ≥ 0.25)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
