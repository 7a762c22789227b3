import { sql } from "kysely";
import { newId, systemClock, type Clock, type JobInput, type JobKind } from "../core/index.js";
import type { Db, Executor } from "./database.js";
import { isPostgres } from "./dialect/which.js";
import { fromJson, toJson } from "./json.js";

/**
 * The work queue over the store. Stages only `enqueue` and `handle`: a job is written in the same
 * transaction as the data it refers to, so a crash never loses a hand-off, and a handler's writes
 * commit together with the job's completion, so a hand-off is never done twice.
 */
export interface Job<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  attempts: number;
  /** The worker whose lease on the job had lapsed when this claim took it over (it stopped, or was too slow). */
  reclaimedFrom?: string;
}

let lastStamp = 0;
let sequence = 0;
/**
 * Job ids sort in enqueue order (time, then a per-process sequence), so jobs queued in the same
 * millisecond are still worked first-in, first-out.
 */
function newJobId(now: number): string {
  if (now === lastStamp) sequence++;
  else {
    lastStamp = now;
    sequence = 0;
  }
  return `${now.toString(36).padStart(9, "0")}-${sequence.toString(36).padStart(5, "0")}-${newId().slice(0, 8)}`;
}

export interface EnqueueOptions {
  runAfter?: Date;
  clock?: Clock;
}

/**
 * Queues one job of a kind declared in src/core/pipeline.ts, in the caller's transaction. The payload is
 * checked against the kind's schema by the type system here and validated where it is consumed (the
 * worker); the kind's `dedupeKey`, when it has one, makes the hand-off idempotent.
 */
export async function enqueue<J extends JobKind>(ex: Executor, job: J, payload: JobInput<J>, options: EnqueueOptions = {}) {
  await enqueueMany(ex, job, [payload], options);
}

/** Queues many jobs of one kind in a few multi-row inserts (a batch of alerts queues its enrichment at once). */
export async function enqueueMany<J extends JobKind>(ex: Executor, job: J, payloads: JobInput<J>[], options: EnqueueOptions = {}) {
  const now = (options.clock ?? systemClock).now().toISOString();
  const stamp = Date.now();
  const rows = payloads.map((payload) => ({
    id: newJobId(stamp),
    kind: job.kind,
    payload: toJson(payload),
    dedupe_key: job.dedupeKey?.(payload) ?? null,
    status: "queued",
    attempts: 0,
    run_after: options.runAfter?.toISOString() ?? now,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: now,
    updated_at: now,
  }));
  // 12 columns a row: 500 rows stay under SQLite's and PostgreSQL's bound-parameter limits.
  for (let i = 0; i < rows.length; i += 500) {
    await ex
      .insertInto("jobs")
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .execute();
  }
}

export interface ClaimOptions {
  workerId: string;
  kinds?: string[];
  leaseMs?: number;
  clock?: Clock;
  /** Jobs not to take (those a `runUntilIdle` run already failed: their retry waits for a later run). */
  skip?: readonly string[];
}

/**
 * Takes the oldest runnable job (or one whose lease expired) and leases it to this worker. Two index reads
 * (`jobs_claim`: status, created_at, id; `jobs_lease`: status, locked_until — migration 0007), each
 * stopping at its first row, and the older of the two wins: a claim costs the same with ten queued jobs
 * or a hundred thousand, and however many are done.
 */
