import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { runConnector } from "../runner.js";
import { loadState } from "../state.js";
import { tailCursorOf } from "../tail/connector.js";
import type { Connector } from "../types.js";
import { kind } from "./index.js";
import { INTEL_FIELDS, INTEL_TYPES, NOTICE_FIELDS, NOTICE_TYPES, intelJson, intelRow, jsonLine, noticeRow, tsvClose, tsvHeader } from "./testing.js";

const ts = (n: number) => `17955144${String(n).padStart(2, "0")}.000001`;
const notice = (n: number) => noticeRow({ ts: ts(n), src: `198.51.100.${n}`, msg: `198.51.100.${n} appears to be guessing SSH passwords (seen in 30 connections).` });

describe(`zeek connector over real log files (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  let log: string;
  const clock = fixedClock("2026-11-24T10:05:00Z");
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-zeek-"));
    log = path.join(dir, "notice.log");
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  function connector(over: Record<string, unknown> = {}): Connector {
    const settings = kind.settings.parse({ name: "zeek-notice", kind: "zeek", path: log, max_lines: 5, ...over });
    return kind.create(settings, { redact: (t) => t });
  }
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, ...extra });
  const stored = async () => (await listAlerts(env.store.db, { limit: 500 })).map((a) => a.src?.ip).sort();

  it("resumes mid-file with the header kept in the cursor, across pages and runs", async () => {
    writeFileSync(log, tsvHeader("notice", NOTICE_FIELDS, NOTICE_TYPES) + [1, 2, 3, 4].map(notice).join(""));
    const first = await run(connector());
    // 8 header lines and 4 rows in pages of 5: the rows of pages 2 and 3 are read with the header from the cursor.
    expect(first).toMatchObject({ error: null, created: 4, pages: 3 });
    appendFileSync(log, notice(5) + notice(6));
    expect(await run(connector())).toMatchObject({ error: null, created: 2, duplicates: 0 });
    const { checkpoint } = await loadState(env.store.db, "zeek-notice");
    expect(tailCursorOf(checkpoint, log).parser_state).toMatchObject({ path: "notice", fields: NOTICE_FIELDS });
    expect(await stored()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `198.51.100.${n}`).sort());
  });

  it("follows Zeek's own rotation: #close, rename to notice.<time>.log, new file with a new header", async () => {
    writeFileSync(log, tsvHeader("notice", NOTICE_FIELDS, NOTICE_TYPES) + notice(1));
    await run(connector());
    appendFileSync(log, notice(2) + tsvClose());
    renameSync(log, path.join(dir, "notice.2026-11-24-10-00-00.log"));
    // The new file's columns differ (a site that logs fewer fields): its own header must be used.
    const fields = NOTICE_FIELDS.filter((f) => f !== "email_dest");
    const types = NOTICE_TYPES.filter((_, i) => NOTICE_FIELDS[i] !== "email_dest");
    const row = (n: number) => notice(n).trimEnd().split("\t").filter((_, i) => NOTICE_FIELDS[i] !== "email_dest").join("\t") + "\n";
    writeFileSync(log, tsvHeader("notice", fields, types, "2026-11-24-11-00-00") + row(3));
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 2, duplicates: 0 });
    const state = await loadState(env.store.db, "zeek-notice");
    expect(Number(state.row?.rejected)).toBe(0);
    expect(await stored()).toEqual(["198.51.100.1", "198.51.100.2", "198.51.100.3"]);
  });

  it("started at the end of a file, it replays the header and reads only new notices", async () => {
    writeFileSync(log, tsvHeader("notice", NOTICE_FIELDS, NOTICE_TYPES) + notice(1) + notice(2));
    expect(await run(connector({ start_at: "end" }))).toMatchObject({ created: 0, error: null });
    appendFileSync(log, notice(3));
    expect(await run(connector({ start_at: "end" }))).toMatchObject({ created: 1, duplicates: 0 });
    expect(await stored()).toEqual(["198.51.100.3"]);
  });

  it("reads a JSON intel.log and survives a crash between fetch and commit", async () => {
    const intel = path.join(dir, "intel.log");
    writeFileSync(intel, Array.from({ length: 7 }, (_, i) => jsonLine(intelJson({ ts: 1795514400 + i, uid: `C${i}` }))).join(""));
    const c = connector({ name: "zeek-intel", path: intel, log: "intel" });
    const crashed = await run(c, { beforeCommit: (_t, page) => { if (page === 2) throw new Error("killed"); } });
    expect(crashed).toMatchObject({ created: 5, error: "killed" });
    expect(await run(c)).toMatchObject({ created: 2, duplicates: 0, error: null });
    expect(await listAlerts(env.store.db, { limit: 50 })).toHaveLength(7);
  });

  it("counts TSV rows that do not match the header as rejected, with line numbers", async () => {
    const intel = path.join(dir, "intel.log");
    writeFileSync(intel, tsvHeader("intel", INTEL_FIELDS, INTEL_TYPES) + intelRow() + "truncated\trow\n" + intelRow({ uid: "C2" }));
    const summary = await run(connector({ name: "zeek-intel", path: intel }));
    expect(summary).toMatchObject({ created: 2, error: null });
    const state = await loadState(env.store.db, "zeek-intel");
    expect(tailCursorOf(state.checkpoint, intel).recent_rejections).toEqual([{ file: intel, line: 10, reason: "expected 15 fields, found 2" }]);
  });
});
