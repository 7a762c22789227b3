import type { Executor } from "./database.js";

/** Runs `work` in the caller's transaction, or opens one when given the database itself. */
export function inTransaction<T>(ex: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  return ex.isTransaction ? work(ex) : ex.transaction().execute(work);
}
