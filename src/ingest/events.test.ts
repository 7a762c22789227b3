import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJsonDocuments, sharedPath } from "../../test/support/shared.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { DETECT_JOB, ValidationError, fixedClock } from "../core/index.js";
import { getEvents } from "../events/index.js";
import { fromJson, type Db } from "../store/index.js";
import { importEventFiles, ingestEvents } from "./events.js";

const CLOCK = fixedClock("2026-11-24T10:00:00.000Z");
const TWINS = sharedPath("data/sigma/regression_data/regression_data/rules/windows");
const CERTUTIL_JSON = path.join(TWINS, "process_creation/proc_creation_win_certutil_decode/cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7.json");
const NEW_USER_EVTX = sharedPath("data/evtx-samples/DeepBlueCLI/new-user-security.evtx");

async function eventCount(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from events`.execute(db);
  return Number(rows[0]!.n);
}

async function detectJobs(db: Db): Promise<{ ids: string[] }[]> {
  const rows = await db.selectFrom("jobs").select("payload").where("kind", "=", DETECT_JOB.kind).orderBy("id").execute();
  return rows.map((row) => fromJson<{ ids: string[] }>(row.payload, { ids: [] }));
}

describe(`ingestEvents (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("stores normalised events and queues one detection job for the new ones, once", async () => {
    const [sysmon] = await readJsonDocuments(CERTUTIL_JSON);
    const ecs = {
      "@timestamp": "2026-11-24T09:00:00.000Z",
      host: { name: "ws-17" },
      winlog: { channel: "Security", event_id: 4688, event_data: { NewProcessName: "C:\\Windows\\System32\\whoami.exe" } },
    };
    const first = await ingestEvents(env.store.db, [sysmon, ecs], { origin: { file: "api" }, clock: CLOCK });
    expect(first.stored).toBe(2);
    expect(first.duplicates).toBe(0);
    expect(first.untimed).toBe(0);
    expect(new Set(first.ids).size).toBe(2);
    const stored = await getEvents(env.store.db, first.ids);
    expect(stored.map((e) => [e.host, e.event_id, e.origin])).toEqual([
      ["ar-win-dc.attackrange.local", "1", { file: "api", record: 1 }],
      ["ws-17", "4688", { file: "api", record: 2 }],
    ]);
    expect(stored[0]!.data).toMatchObject({ Image: "C:\\Windows\\System32\\certutil.exe", Channel: "Microsoft-Windows-Sysmon/Operational" });
    expect(await detectJobs(env.store.db)).toEqual([{ ids: first.ids }]);

    const again = await ingestEvents(env.store.db, [ecs, sysmon, ecs], { origin: { file: "api" }, clock: CLOCK });
    expect(again).toEqual({ ids: [first.ids[1], first.ids[0], first.ids[1]], stored: 0, duplicates: 3, untimed: 0 });
    expect(await detectJobs(env.store.db)).toHaveLength(1);

    // An event whose time Nightshift cannot read is stored with its arrival time, and counted.
    const timeless = await ingestEvents(env.store.db, [{ EventID: 4688, Channel: "Security", when: "yesterday" }], { origin: { file: "api" }, clock: CLOCK });
    expect(timeless).toMatchObject({ stored: 1, untimed: 1 });
    expect((await getEvents(env.store.db, timeless.ids))[0]!.time).toBe(CLOCK.now().toISOString());
    expect(await eventCount(env.store.db)).toBe(3);
  });

  it("rejects a batch with one element that is not an event, naming it, and stores nothing", async () => {
    const error = await ingestEvents(env.store.db, [{ EventID: 1, Computer: "a" }, "just text", {}, [1]], { origin: { file: "api" }, clock: CLOCK }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["[1]", "[2]", "[3]"]);
    expect((error as ValidationError).issues[0]!.message).toMatch(/expected a JSON object.*a string/);
    expect(await eventCount(env.store.db)).toBe(0);
    expect(await detectJobs(env.store.db)).toEqual([]);
  });

  it("joins the caller's transaction: a rollback leaves neither events nor the job", async () => {
    await env.store.db
      .transaction()
      .execute(async (trx) => {
        await ingestEvents(trx, [{ EventID: 4624, Computer: "dc1" }], { origin: { file: "api" }, clock: CLOCK });
        throw new Error("caller fails after ingesting");
      })
      .catch(() => undefined);
    expect(await eventCount(env.store.db)).toBe(0);
    expect(await detectJobs(env.store.db)).toEqual([]);
  });
});

describe(`importEventFiles (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-events-"));
  });
  afterEach(async () => {
    await env.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("streams an EVTX file in batches, one detection job per batch, and a second import is all duplicates", async () => {
    const progress: number[] = [];
    const first = await importEventFiles(env.store.db, [NEW_USER_EVTX], { clock: CLOCK, batchSize: 3, onProgress: (p) => progress.push(p.events) });
    expect(first.files).toBe(1);
    expect(first.events).toBeGreaterThan(3);
    expect(first.stored + first.duplicates).toBe(first.events);
    expect(first.errors).toBe(0);
    expect(await eventCount(env.store.db)).toBe(first.stored);
    const jobs = await detectJobs(env.store.db);
    expect(jobs).toHaveLength(Math.ceil(first.events / 3));
    expect(jobs.flatMap((job) => job.ids)).toHaveLength(first.stored);
    expect(progress.length).toBeGreaterThan(0);

    const second = await importEventFiles(env.store.db, [NEW_USER_EVTX], { clock: CLOCK });
    expect(second).toMatchObject({ files: 1, events: first.events, stored: 0, duplicates: first.events, errors: 0 });
    expect(await detectJobs(env.store.db)).toHaveLength(jobs.length);
  });

  it("skips and counts unreadable records, keeping the good ones", async () => {
    const file = path.join(dir, "mixed.ndjson");
    writeFileSync(file, `{"EventID": 1, "Computer": "a"}\nnot json\n{}\n{"EventID": 2, "Computer": "b"}\n`);
    const result = await importEventFiles(env.store.db, [dir], { clock: CLOCK });
    expect(result).toMatchObject({ files: 1, events: 2, stored: 2, duplicates: 0, errors: 2 });
    expect(result.errorSamples).toHaveLength(2);
    expect(result.errorSamples[0]).toContain(`${file}:2`);
  });

  it("refuses a missing path before storing anything", async () => {
    const error = await importEventFiles(env.store.db, [NEW_USER_EVTX, path.join(dir, "nope.evtx")], { clock: CLOCK }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path).toBe(path.join(dir, "nope.evtx"));
    expect(await eventCount(env.store.db)).toBe(0);
  });
});
