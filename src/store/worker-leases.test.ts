import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { testJob } from "../../test/support/jobs.js";
import { enqueue, handles, queueCounts, runUntilIdle, startWorker } from "./index.js";

const root = path.resolve(import.meta.dirname, "../..");

describe(`runUntilIdle and jobs leased to other workers (${testStoreKind()})`, () => {
  const { db, env } = useTestEnvironment();
  const done: string[] = [];
  const LEASE_TEST = testJob("lease.test");
  const handlers = handles(LEASE_TEST, { handle: async (_trx, job) => void done.push(job.id) });

  it("takes over the jobs of a worker process that was killed, and reports them", async () => {
    await enqueue(db(), LEASE_TEST, { n: 1 });
    // tsx as a loader in this one process (its CLI would run the script in a grandchild that a kill misses).
    const tsx = (file: string) => pathToFileURL(path.join(root, "node_modules/tsx/dist", file)).href;
    const child = spawn(
      process.execPath,
      ["--import", tsx("loader.mjs"), path.join(root, "test/support/lease-holder.ts"), env().home, env().config.database_url ?? "", "lease.test"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("claimed") && resolve());
        child.once("exit", (code) => reject(new Error(`lease holder exited early (${code})`)));
      });
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    expect(await queueCounts(db())).toEqual({ running: 1 });

    done.length = 0;
    const stats = await runUntilIdle(db(), { handlers });
    expect(stats.processed).toBe(1);
    expect(stats.reclaimed).toBe(1);
    expect(stats.reclaimedFrom).toEqual([expect.stringContaining(`:${child.pid}:`)]);
    expect(await queueCounts(db())).toEqual({ done: 1 });
  });

  it("waits for a job leased to a worker it cannot see, and takes it over when the lease runs out", async () => {
    await enqueue(db(), LEASE_TEST, { n: 2 });
    await db()
      .updateTable("jobs")
      .set({ status: "running", locked_by: "another-host:1:abc", locked_until: new Date(Date.now() + 400).toISOString(), attempts: 1 })
      .execute();
    done.length = 0;
    const stats = await runUntilIdle(db(), { handlers, pollMs: 50 });
    expect(stats).toMatchObject({ processed: 1, reclaimed: 1, reclaimedFrom: ["another-host:1:abc"] });
    expect(done).toHaveLength(1);
  });
});

describe(`workers and the event loop (${testStoreKind()})`, () => {
  const { db } = useTestEnvironment();

  it("let I/O in between two jobs: a callback queued while the worker is busy runs before the queue is empty", async () => {
    const BUSY_TEST = testJob("busy.test");
    for (let i = 0; i < 30; i++) await enqueue(db(), BUSY_TEST, { i });
    let handled = 0;
    const seenAt: number[] = [];
    const stop = startWorker(db(), { handlers: handles(BUSY_TEST, { handle: async () => void handled++ }), pollMs: 10 });
    // An "HTTP request" arriving once the worker is under way: it must not wait for all 30 jobs.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (handled === 0) return setImmediate(check);
        seenAt.push(handled);
        resolve();
      };
      setImmediate(check);
    });
    await stop();
    expect(seenAt[0]).toBeLessThan(30);
  });
});
