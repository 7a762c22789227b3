import { sql } from "kysely";
import type { Db } from "../store/index.js";

export interface ShiftSummary {
  alerts: number;
  cases: number;
  /** Cases by TORA's verdict (CLOSED, ESCALATED, INSUFFICIENT_CONTEXT; not yet triaged: PENDING) — the README's contract. */
  by_verdict: Record<string, number>;
  by_status: Record<string, number>;
  /** Cases VERA investigated, by VERA's verdict (CLOSED, ESCALATE_TO_ARIA, HOLD). */
  by_vera_verdict: Record<string, number>;
}

export async function shiftSummary(db: Db): Promise<ShiftSummary> {
  const alerts = await db.selectFrom("alerts").select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow();
  const byStatus = await db.selectFrom("cases").select(["status", sql<string>`count(*)`.as("n")]).groupBy("status").execute();
  const cases = byStatus.reduce((sum, row) => sum + Number(row.n), 0);
  const tora = await verdictCounts(db, "TORA");
  const triaged = Object.values(tora).reduce((a, b) => a + b, 0);
  if (cases > triaged) tora.PENDING = cases - triaged;
  return {
    alerts: Number(alerts.n),
    cases,
    by_verdict: sorted(Object.entries(tora)),
    by_status: sorted(byStatus.map((row) => [row.status, Number(row.n)])),
    by_vera_verdict: sorted(Object.entries(await verdictCounts(db, "VERA"))),
  };
}

/** Cases by the latest decision of one agent (a case counts once, whatever its history). */
async function verdictCounts(db: Db, agent: "TORA" | "VERA"): Promise<Record<string, number>> {
  const latest = db
    .selectFrom("decisions")
    .select(["verdict", sql<number>`row_number() over (partition by case_id order by created_at desc, id desc)`.as("rank")])
    .where("agent", "=", agent)
    .as("latest");
  const rows = await db
    .selectFrom(latest)
    .select(["latest.verdict", sql<string>`count(*)`.as("n")])
    .where("latest.rank", "=", 1)
    .groupBy("latest.verdict")
    .execute();
  return Object.fromEntries(rows.map((row) => [row.verdict, Number(row.n)]));
}

function sorted(entries: [string, number][]): Record<string, number> {
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}
