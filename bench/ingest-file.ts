/**
 * `ingest alerts` on large files: writes `--alerts` generic alerts as NDJSON, a JSON array and CSV, then
 *  1. reads each with the import's record reader (parse only) and prints records/s and MB/s against a
 *     baseline measured in the same run (the file's lines cut with Buffer.indexOf, no JSON),
 *  2. imports the NDJSON file into a fresh SQLite store (`importAlertFile`, both passes) and prints alerts/s,
 *  3. reads one file whose single line is `--line-mb` MB (the case that used to be quadratic) and a file of
 *     as many bytes in normal lines, printing the time ratio and the growth of resident memory.
 *
 *   npx tsx bench/ingest-file.ts [--alerts 100000] [--line-mb 40]
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { importAlertFile } from "../src/ingest/index.js";
import { openRecords, type FileFormat } from "../src/ingest/readers.js";
import { openStore } from "../src/store/index.js";

const { values } = parseArgs({ options: { alerts: { type: "string", default: "100000" }, "line-mb": { type: "string", default: "40" } } });
const count = Number(values.alerts);
const lineBytes = Number(values["line-mb"]) * 1_000_000;
const dir = mkdtempSync(path.join(tmpdir(), "nightshift-bench-ingest-file-"));

const alert = (i: number) => ({
  title: `Outbound connection to a rare domain ${i % 97}`,
  time: new Date(Date.UTC(2026, 10, 24) + i * 1000).toISOString(),
  severity: ["low", "medium", "high"][i % 3],
  source: "bench",
  source_id: `b-${i}`,
  host: `ws-${i % 500}`,
  src: `10.0.${(i >> 8) & 255}.${i & 255}`,
  dst: { domain: `d${i % 1000}.example`, port: 443 },
  flow_id: 1234567890123456789n + BigInt(i),
});
const jsonOf = (i: number) => JSON.stringify(alert(i), (_k, v: unknown) => (typeof v === "bigint" ? `@${v}@` : v)).replace(/"@(\d+)@"/g, "$1");

async function write(file: string, lines: Iterable<string>): Promise<string> {
  const out = createWriteStream(file);
  for (const line of lines) if (!out.write(line)) await once(out, "drain");
  out.end();
  await once(out, "finish");
  return file;
}
function* ndjsonLines() {
  for (let i = 0; i < count; i++) yield `${jsonOf(i)}\n`;
}
function* jsonArray() {
  yield "[\n";
  for (let i = 0; i < count; i++) yield `${i ? ",\n" : ""}${jsonOf(i)}`;
  yield "\n]\n";
}
function* csvLines() {
  yield "title,time,severity,source,source_id,host.name,src.ip\n";
  for (let i = 0; i < count; i++) {
    const a = alert(i);
    yield `${a.title},${a.time},${a.severity},${a.source},${a.source_id},${a.host},${a.src}\n`;
  }
}
function* oneLongLine() {
  const piece = "A".repeat(1_000_000);
  yield '{"title": "one long line", "source": "bench", "source_id": "long", "description": "';
  for (let n = 0; n < lineBytes / piece.length; n++) yield piece;
  yield '"}\n';
}
function* manyLines() {
  const line = `${JSON.stringify({ title: "x", description: "A".repeat(10_000) })}\n`;
  for (let n = 0; n < lineBytes / line.length; n++) yield line;
}

/** The baseline: the same bytes streamed and cut at newlines, nothing parsed. */
async function baseline(file: string): Promise<number> {
  const start = performance.now();
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let at = -1;
    while ((at = chunk.indexOf(10, at + 1)) !== -1) lines++;
  }
  if (lines < 0) throw new Error("unreachable");
  return (performance.now() - start) / 1000;
}

async function readAll(file: string, format: FileFormat): Promise<{ seconds: number; records: number; rssGrowth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  let records = 0;
  for await (const record of (await openRecords(file, format)).records) {
    if (record.error !== undefined) throw new Error(`${file}: record ${record.record}: ${record.error}`);
    records++;
  }
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  return { seconds, records, rssGrowth: Math.max(peak, process.memoryUsage().rss) - before };
}

const mb = (bytes: number) => bytes / 1_000_000;
try {
  const files: [FileFormat, string][] = [
    ["ndjson", await write(path.join(dir, "alerts.ndjson"), ndjsonLines())],
    ["json", await write(path.join(dir, "alerts.json"), jsonArray())],
    ["csv", await write(path.join(dir, "alerts.csv"), csvLines())],
  ];
  console.log(`${count} alerts per file`);
  for (const [format, file] of files) {
    const size = statSync(file).size;
    const base = await baseline(file);
    const read = await readAll(file, format);
    console.log(
      `${format.padEnd(6)} ${mb(size).toFixed(1)} MB: ${(read.records / read.seconds).toFixed(0)} records/s, ${(mb(size) / read.seconds).toFixed(1)} MB/s ` +
        `(baseline line cut ${(mb(size) / base).toFixed(0)} MB/s; ratio ${(base / read.seconds).toFixed(3)}), resident +${mb(read.rssGrowth).toFixed(0)} MB`,
    );
  }

  const home = mkdtempSync(path.join(dir, "home-"));
  const store = await openStore({ home });
  try {
    const start = performance.now();
    const result = await importAlertFile(store.db, files[0]![1]);
    const seconds = (performance.now() - start) / 1000;
    console.log(`import ndjson into SQLite: ${result.created} created in ${seconds.toFixed(1)} s (${(result.records / seconds).toFixed(0)} alerts/s, validate + import passes)`);
  } finally {
    await store.close();
  }

  const long = await write(path.join(dir, "long-line.ndjson"), oneLongLine());
  const many = await write(path.join(dir, "many-lines.ndjson"), manyLines());
  const manyRead = await readAll(many, "ndjson");
  const longRead = await readAll(long, "ndjson");
  console.log(
    `one ${mb(statSync(long).size).toFixed(0)} MB line: ${longRead.seconds.toFixed(2)} s, resident +${mb(longRead.rssGrowth).toFixed(0)} MB; ` +
      `the same bytes in ${manyRead.records} lines: ${manyRead.seconds.toFixed(2)} s, resident +${mb(manyRead.rssGrowth).toFixed(0)} MB; ` +
      `ratio long/many ${(longRead.seconds / manyRead.seconds).toFixed(2)} (linear reading keeps it near 1)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
