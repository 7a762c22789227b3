/**
 * The crew on a model, under the worst load a model can put on it. Works the demo shift twice in the same run:
 * once with the deterministic analyst (the baseline), once with both tiers on a scripted OpenAI-compatible
 * server whose model asks for the largest searches the tools allow (no filter, the maximum page, every page of
 * every handle) over an event store filled with --events synthetic Sysmon events, then answers with the
 * deterministic analyst's decision. Prints tokens per case, the largest request sent against the cap (counted
 * by us before sending, and again on what the server received), and the crew's own time per case outside the
 * model, against the baseline's time per case.
 *
 *   npx tsx bench/crew.ts [--events 20000] [--window 32768] [--cap N]
 *
 * Exit status 1 when any request went above the cap.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openApp, type App } from "../src/app/index.js";
import { runDemoShift } from "../src/cli/commands/demo.js";
import { requestCap } from "../src/crew/runtime/tokens.js";
import { promptTokensOf, startScriptedServer } from "../src/crew/model/scripted-server.js";
import { analystScript, toraAnswer, veraAnswer } from "../src/crew/testing/analyst-script.js";
import { demoShift, loadDemoOrg } from "../src/demo/index.js";
import { normaliseEvent } from "../src/detect/index.js";
import { insertEvents, toNewEvent } from "../src/events/index.js";
import { fromJson } from "../src/store/index.js";
import type { RunUsage } from "../src/core/index.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    window: { type: "string", default: "32768" },
    cap: { type: "string" },
  },
});
const eventCount = Number(values.events);
const contextWindow = Number(values.window);
const cap = requestCap(contextWindow, values.cap ? Number(values.cap) : undefined);

/** Sysmon process creations spread over the demo's hosts and shift: what a careless search reads back. */
async function fillEvents(app: App) {
  const org = loadDemoOrg() as { assets?: { hostname: string }[] };
  const hosts = org.assets?.map((a) => a.hostname) ?? ["ws-001"];
  const start = Date.parse(demoShift.start);
  const span = Date.parse(demoShift.end) - start;
  const received = new Date().toISOString();
  for (let offset = 0; offset < eventCount; offset += 2000) {
    const batch = [];
    for (let i = offset; i < Math.min(eventCount, offset + 2000); i++) {
      const host = hosts[i % hosts.length]!;
      const data = normaliseEvent({
        "@timestamp": new Date(start + Math.floor((span * i) / eventCount)).toISOString(),
        host: { name: host },
        winlog: {
          channel: "Microsoft-Windows-Sysmon/Operational",
          event_id: 1,
          computer_name: host,
          event_data: {
            Image: `C:\\Windows\\System32\\svc${i % 97}.exe`,
            CommandLine: `C:\\Windows\\System32\\svc${i % 97}.exe /run task-${i} --profile default --log C:\\ProgramData\\logs\\svc-${i}.log`,
            ParentImage: "C:\\Windows\\System32\\services.exe",
            ProcessId: String(1000 + (i % 60000)),
            ProcessGuid: `{00000000-0000-0000-0000-${String(i).padStart(12, "0")}}`,
            User: `CORP\\svc_${i % 13}`,
          },
        },
      });
      batch.push(toNewEvent(data, { file: "bench-crew", record: i }, received));
    }
    await insertEvents(app.store.db, batch);
  }
}

function percentile(sorted: number[], p: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]! : 0;
}

const homes: string[] = [];
function home() {
  const dir = mkdtempSync(path.join(tmpdir(), "nightshift-bench-crew-"));
  homes.push(dir);
  return dir;
}

