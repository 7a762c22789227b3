import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { testJob } from "../../test/support/jobs.js";
import { enqueue, handles, runUntilIdle } from "./index.js";

const FAILS = testJob("retry.fails");
const SLOW = testJob("retry.slow");

// runUntilIdle tries each job at most once per run (issue 13 item 0): a job that fails is left queued for its
// retry after the backoff, whatever the run does meanwhile. It used to be tried again whenever the rest of the
// run outlasted the backoff (1 s after a first failure) — as a loaded machine makes it — so the same test
// counted one failure on a quiet machine and two on a busy one.

describe(`runUntilIdle and failed jobs (${testStoreKind()})`, () => {
  const { db } = useTestEnvironment();

  it("leaves a failed job for its retry later, even when the rest of the run outlasts the backoff", async () => {
    const ran: string[] = [];
    const handlers = {
      ...handles(FAILS, {
        handle: async () => {
          ran.push("fails");
          throw new Error("broken");
        },
      }),
      // Slower than the first backoff (500 ms × 2): a busy machine makes any job this slow.
      ...handles(SLOW, {
        handle: async () => {
          ran.push("slow");
          await new Promise((resolve) => setTimeout(resolve, 1_300));
        },
      }),
    };
    await enqueue(db(), FAILS, {});
    await enqueue(db(), SLOW, {});
    expect(await runUntilIdle(db(), { handlers })).toEqual({ processed: 1, failed: 1 });
    expect(ran).toEqual(["fails", "slow"]);
    const failed = await db().selectFrom("jobs").select(["status", "attempts", "last_error"]).where("kind", "=", FAILS.kind).executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ status: "queued", attempts: 1, last_error: "Error: broken" });
  });
});
