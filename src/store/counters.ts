import type { Executor } from "./database.js";

/**
 * Next value of a named counter, inside the caller's transaction. On PostgreSQL the row lock of the
 * upsert serialises concurrent callers; SQLite serialises every write transaction anyway.
 */
export async function nextCounter(ex: Executor, name: string): Promise<number> {
  const row = await ex
    .insertInto("counters")
    .values({ name, value: 1 })
    .onConflict((oc) => oc.column("name").doUpdateSet((eb) => ({ value: eb("counters.value", "+", 1) })))
    .returning("value")
    .executeTakeFirstOrThrow();
  return Number(row.value);
}
