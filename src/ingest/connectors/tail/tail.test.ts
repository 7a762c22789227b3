import { appendFileSync, closeSync, copyFileSync, mkdtempSync, openSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { runConnector } from "../runner.js";
import { listConnectorStatus, loadState } from "../state.js";
import { EMPTY_CHECKPOINT, type Checkpoint } from "../types.js";
import { createTailConnector, lineHash, tailCursorOf, type LineDecoder } from "./connector.js";
import { initialCursor, readPage, TailSettings, type TailCursor } from "./tail.js";

/** A JSON-per-line decoder for the tail's own tests: `{"id": "...", "t": "..."}` → an alert. */
const jsonDecoder: LineDecoder<null> = {
  initial: () => null,
  decode(line) {
    let record: { id?: string; t?: string };
    try {
      record = JSON.parse(line) as { id?: string; t?: string };
    } catch {
      return { result: { kind: "reject", reason: "not JSON" }, state: null };
    }
    if (record.id === undefined) return { result: { kind: "skip" }, state: null };
    return { result: { kind: "alert", alert: { title: `event ${record.id}`, source: "tailtest", source_id: `${record.id}:${lineHash(line)}`, time: record.t ?? "2026-11-24T10:00:00Z" } }, state: null };
  },
};

const rec = (id: string | number, t = "2026-11-24T10:00:00Z") => `${JSON.stringify({ id: String(id), t })}\n`;
const recs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => rec(from + i)).join("");

