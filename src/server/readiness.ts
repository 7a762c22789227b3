import { sql } from "kysely";
import { withoutPassword } from "../core/index.js";
import type { Db } from "../store/index.js";

/** One check of the readiness probe: whether it passed, how long it took, and why not. */
export interface ReadinessCheck {
  ok: boolean;
  ms: number;
  error?: string;
  /** Queue only: jobs due now, and how long the oldest of them has been due (the queue's lag). */
  queued?: number;
  oldest_queued_seconds?: number;
}

export interface Readiness {
  ready: boolean;
  checks: { database: ReadinessCheck; queue: ReadinessCheck };
}

/** A check that takes longer than this has failed: a probe must answer while the database hangs. */
export const READINESS_TIMEOUT_MS = 2000;

async function timed(run: () => Promise<Partial<ReadinessCheck>>, timeoutMs: number): Promise<ReadinessCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const extra = await Promise.race([run(), timeout]);
    return { ok: true, ms: Math.round(performance.now() - started), ...extra };
  } catch (error) {
    // Errors of a PostgreSQL connection may quote its URL: never show its password.
    const message = withoutPassword(error instanceof Error ? error.message : String(error));
    return { ok: false, ms: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ready when the database answers and the work queue can be read: `select 1`, then the count and age of
 * the queued jobs. Each check has its own timeout, so a hung database makes the probe fail, not hang.
 */
export async function checkReadiness(db: Db, now: Date, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  const database = await timed(async () => {
    await sql`select 1`.execute(db);
    return {};
  }, timeoutMs);
  const queue = await timed(async () => {
    const row = await db
      .selectFrom("jobs")
      .select([sql<string>`count(*)`.as("n"), sql<string | null>`min(run_after)`.as("oldest")])
      .where("status", "=", "queued")
      .where("run_after", "<=", now.toISOString())
      .executeTakeFirst();
    const queued = Number(row?.n ?? 0);
    const oldest = row?.oldest ? Date.parse(row.oldest) : NaN;
    return { queued, ...(Number.isNaN(oldest) ? {} : { oldest_queued_seconds: Math.max(0, Math.round((now.getTime() - oldest) / 1000)) }) };
  }, timeoutMs);
  return { ready: database.ok && queue.ok, checks: { database, queue } };
}