let exitCode = 0;
const server = await startScriptedServer({ model: "bench-greedy" });
try {
  // Baseline: the deterministic analyst on both tiers, same shift, same events.
  const baseline = await openApp({ env: { NIGHTSHIFT_HOME: home() } });
  await fillEvents(baseline);
  let started = performance.now();
  const base = await runDemoShift(baseline);
  const baselineMs = performance.now() - started;
  const baseCases = base.summary.cases;
  await baseline.close();

  const app = await openApp({
    env: {
      NIGHTSHIFT_HOME: home(),
      NIGHTSHIFT_MODEL_URL: server.url,
      NIGHTSHIFT_MODEL: "bench-greedy",
    },
    overrides: {},
  });
  app.config.crew.model = { ...(app.config.crew.model ?? {}), context_window: contextWindow, ...(values.cap ? { request_cap_tokens: Number(values.cap) } : {}) };
  await fillEvents(app);
  server.script(analystScript({ db: app.store.db, greedy: true, answers: { TORA: toraAnswer, VERA: veraAnswer } }));
  started = performance.now();
  const shift = await runDemoShift(app);
  const modelShiftMs = performance.now() - started;

  const runs = await app.store.db.selectFrom("agent_runs").select(["case_id", "agent", "status", "usage", "started_at", "finished_at", "failure"]).execute();
  const perCase = new Map<string, { tokens: number; overheadMs: number }>();
  let largest = 0;
  const byAgent: Record<string, Record<string, number>> = {};
  for (const run of runs) {
    const usage = fromJson<RunUsage>(run.usage, null as never);
    const wall = run.finished_at ? Date.parse(run.finished_at) - Date.parse(run.started_at) : 0;
    const entry = perCase.get(run.case_id) ?? { tokens: 0, overheadMs: 0 };
    entry.tokens += usage.tokens_in + usage.tokens_out;
    entry.overheadMs += Math.max(0, wall - usage.model_ms);
    perCase.set(run.case_id, entry);
    largest = Math.max(largest, usage.largest_request_tokens);
    ((byAgent[run.agent] ??= {})[run.status] ??= 0);
    byAgent[run.agent]![run.status]!++;
  }
  const serverLargest = Math.max(0, ...server.requests.map((r) => promptTokensOf(r.body)));
  const tokens = [...perCase.values()].map((c) => c.tokens).sort((a, b) => a - b);
  const overhead = [...perCase.values()].map((c) => c.overheadMs).sort((a, b) => a - b);
  const meanOverhead = overhead.reduce((a, b) => a + b, 0) / Math.max(1, overhead.length);
  const baselinePerCase = baselineMs / Math.max(1, baseCases);
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

  console.log(`events in store: ${eventCount}; cases: ${shift.summary.cases} (baseline ${baseCases}); model requests: ${server.requests.length}`);
  console.log(`runs: ${Object.entries(byAgent).map(([agent, s]) => `${agent} ${Object.entries(s).map(([k, v]) => `${v} ${k}`).join(", ")}`).join("; ")}`);
  console.log(`tokens per case (in+out): mean ${(tokens.reduce((a, b) => a + b, 0) / Math.max(1, tokens.length)).toFixed(0)}, p50 ${percentile(tokens, 0.5)}, max ${percentile(tokens, 1)}`);
  console.log(`largest request: ${largest} tokens counted before sending (with margin), ${serverLargest} as the server tokenised it; cap ${cap} (window ${contextWindow}); largest body ${kb(Math.max(0, ...server.requests.map((r) => r.bytes)))}`);
  console.log(`crew overhead per case (outside the model): mean ${meanOverhead.toFixed(0)} ms, p50 ${percentile(overhead, 0.5).toFixed(0)} ms, max ${percentile(overhead, 1).toFixed(0)} ms`);
  console.log(`baseline (deterministic analyst) whole shift per case: ${baselinePerCase.toFixed(0)} ms; model shift per case: ${(modelShiftMs / Math.max(1, shift.summary.cases)).toFixed(0)} ms; overhead/baseline ${(meanOverhead / Math.max(1, baselinePerCase)).toFixed(2)}×`);
  if (largest > cap || serverLargest > cap) {
    console.error(`FAIL: a request went above the cap (${Math.max(largest, serverLargest)} > ${cap})`);
    exitCode = 1;
  }
  await app.close();
} finally {
  await server.close();
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
