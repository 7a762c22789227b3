/**
 * Parses the largest EVTX samples several times and prints records/s and MB/s against a baseline measured
 * in the same run: plain sequential `fs.read` of the same files in 64 KiB chunks (I/O only).
 *
 *   npx tsx bench/evtx.ts [--files 5] [--rounds 3]
 */
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { readEvtx } from "../src/detect/evtx/index.js";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
  },
});
const root = path.resolve(import.meta.dirname, "..");
const shared = path.resolve(root, "../shared/data");
const rounds = Number(values.rounds);

async function largestEvtx(count: number): Promise<{ file: string; size: number }[]> {
  const found: { file: string; size: number }[] = [];
  for (const dir of [path.join(shared, "evtx-samples"), path.join(shared, "sigma/regression_data")]) {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(".evtx")) continue;
      const file = path.join(entry.parentPath, entry.name);
      found.push({ file, size: (await stat(file)).size });
    }
  }
  return found.sort((a, b) => b.size - a.size).slice(0, count);
}

async function readOnly(file: string): Promise<number> {
  const handle = await open(file, "r");
  const buffer = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    while (true) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return total;
      total += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

async function parse(file: string): Promise<number> {
  let records = 0;
  for await (const record of readEvtx(file, { onError: () => undefined })) {
    if (record.record_id >= 0) records++;
  }
  return records;
}

/** Wall time and this process's CPU time (user + system): on a shared machine the CPU rate is the one-core speed. */
async function timed(files: { file: string }[], each: (file: string) => Promise<number>): Promise<{ seconds: number; cpuSeconds: number; count: number }> {
  let count = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let round = 0; round < rounds; round++) for (const { file } of files) count += await each(file);
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, count };
}

const files = await largestEvtx(Number(values.files));
if (files.length === 0) throw new Error(`no .evtx samples under ${shared}`);
const bytes = files.reduce((sum, f) => sum + f.size, 0) * rounds;
console.log(`${files.length} EVTX files, ${(bytes / rounds / 2 ** 20).toFixed(1)} MB, ${rounds} rounds:`);
for (const f of files) console.log(`  ${path.relative(shared, f.file)} (${(f.size / 2 ** 20).toFixed(1)} MB)`);

await timed(files, parse); // warm-up: JIT and page cache
const io = await timed(files, readOnly);
const parsed = await timed(files, parse);
const records = parsed.count;
const ioMbs = bytes / 2 ** 20 / io.seconds;
const parseMbs = bytes / 2 ** 20 / parsed.seconds;
console.log(`${"baseline: fs.read 64 KiB".padEnd(26)} ${ioMbs.toFixed(1).padStart(8)} MB/s  ${(records / io.seconds).toFixed(0).padStart(9)} records/s (same records, I/O only)`);
console.log(
  `${"readEvtx".padEnd(26)} ${parseMbs.toFixed(1).padStart(8)} MB/s  ${(records / parsed.seconds).toFixed(0).padStart(9)} records/s` +
    `  (${(records / parsed.cpuSeconds).toFixed(0)} records per CPU-second; target ≥ 30,000 on one core)`,
);
console.log(`ratio parse / I/O: ${(parseMbs / ioMbs).toFixed(3)}  (${records / rounds} records a round)`);
