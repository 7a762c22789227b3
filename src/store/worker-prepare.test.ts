import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { testJob } from "../../test/support/jobs.js";
import { enqueue, handles, queueCounts, runUntilIdle } from "./index.js";

const SLOW = testJob("slow");
const OTHER = testJob("other");

describe(`worker prepare phase (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("runs prepare outside any transaction, so other writers commit meanwhile, then commits what it returned", async () => {
    await enqueue(env.store.db, SLOW, { n: 7 });
    const committed: unknown[] = [];
    const stats = await runUntilIdle(env.store.db, {
      handlers: handles(SLOW, {
        async prepare(db, job) {
          // Another writer commits while the slow work runs: it would wait on a held transaction (SQLite) otherwise.
          await enqueue(db, OTHER, { written: "during prepare" });
          return { doubled: (job.payload as { n: number }).n * 2 };
        },
        async handle(_trx, _job, prepared) {
          committed.push(prepared);
        },
      }),
    });
    expect(stats).toEqual({ processed: 1, failed: 0 });
    expect(committed).toEqual([{ doubled: 14 }]);
    const other = await env.store.db.selectFrom("jobs").select("status").where("kind", "=", "other").execute();
    expect(other).toEqual([{ status: "queued" }]);
    expect(await queueCounts(env.store.db)).toMatchObject({ done: 1 });
  });

  it("refuses the commit when another worker took the job over while it was prepared", async () => {
    await enqueue(env.store.db, SLOW, {});
    let handled = 0;
    const errors: string[] = [];
    const stats = await runUntilIdle(env.store.db, {
      handlers: handles(SLOW, {
        async prepare(db, job) {
          // Simulates a lapsed lease claimed by someone else.
          await db.updateTable("jobs").set({ locked_by: "someone-else" }).where("id", "=", job.id).execute();
          return null;
        },
        async handle() {
          handled++;
        },
      }),
      onError: (_job, error) => errors.push(String(error)),
    });
    expect(handled).toBe(0);
    expect(stats.failed).toBe(1);
    expect(errors[0]).toMatch(/taken over by another worker/);
  });
});
