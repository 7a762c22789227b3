import { PostgresAdapter } from "kysely";
import type { z } from "zod";
import { ValidationError, issuesOf } from "../core/index.js";
import type { Executor } from "../store/index.js";

/** Runs `work` in the caller's transaction, or opens one when given the database itself. */
export function inTransaction<T>(ex: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (ex.isTransaction) return work(ex);
  return ex.transaction().execute(work);
}

export function isPostgres(ex: Executor): boolean {
  return ex.getExecutor().adapter instanceof PostgresAdapter;
}

/** Parses a boundary value, turning zod issues into a field-level ValidationError. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix = ""): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`invalid ${what}`, issuesOf(result.error, prefix));
  return result.data;
}

/** Times are compared as text in SQL, so every stored time has the one shape of toISOString(). */
export function normaliseTime(value: string | Date): string {
  return new Date(value).toISOString();
}
