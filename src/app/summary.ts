import { sql } from "kysely";
import type { Db } from "../store/index.js";

export interface ShiftSummary {
  alerts: number;
  cases: number;
  /** Cases by the crew's verdict (TORA: CLOSED, ESCALATED, INSUFFICIENT_CONTEXT; untriaged: PENDING). */
  by_verdict: Record<string, number>;
  by_status: Record<string, number>;
}

export async function shiftSummary(db: Db): Promise<ShiftSummary> {
  const alerts = await db.selectFrom("alerts").select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow();
  const byVerdict = await db
    .selectFrom("cases")
    .select(["crew_verdict", sql<string>`count(*)`.as("n")])
    .groupBy("crew_verdict")
    .execute();
  const byStatus = await db.selectFrom("cases").select(["status", sql<string>`count(*)`.as("n")]).groupBy("status").execute();
  const sorted = (entries: [string, number][]) => Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  return {
    alerts: Number(alerts.n),
    cases: byStatus.reduce((sum, row) => sum + Number(row.n), 0),
    by_verdict: sorted(byVerdict.map((row) => [row.crew_verdict ?? "PENDING", Number(row.n)])),
    by_status: sorted(byStatus.map((row) => [row.status, Number(row.n)])),
  };
}
