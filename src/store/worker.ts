import { hostname } from "node:os";
import { issuesOf, newId, systemClock, ValidationError, type Clock, type JobKind, type JobPayload } from "../core/index.js";
import type { Db, Executor } from "./database.js";
import { claimJob, completeJob, expireLeases, extendLease, failJob, leasedElsewhere, stillLeased, type Job } from "./queue.js";

/** A stage's handler: its writes and the job's completion commit in one transaction. `prepared` is what `prepare` returned. */
export type JobHandler<P = unknown> = (trx: Executor, job: Job<P>, prepared?: unknown) => Promise<void>;
/**
 * Slow work before the transaction (a language-model run): it reads through `db` and returns what `handle`
 * then commits. No transaction is held meanwhile, so other writers go on; the job's lease is extended while
 * it runs, and the commit is refused if another worker took the job over in the meantime.
 */
export type JobPreparer<P = unknown> = (db: Db, job: Job<P>) => Promise<unknown>;
/** Work after the commit that must not roll back with it (files on disk, the site rebuild); must be idempotent. */
export type AfterCommit<P = unknown> = (job: Job<P>) => Promise<void>;

/** How a consumer works one job kind of src/core/pipeline.ts; its functions receive the validated payload. */
export interface HandlerEntry<P = unknown> {
  /** The kind this entry works: the worker validates every payload against its schema before the handler runs. */
  job: JobKind;
  // Method signatures: an entry of one kind's payload stands among the entries of any kind (`Handlers`).
  prepare?(db: Db, job: Job<P>): Promise<unknown>;
  handle(trx: Executor, job: Job<P>, prepared?: unknown): Promise<void>;
  afterCommit?(job: Job<P>): Promise<void>;
}

/** A consumer's handlers, keyed by job kind (build them with `handles`). */
export type Handlers = Record<string, HandlerEntry>;

/** The handler entry of one job kind, keyed by its kind: `{...handles(TRIAGE_JOB, {handle})}`. */
export function handles<J extends JobKind>(job: J, entry: Omit<HandlerEntry<JobPayload<J>>, "job">): Record<J["kind"], HandlerEntry<JobPayload<J>>> {
  return { [job.kind]: { job, ...entry } } as unknown as Record<J["kind"], HandlerEntry<JobPayload<J>>>;
}

/** The payload validated against the kind's schema (once, here, where the job is consumed), or a ValidationError. */
function validated(entry: HandlerEntry, job: Job): Job {
  const parsed = entry.job.payload.safeParse(job.payload);
  if (!parsed.success) throw new ValidationError(`invalid ${job.kind} payload`, issuesOf(parsed.error, "payload"));
  return { ...job, payload: parsed.data };
}

export interface WorkerOptions {
  handlers: Handlers;
  clock?: Clock;
  workerId?: string;
  onError?: (job: Job, error: unknown) => void;
}

export interface RunStats {
  processed: number;
  failed: number;
  /** Jobs taken over from a worker whose lease had lapsed or that is known to have stopped. */
  reclaimed?: number;
  /** Workers whose leases were taken over (ids as `host:pid:…`). */
  reclaimedFrom?: string[];
}

async function runOne(db: Db, options: WorkerOptions, workerId: string, stats: RunStats, failed?: string[]): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  const job = await claimJob(db, { workerId, kinds: Object.keys(options.handlers), clock: systemClock, ...(failed?.length ? { skip: failed } : {}) });
  if (!job) return false;
  const entry = options.handlers[job.kind]!;
  if (job.reclaimedFrom !== undefined) {
    stats.reclaimed = (stats.reclaimed ?? 0) + 1;
    if (!stats.reclaimedFrom?.includes(job.reclaimedFrom)) stats.reclaimedFrom = [...(stats.reclaimedFrom ?? []), job.reclaimedFrom];
  }
  try {
    const valid = validated(entry, job);
    let prepared: unknown;
    if (entry.prepare) {
      const prepare = entry.prepare;
      prepared = await withLeaseExtended(db, job, workerId, () => prepare(db, valid));
    }
    await db.transaction().execute(async (trx) => {
      if (entry.prepare && !(await stillLeased(trx, job.id, workerId))) throw new Error(`job ${job.id} was taken over by another worker while it was prepared`);
      await entry.handle(trx, valid, prepared);
      await completeJob(trx, job.id, clock);
    });
    if (entry.afterCommit) await entry.afterCommit(valid);
    stats.processed++;
  } catch (error) {
    stats.failed++;
    if (failed) {
      failed.push(job.id);
      if (failed.length > MAX_SKIPPED) failed.shift();
    }
    options.onError?.(job, error);
    await failJob(db, job, error, systemClock);
  }
  return true;
}

/** Failed jobs a run remembers not to take again (bounds the claim's `id NOT IN` list). */
const MAX_SKIPPED = 1000;

/** The lease a claim takes (src/store/queue.ts claimJob's default); `prepare` renews it at a third of it. */
const LEASE_MS = 60_000;

async function withLeaseExtended<T>(db: Db, job: Job, workerId: string, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    void extendLease(db, job.id, workerId, LEASE_MS).catch(() => undefined);
  }, LEASE_MS / 3);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Lets pending I/O run between two jobs. On SQLite every query is synchronous, so a worker going from job
 * to job never leaves the microtask queue: without this, an HTTP request arriving meanwhile (a webhook
 * batch) is not even read until the queue is empty.
 */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether a lease holder is a process of this machine that no longer runs. Worker ids are
 * `host:pid:random`; a holder on another host, or named otherwise, is never judged dead here (its lease
 * runs out instead).
 */
export function holderIsGone(holder: string | null): boolean {
  const [host, pid] = (holder ?? "").split(":");
  if (host !== hostname() || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Works the queue until no runnable job is left (jobs waiting on backoff are left for later). Each job is
 * tried at most once per run: one that fails is left queued for its retry after the backoff, however long
 * the rest of the run takes (so a run's outcome does not depend on the machine's speed; the last
 * MAX_SKIPPED failures are remembered). Jobs leased
 * to another worker are not left behind: it waits for them to be done, takes them over as soon as their
 * holder is a process of this machine that has stopped, or when their lease runs out (a killed worker's
 * jobs come back after at most the lease, 60 s). `stats.reclaimed` counts the jobs taken over.
 */
export async function runUntilIdle(db: Db, options: WorkerOptions & { pollMs?: number }): Promise<RunStats> {
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  const stats: RunStats = { processed: 0, failed: 0 };
  const kinds = Object.keys(options.handlers);
  const failed: string[] = [];
  for (;;) {
    if (await runOne(db, options, workerId, stats, failed)) {
      await yieldToEvents();
      continue;
    }
    const held = await leasedElsewhere(db, workerId, kinds);
    if (held.length === 0) return stats;
    const gone = new Map<string, string[]>();
    for (const job of held) if (holderIsGone(job.locked_by)) gone.set(job.locked_by!, [...(gone.get(job.locked_by!) ?? []), job.id]);
    for (const [holder, ids] of gone) await expireLeases(db, ids, holder);
    if (gone.size > 0) continue;
    // Another live worker holds them: look again when the first lease would run out, or sooner.
    const soonest = Math.min(...held.map((job) => Date.parse(job.locked_until ?? "") || 0));
    const wait = Math.max(20, Math.min(options.pollMs ?? 250, soonest - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
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
      if (worked) await yieldToEvents();
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