describe("readPage over real files", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-tail-"));
    file = path.join(dir, "eve.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const settings = (over: Record<string, unknown> = {}) => TailSettings.parse({ path: file, ...over });
  async function drain(cursor: TailCursor, s = settings()) {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      const page = await readPage(cursor, s);
      lines.push(...page.lines.map((l) => l.text));
      cursor = page.cursor;
      if (!page.more) break;
    }
    return { lines, cursor };
  }

  it("reads complete lines only: a partial last line waits for its newline", async () => {
    writeFileSync(file, `${rec(1)}{"id":"2"`);
    let { lines, cursor } = await drain(initialCursor(file));
    expect(lines).toEqual([rec(1).trim()]);
    expect(cursor.offset).toBe(rec(1).length);
    appendFileSync(file, `}\n${rec(3)}`);
    ({ lines, cursor } = await drain(cursor));
    expect(lines).toEqual(['{"id":"2"}', rec(3).trim()]);
    expect(cursor.status).toBe("caught up");
  });

  it("bounds a page by lines and by bytes and says more is waiting", async () => {
    writeFileSync(file, recs(1, 10));
    const first = await readPage(initialCursor(file), settings({ max_lines: 4 }));
    expect(first.lines.map((l) => l.number)).toEqual([1, 2, 3, 4]);
    expect(first.more).toBe(true);
    const byBytes = await readPage(initialCursor(file), settings({ max_bytes: 1024 }));
    expect(byBytes.lines.length).toBe(10);
    expect(byBytes.more).toBe(false);
    writeFileSync(file, recs(1, 200));
    const bounded = await readPage(initialCursor(file), settings({ max_bytes: 1024 }));
    expect(bounded.more).toBe(true);
    expect(bounded.lines.length).toBe(Math.floor(1024 / rec(1).length));
    const { lines } = await drain(initialCursor(file), settings({ max_bytes: 1024 }));
    expect(lines.length).toBe(200);
  });

  it("skips a line longer than a whole page and goes on after it", async () => {
    writeFileSync(file, `${rec(1)}${"x".repeat(3000)}\n${rec(2)}`);
    const s = settings({ max_bytes: 1024 });
    let cursor = initialCursor(file);
    const lines: string[] = [];
    const rejected: number[] = [];
    for (let i = 0; i < 10; i++) {
      const page = await readPage(cursor, s);
      lines.push(...page.lines.map((l) => l.text));
      rejected.push(...page.rejections.map((r) => r.line));
      cursor = page.cursor;
      if (!page.more) break;
    }
    expect(lines).toEqual([rec(1).trim(), rec(2).trim()]);
    expect(rejected).toEqual([2]);
  });

  it("waits for a missing file without an error, then reads it when it appears", async () => {
    const page = await readPage(initialCursor(file), settings());
    expect(page.lines).toEqual([]);
    expect(page.more).toBe(false);
    expect(page.cursor.status).toMatch(/^waiting: .*does not exist/);
    writeFileSync(file, recs(1, 2));
    const { lines } = await drain(page.cursor);
    expect(lines.length).toBe(2);
  });

  it("starts at the end of an existing file when told to, never mid-line", async () => {
    writeFileSync(file, `${recs(1, 3)}{"id":"4"`);
    const first = await drain(initialCursor(file), settings({ start_at: "end" }));
    expect(first.lines).toEqual([]);
    appendFileSync(file, `}\n${rec(5)}`);
    const second = await drain(first.cursor, settings({ start_at: "end" }));
    expect(second.lines).toEqual(['{"id":"4"}', rec(5).trim()]);
  });

  it("start_at end applies to a file that exists at the first run; one that appears later is read whole", async () => {
    const waiting = await readPage(initialCursor(file), settings({ start_at: "end" }));
    writeFileSync(file, recs(1, 2));
    const { lines } = await drain(waiting.cursor, settings({ start_at: "end" }));
    expect(lines.length).toBe(2);
  });

  it("finishes a renamed file (the writer still appending to it) before the new one, then never re-reads it", async () => {
    writeFileSync(file, recs(1, 3));
    let { lines, cursor } = await drain(initialCursor(file));
    expect(lines.length).toBe(3);
    const writer = openSync(file, "a");
    writeSync(writer, rec(4));
    renameSync(file, `${file}.1`);
    // Until it reopens, the writer appends to the renamed inode; a line is cut in the middle.
    writeSync(writer, `${rec(5)}{"id":"6"`);
    ({ lines, cursor } = await drain(cursor));
    expect(lines).toEqual([rec(4).trim(), rec(5).trim()]);
    expect(cursor.status).toMatch(/not re-created/);
    writeSync(writer, "}\n");
    closeSync(writer);
    writeFileSync(file, recs(7, 8));
    ({ lines, cursor } = await drain(cursor));
    expect(lines).toEqual(['{"id":"6"}', ...recs(7, 8).trim().split("\n")]);
    expect(cursor.file).toBe(file);
    expect(cursor.note).toMatch(/finished rotated eve\.json\.1/);
    ({ lines } = await drain(cursor));
    expect(lines).toEqual([]);
  });

  it("treats the unterminated last line of a rotated file as complete once the writer writes the new file", async () => {
    writeFileSync(file, `${rec(1)}{"id":"2"}`);
    let { lines, cursor } = await drain(initialCursor(file));
    expect(lines.length).toBe(1);
    renameSync(file, `${file}.1`);
    writeFileSync(file, rec(3));
    ({ lines, cursor } = await drain(cursor));
    expect(lines).toEqual(['{"id":"2"}', rec(3).trim()]);
  });

  it("recovers the lines of a copytruncate from the copy, then reads the truncated file from 0", async () => {
    writeFileSync(file, recs(1, 3));
    let { lines, cursor } = await drain(initialCursor(file));
    appendFileSync(file, recs(4, 5));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, rec(6));
    ({ lines, cursor } = await drain(cursor));
    // Lines 4 and 5 exist only in the copy: reading them proves the copy was found by its head and finished.
    expect(lines).toEqual(recs(4, 6).trim().split("\n"));
    expect(cursor.note).toMatch(/finished rotated eve\.json\.1/);
  });

  it("re-reads a file rewritten in place (same inode, longer, different head) from the start", async () => {
    writeFileSync(file, recs(1, 2));
    let { lines, cursor } = await drain(initialCursor(file));
    const inode = cursor.ino;
    writeFileSync(file, recs(10, 14));
    ({ lines, cursor } = await drain(cursor));
    expect(cursor.ino).toBe(inode);
    expect(lines).toEqual(recs(10, 14).trim().split("\n"));
    expect(cursor.note).toMatch(/rewritten/);
  });

  it("never re-reads a compressed rotation and says what was lost when the old file is gone", async () => {
    writeFileSync(file, recs(1, 2));
    const { cursor } = await drain(initialCursor(file));
    appendFileSync(file, rec(3));
    renameSync(file, `${file}.1.gz`);
    writeFileSync(file, rec(4));
    const after = await drain(cursor);
    expect(after.lines).toEqual([rec(4).trim()]);
    expect(after.cursor.note).toMatch(/replaced and the old file was not found .* after byte \d+ was not read/);
  });
});

