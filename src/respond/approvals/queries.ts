import { z } from "zod";
import { NotFoundError, ValidationError, issuesOf } from "../../core/index.js";
import type { Executor } from "../../store/index.js";
import { ActionStatus, rowToAction, type ResponseAction } from "./record.js";

export async function findAction(ex: Executor, id: string): Promise<ResponseAction | null> {
  const row = await ex.selectFrom("response_actions").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) return null;
  const votes = await ex.selectFrom("response_approvals").selectAll().where("action_id", "=", id).execute();
  return rowToAction(row, votes);
}

export async function getAction(ex: Executor, id: string): Promise<ResponseAction> {
  const found = await findAction(ex, id);
  if (!found) throw new NotFoundError(`response action ${id}`);
  return found;
}

export const ListActionsOptions = z.strictObject({
  status: z.union([ActionStatus, z.array(ActionStatus).min(1)]).optional(),
  case_id: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(500).default(50),
  offset: z.number().int().min(0).default(0),
});
export type ListActionsOptions = z.input<typeof ListActionsOptions>;

/** Response actions, newest first. */
export async function listActions(ex: Executor, options: ListActionsOptions = {}): Promise<ResponseAction[]> {
  const parsed = ListActionsOptions.safeParse(options);
  if (!parsed.success) throw new ValidationError("invalid action listing", issuesOf(parsed.error));
  const { status, case_id, limit, offset } = parsed.data;
  let query = ex.selectFrom("response_actions").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).offset(offset);
  if (status) query = query.where("status", "in", Array.isArray(status) ? status : [status]);
  if (case_id) query = query.where("case_id", "=", case_id);
  const rows = await query.execute();
  if (!rows.length) return [];
  const votes = await ex.selectFrom("response_approvals").selectAll().where("action_id", "in", rows.map((r) => r.id)).execute();
  return rows.map((row) => rowToAction(row, votes));
}

/** How many actions are in each status (the demo summary's `actions`). */
export async function countActions(ex: Executor): Promise<Record<string, number>> {
  const rows = await ex.selectFrom("response_actions").select(["status", (eb) => eb.fn.countAll<number>().as("n")]).groupBy("status").execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
