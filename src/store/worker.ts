import { hostname } from "node:os";
import { newId, systemClock, type Clock } from "../core/index.js";
import type { Db, Executor } from "./database.js";
import { claimJob, completeJob, failJob, type Job } from "./queue.js";

/** A stage's handler: its writes and the job's completion commit in one transaction. */
export type JobHandler = (trx: Executor, job: Job) => Promise<void>;
/** Work after the commit that must not roll back with it (files on disk); must be idempotent. */
export type AfterCommit = (job: Job) => Promise<void>;

export interface HandlerEntry {
  handle: JobHandler;
  afterCommit?: AfterCommit;
}

export interface WorkerOptions {
  handlers: Record<string, HandlerEntry>;
  clock?: Clock;
  workerId?: string;
  onError?: (job: Job, error: unknown) => void;
}

export interface RunStats {
  processed: number;
  failed: number;
}

async function runOne(db: Db, options: WorkerOptions, workerId: string, stats: RunStats): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  const job = await claimJob(db, { workerId, kinds: Object.keys(options.handlers), clock: systemClock });
  if (!job) return false;
  const entry = options.handlers[job.kind]!;
  try {
    await db.transaction().execute(async (trx) => {
      await entry.handle(trx, job);
      await completeJob(trx, job.id, clock);
    });
    if (entry.afterCommit) await entry.afterCommit(job);
    stats.processed++;
  } catch (error) {
    stats.failed++;
    options.onError?.(job, error);
    await failJob(db, job, error, systemClock);
  }
  return true;
}

/** Works the queue until no runnable job is left (jobs waiting on backoff are left for later). */
export async function runUntilIdle(db: Db, options: WorkerOptions): Promise<RunStats> {
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  const stats: RunStats = { processed: 0, failed: 0 };
  while (await runOne(db, options, workerId, stats)) {
    /* keep going */
  }
  return stats;
}

/** A long-running worker that polls the queue; returns a stop function that waits for the current job. */
export function startWorker(db: Db, options: WorkerOptions & { pollMs?: number }): () => Promise<void> {
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  const stats: RunStats = { processed: 0, failed: 0 };
  let stopped = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      let worked = false;
      try {
        worked = await runOne(db, options, workerId, stats);
      } catch (error) {
        options.onError?.({ id: "-", kind: "-", payload: null, attempts: 0 }, error);
      }
      if (!worked && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs ?? 250);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
  })();
  return async () => {
    stopped = true;
    (wake as (() => void) | null)?.();
    await loop;
  };
}
