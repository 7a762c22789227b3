import { fromJson, toJson, type Executor } from "../store/index.js";
import { Before, parseOrThrow } from "./query.js";
import { isPostgres } from "./sql/dialect.js";

// The detectors' saved state (correlation windows and the like), one JSON document per detector id.

const EPOCH = new Date(0).toISOString();

/**
 * A detector's saved state, or null. On PostgreSQL the row is locked until the caller's transaction ends
 * (created empty first, so even the first two workers serialise); SQLite transactions already run one at a time.
 */
export async function loadDetectionState(ex: Executor, id: string): Promise<unknown | null> {
  if (isPostgres(ex)) {
    await ex
      .insertInto("detection_state")
      .values({ id, state: "null", updated_at: EPOCH })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    const row = await ex.selectFrom("detection_state").select("state").where("id", "=", id).forUpdate().executeTakeFirst();
    return fromJson<unknown>(row?.state, null);
  }
  const row = await ex.selectFrom("detection_state").select("state").where("id", "=", id).executeTakeFirst();
  return fromJson<unknown>(row?.state, null);
}

export async function saveDetectionState(ex: Executor, id: string, state: unknown, now: string): Promise<void> {
  const updated_at = parseOrThrow(Before, now, "detection-state time");
  const text = toJson(state);
  await ex
    .insertInto("detection_state")
    .values({ id, state: text, updated_at })
    .onConflict((oc) => oc.column("id").doUpdateSet({ state: text, updated_at }))
    .execute();
}
