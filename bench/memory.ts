/**
 * Memory on long inputs: writes an NDJSON file of about `--gb` GiB (OTRF Windows events, repeated with
 * fresh record numbers), then runs `nightshift detect --stats` over it in a child process with every Windows
 * rule of data/sigma/rules loaded, sampling the child's resident memory. Prints the input size, events/s
 * and the peak resident set (VmHWM) against the target (< 1 GiB for 2 GiB of input).
 *
 *   npx tsx bench/memory.ts [--gb 2] [--keep FILE]
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { readEventFiles } from "../src/detect/readers/index.js";

const { values } = parseArgs({ options: { gb: { type: "string", default: "2" }, keep: { type: "string" } } });
const targetBytes = Number(values.gb) * 2 ** 30;
const root = path.resolve(import.meta.dirname, "..");
const shared = path.resolve(root, "../shared/data");
const rules = path.join(shared, "sigma/rules/rules/windows");

const dir = mkdtempSync(path.join(tmpdir(), "nightshift-bench-memory-"));
const ndjson = values.keep ?? path.join(dir, "long.ndjson");

async function writeInput(): Promise<void> {
  if (values.keep && existsSync(ndjson) && statSync(ndjson).size >= targetBytes) return;
  const sample: Record<string, unknown>[] = [];
  for await (const { event } of readEventFiles([path.join(shared, "otrf/windows")])) {
    sample.push(event);
    if (sample.length >= 50_000) break;
  }
  const out = createWriteStream(ndjson);
  let bytes = 0;
  let record = 0;
  while (bytes < targetBytes) {
    for (const event of sample) {
      const line = `${JSON.stringify({ ...event, RecordNumber: ++record })}\n`;
      bytes += Buffer.byteLength(line);
      if (!out.write(line)) await once(out, "drain");
      if (bytes >= targetBytes) break;
    }
  }
  out.end();
  await once(out, "finish");
}

function residentHighWater(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

try {
  await writeInput();
  const size = statSync(ndjson).size;
  console.log(`input: ${(size / 2 ** 30).toFixed(2)} GiB of NDJSON (${ndjson})`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "src/cli/main.ts"), "detect", "--no-builtin", "--rules", rules, "--stats", ndjson],
    { stdio: ["ignore", "ignore", "pipe"], cwd: root },
  );
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, residentHighWater(child.pid!) ?? 0);
  }, 100);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  clearInterval(sampler);
  const statsLine = stderr.trim().split("\n").at(-1) ?? "";
  if (code !== 0) throw new Error(`detect exited ${code}: ${stderr.slice(-2000)}`);
  const stats = JSON.parse(statsLine) as { events: number; alerts: number; seconds: number };
  console.log(`detect: ${stats.events} events, ${stats.alerts} alerts in ${stats.seconds} s (${(stats.events / stats.seconds).toFixed(0)} events/s)`);
  console.log(`peak resident memory: ${(peak / 2 ** 20).toFixed(0)} MiB (target < 1024 MiB; ${((peak / size) * 100).toFixed(1)}% of the input size)`);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