describe(`a tail connector through the runner (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  let file: string;
  const clock = fixedClock("2026-11-24T10:05:00Z");
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-tail-"));
    file = path.join(dir, "app.json");
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });
  const connector = (over: Record<string, unknown> = {}) =>
    createTailConnector({ name: "tail-lab", kind: "tailtest", intervalSeconds: 10, tail: TailSettings.parse({ path: file, max_lines: 3, ...over }), decoder: jsonDecoder });
  const stored = async () => (await listAlerts(env.store.db, { limit: 1000 })).map((a) => a.title.replace("event ", "")).sort((a, b) => Number(a) - Number(b));
  const run = (extra: Parameters<typeof runConnector>[2] = {}, over: Record<string, unknown> = {}) => runConnector(env.store.db, connector(over), { clock, ...extra });
  const expected = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));

  it("counts non-JSON lines as rejected with their line numbers and goes on", async () => {
    writeFileSync(file, `${rec(1)}not json at all\n${rec(2)}{"broken":\n${rec(3)}{"other":"record"}\n`);
    const summary = await run();
    expect(summary).toMatchObject({ error: null, created: 3, caught_up: true });
    const state = await loadState(env.store.db, "tail-lab");
    expect(Number(state.row?.rejected)).toBe(2);
    const cursor = tailCursorOf(state.checkpoint, file);
    expect(cursor.recent_rejections.map((r) => [path.basename(r.file), r.line, r.reason])).toEqual([
      ["app.json", 2, "not JSON"],
      ["app.json", 4, "not JSON"],
    ]);
    expect(await stored()).toEqual(["1", "2", "3"]);
  });

  it("a missing file is not an error: health has no error and the cursor says waiting", async () => {
    const summary = await run();
    expect(summary).toMatchObject({ error: null, created: 0, caught_up: true });
    const state = await loadState(env.store.db, "tail-lab");
    expect(state.row?.last_error).toBeNull();
    expect(tailCursorOf(state.checkpoint, file).status).toMatch(/^waiting/);
    const [status] = await listConnectorStatus(env.store.db, [{ name: "tail-lab", kind: connector().kind }], clock);
    expect(status).toMatchObject({ name: "tail-lab", last_error: null, state: `waiting: ${file} does not exist` });

    writeFileSync(file, recs(1, 2));
    expect(await run()).toMatchObject({ error: null, created: 2 });
    const [after] = await listConnectorStatus(env.store.db, [{ name: "tail-lab", kind: connector().kind }], clock);
    expect(after).toMatchObject({ state: "caught up", created: 2 });
  });

  it("loses and duplicates nothing when a page's transaction fails before commit", async () => {
    writeFileSync(file, recs(1, 8));
    const crashed = await run({
      beforeCommit: (_trx, page) => {
        if (page === 2) throw new Error("killed between fetch and commit");
      },
    });
    expect(crashed.error).toMatch(/killed/);
    expect(crashed.created).toBe(3);
    const resumed = await run();
    expect(resumed).toMatchObject({ error: null, created: 5, duplicates: 0, caught_up: true });
    expect(await stored()).toEqual(expected(8));
  });

  it("a cursor lost after a crash (checkpoint never committed) re-reads and idempotency drops the duplicates", async () => {
    writeFileSync(file, recs(1, 4));
    await run();
    const fresh = await runConnector(env.store.db, { ...connector(), name: "tail-lab-2" }, { clock });
    expect(fresh).toMatchObject({ created: 0, duplicates: 4 });
  });

  it("stores every record exactly once over a sequence of appends, rename rotations, copytruncates and crashes", async () => {
    let next = 1;
    const write = (n: number) => {
      appendFileSync(file, recs(next, next + n - 1));
      next += n;
    };
    let crashAt = 0;
    const step = async () => {
      const page = crashAt;
      crashAt = 0;
      return run(page ? { beforeCommit: (_t, p) => { if (p === page) throw new Error("crash"); } } : {});
    };
    write(5);
    await step();
    write(4);
    crashAt = 2;
    await step();
    // Rename rotation with unread lines in the old file and a writer still appending to it.
    const writer = openSync(file, "a");
    writeSync(writer, recs(next, next + 2));
    next += 3;
    renameSync(file, `${file}.1`);
    writeSync(writer, recs(next, next + 1));
    next += 2;
    closeSync(writer);
    write(3);
    crashAt = 1;
    await step();
    await step();
    // Copytruncate with lines written after the last read.
    write(2);
    await step();
    write(4);
    renameSync(`${file}.1`, `${file}.2`);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    write(2);
    await step();
    write(7);
    crashAt = 2;
    await step();
    await step();
    expect(await stored()).toEqual(expected(next - 1));
    const state = await loadState(env.store.db, "tail-lab");
    expect(Number(state.row?.duplicates)).toBe(0);
  });

  it("the checkpoint time is the newest alert time (the lag in health), the cursor the byte position", async () => {
    writeFileSync(file, rec(1, "2026-11-24T09:00:00Z") + rec(2, "2026-11-24T09:30:00.250Z"));
    await run();
    const { checkpoint } = await loadState(env.store.db, "tail-lab");
    expect(checkpoint.time).toBe("2026-11-24T09:30:00.250Z");
    expect(tailCursorOf(checkpoint, file).offset).toBe(rec(1, "2026-11-24T09:00:00Z").length + rec(2, "2026-11-24T09:30:00.250Z").length);
  });

  it("starts afresh when the configured path changes", async () => {
    writeFileSync(file, recs(1, 2));
    const c = connector();
    const page = await c.pull(EMPTY_CHECKPOINT, { clock, sleep: async () => {}, firstPage: true });
    const other = path.join(dir, "other.json");
    writeFileSync(other, recs(1, 1));
    const moved = createTailConnector({ name: "x", kind: "tailtest", intervalSeconds: 1, tail: TailSettings.parse({ path: other }), decoder: jsonDecoder });
    const second = await moved.pull(page.checkpoint as Checkpoint, { clock, sleep: async () => {}, firstPage: true });
    expect(second.alerts.length).toBe(1);
  });
});