export async function claimJob(db: Db, options: ClaimOptions): Promise<Job | null> {
  const clock = options.clock ?? systemClock;
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    const nowIso = now.toISOString();
    const postgres = isPostgres(trx);
    const oldest = (status: "queued" | "running") => {
      let query = trx
        .selectFrom("jobs")
        .select(["id", "kind", "payload", "attempts", "created_at", "locked_by"])
        .where("status", "=", status)
        .where(status === "queued" ? "run_after" : "locked_until", status === "queued" ? "<=" : "<", nowIso)
        .orderBy("created_at")
        .orderBy("id")
        .limit(1);
      if (options.kinds?.length) query = query.where("kind", "in", options.kinds);
      if (options.skip?.length) query = query.where("id", "not in", options.skip);
      return (postgres ? query.forUpdate().skipLocked() : query).executeTakeFirst();
    };
    const queued = await oldest("queued");
    const expired = await oldest("running");
    const row = queued && expired ? (jobOrder(queued, expired) <= 0 ? queued : expired) : (queued ?? expired);
    if (!row) return null;
    const lockedUntil = new Date(now.getTime() + (options.leaseMs ?? 60_000)).toISOString();
    await trx
      .updateTable("jobs")
      .set({ status: "running", locked_by: options.workerId, locked_until: lockedUntil, attempts: row.attempts + 1, updated_at: nowIso })
      .where("id", "=", row.id)
      .execute();
    const job: Job = { id: row.id, kind: row.kind, payload: fromJson(row.payload, null), attempts: row.attempts + 1 };
    if (row === expired) job.reclaimedFrom = row.locked_by ?? "?";
    return job;
  });
}

/** Claim order: created_at, then id. */
function jobOrder(a: { created_at: string; id: string }, b: { created_at: string; id: string }): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Jobs of these kinds leased to a worker other than `workerId` (running elsewhere, or left by a worker that died). */
export async function leasedElsewhere(db: Db, workerId: string, kinds: string[]): Promise<{ id: string; locked_by: string | null; locked_until: string | null }[]> {
  let query = db.selectFrom("jobs").select(["id", "locked_by", "locked_until"]).where("status", "=", "running").where("locked_by", "!=", workerId);
  if (kinds.length) query = query.where("kind", "in", kinds);
  return query.execute();
}

/** Ends the lease of running jobs held by `holder` now, so the next claim takes them over. */
export async function expireLeases(db: Db, ids: string[], holder: string): Promise<void> {
  if (!ids.length) return;
  await db
    .updateTable("jobs")
    .set({ locked_until: new Date(0).toISOString() })
    .where("id", "in", ids)
    .where("locked_by", "=", holder)
    .where("status", "=", "running")
    .execute();
}

/** Pushes a running job's lease forward, if this worker still holds it. */
export async function extendLease(db: Db, id: string, workerId: string, leaseMs: number, clock: Clock = systemClock) {
  await db
    .updateTable("jobs")
    .set({ locked_until: new Date(clock.now().getTime() + leaseMs).toISOString() })
    .where("id", "=", id)
    .where("locked_by", "=", workerId)
    .where("status", "=", "running")
    .execute();
}

/** Whether this worker still holds the job (its lease did not lapse into another worker's claim). */
export async function stillLeased(ex: Executor, id: string, workerId: string): Promise<boolean> {
  const row = await ex.selectFrom("jobs").select("id").where("id", "=", id).where("locked_by", "=", workerId).where("status", "=", "running").executeTakeFirst();
  return row !== undefined;
}

export async function completeJob(ex: Executor, id: string, clock: Clock = systemClock) {
  await ex
    .updateTable("jobs")
    .set({ status: "done", locked_by: null, locked_until: null, updated_at: clock.now().toISOString() })
    .where("id", "=", id)
    .execute();
}

export const MAX_ATTEMPTS = 5;

/** Puts a job back with exponential backoff, or marks it failed after MAX_ATTEMPTS. */
export async function failJob(ex: Executor, job: Job, error: unknown, clock: Clock = systemClock) {
  const now = clock.now();
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const giveUp = job.attempts >= MAX_ATTEMPTS;
  const delay = Math.min(60_000, 500 * 2 ** job.attempts);
  await ex
    .updateTable("jobs")
    .set({
      status: giveUp ? "failed" : "queued",
      run_after: new Date(now.getTime() + delay).toISOString(),
      locked_by: null,
      locked_until: null,
      last_error: message.slice(0, 4000),
      updated_at: now.toISOString(),
    })
    .where("id", "=", job.id)
    .execute();
}

export async function queueCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("jobs")
    .select(["status", sql<string>`count(*)`.as("n")])
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
