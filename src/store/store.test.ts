import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { testJob } from "../../test/support/jobs.js";
import { claimJob, enqueue, handles, nextCounter, queueCounts, runUntilIdle } from "./index.js";

describe(`store (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("opens the backend under test and migrates it", async () => {
    expect(env.store.kind).toBe(testStoreKind());
    const tables = await env.store.db.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["alerts", "cases", "audit_events", "jobs"]));
  });

  it("counts without gaps inside transactions", async () => {
    const values = await Promise.all(
      Array.from({ length: 20 }, () => env.store.db.transaction().execute((trx) => nextCounter(trx, "x"))),
    );
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("queues a job once per dedupe key and hands it to one worker", async () => {
    const K = testJob("k", () => "same");
    await enqueue(env.store.db, K, { n: 1 });
    await enqueue(env.store.db, K, { n: 2 });
    const [a, b] = await Promise.all([
      claimJob(env.store.db, { workerId: "a" }),
      claimJob(env.store.db, { workerId: "b" }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((a ?? b)!.payload).toEqual({ n: 1 });
  });

  it("rolls a failed handler back and retries it later", async () => {
    const BOOM = testJob("boom");
    await enqueue(env.store.db, BOOM, {});
    let calls = 0;
    const stats = await runUntilIdle(env.store.db, {
      handlers: handles(BOOM, {
        handle: async (trx) => {
          calls++;
          await nextCounter(trx, "written-then-rolled-back");
          throw new Error("handler failed");
        },
      }),
    });
    expect(stats).toEqual({ processed: 0, failed: 1 });
    expect(calls).toBe(1);
    const counter = await env.store.db.selectFrom("counters").selectAll().execute();
    expect(counter).toEqual([]);
    expect(await queueCounts(env.store.db)).toEqual({ queued: 1 });
  });
});
