import { z } from "zod";
import { ValidationError, type Alert } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { parseAlertTime } from "./formats/generic.js";
import { zodIssues } from "./issues.js";

/** A stored alert: the normalised alert plus where the pipeline has taken it. */
/** `duplicates`: further deliveries of exactly the same content collapsed into this alert. */
export type StoredAlert = Alert & { case_id: string | null; stage: string; enrichment: unknown; duplicates: number };

function toStored(row: { doc: string; case_id: string | null; stage: string; enrichment: string | null; duplicates: number }): StoredAlert {
  const alert = fromJson<Alert>(row.doc, null as unknown as Alert);
  return { ...alert, case_id: row.case_id, stage: row.stage, enrichment: fromJson<unknown>(row.enrichment, null), duplicates: Number(row.duplicates) };
}

export async function getAlert(ex: Executor, id: string): Promise<StoredAlert | null> {
  const row = await ex.selectFrom("alerts").select(["doc", "case_id", "stage", "enrichment", "duplicates"]).where("id", "=", id).executeTakeFirst();
  return row ? toStored(row) : null;
}

export const ListAlertsOptions = z.object({
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
  caseId: z.string().min(1).optional(),
  /** Alerts received at or after this time (ISO-8601 or epoch). */
  since: z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const iso = parseAlertTime(value);
      if (iso) return iso;
      ctx.addIssue({ code: "custom", message: "expected an ISO-8601 date-time or epoch seconds/milliseconds" });
      return z.NEVER;
    })
    .optional(),
});
export type ListAlertsOptions = z.input<typeof ListAlertsOptions>;

/** Newest first: by reception, then by alert time. */
export async function listAlerts(ex: Executor, options: ListAlertsOptions = {}): Promise<StoredAlert[]> {
  const parsed = ListAlertsOptions.safeParse(options);
  if (!parsed.success) throw new ValidationError("invalid alert listing options", zodIssues(parsed.error));
  const { limit, offset, caseId, since } = parsed.data;
  let query = ex.selectFrom("alerts").select(["doc", "case_id", "stage", "enrichment", "duplicates"]);
  if (caseId !== undefined) query = query.where("case_id", "=", caseId);
  if (since !== undefined) query = query.where("received_at", ">=", since);
  const rows = await query.orderBy("received_at", "desc").orderBy("time", "desc").orderBy("id", "desc").limit(limit).offset(offset).execute();
  return rows.map(toStored);
}
