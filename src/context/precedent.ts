import { sql } from "kysely";
import type { Alert, Enrichment } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { shapeOf } from "./feedback.js";

export type Precedent = NonNullable<Enrichment["precedent"]>;
type Shape = Precedent["shapes"][number];

export interface PrecedentOptions {
  /** The alert's time (ISO): benign dispositions count within `maxAgeDays` of it, either side. */
  alertTime: string;
  /** `suppression.max_age_days` (90): an analyst's judgement older than a suppression may be is not counted. */
  maxAgeDays: number;
  /** The role of the alert's host in the CMDB, when known. */
  role: string | null;
}

const DAY_MS = 86_400_000;

/**
 * How analysts judged earlier alerts of this alert's shape (crew.md step 3, history axis): the same source and
 * rule on the same host, on a host of the same role, and from the same source address. One grouped query per
 * shape over an index that starts with the shape's keys (migration 0008), so the cost depends on the rows of
 * that one shape, never on the size of the table. Shapes with no feedback are left out.
 */
export async function lookupPrecedent(ex: Executor, alert: Alert, options: PrecedentOptions): Promise<Precedent> {
  const shape = shapeOf(alert);
  const at = Date.parse(options.alertTime);
  const lo = new Date(at - options.maxAgeDays * DAY_MS).toISOString();
  const hi = new Date(at + options.maxAgeDays * DAY_MS).toISOString();
  const wanted: { by: Shape["by"]; column: "host" | "host_role" | "src_ip"; value: string | null }[] = [
    { by: "host", column: "host", value: shape.host },
    { by: "role", column: "host_role", value: options.role?.trim().toLowerCase() || null },
    { by: "src_ip", column: "src_ip", value: shape.srcIp },
  ];
  const shapes: Shape[] = [];
  for (const w of wanted) {
    if (!w.value) continue;
    const rows = await ex
      .selectFrom("feedback")
      .select([
        "benign",
        sql<number>`count(*)`.as("n"),
        sql<number>`sum(case when time >= ${lo} and time <= ${hi} then 1 else 0 end)`.as("recent"),
        sql<string | null>`max(time)`.as("last"),
      ])
      .where("source", "=", shape.source)
      .where("rule", "=", shape.rule)
      .where(w.column, "=", w.value)
      .groupBy("benign")
      .execute();
    if (!rows.length) continue;
    const benign = rows.find((r) => Number(r.benign) === 1);
    const malicious = rows.find((r) => Number(r.benign) === 0);
    const recent = Number(benign?.recent ?? 0);
    shapes.push({
      by: w.by,
      source: shape.source,
      rule: shape.rule,
      value: w.value,
      benign: recent,
      stale_benign: Number(benign?.n ?? 0) - recent,
      malicious: Number(malicious?.n ?? 0),
      last_benign_at: benign?.last ?? null,
      last_malicious_at: malicious?.last ?? null,
    });
  }
  return { max_age_days: options.maxAgeDays, shapes };
}
