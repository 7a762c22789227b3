import { z } from "zod";
import { Alert, NotFoundError, type Clock } from "../core/index.js";
import { enqueue, fromJson, type HandlerEntry } from "../store/index.js";
import { attachAlert, type GroupingOptions } from "./grouping.js";
import { parseInput } from "./internal.js";

const GroupPayload = z.object({ alert_id: z.string().min(1) });

/** The case stage's queue handlers: `alert.group` groups an enriched alert and queues triage for a new case. */
export function caseHandlers(options: GroupingOptions & { clock: Clock }): Record<string, HandlerEntry> {
  const { clock, ...grouping } = options;
  return {
    "alert.group": {
      async handle(trx, job) {
        const { alert_id } = parseInput(GroupPayload, job.payload, "alert.group payload");
        const row = await trx.selectFrom("alerts").select("doc").where("id", "=", alert_id).executeTakeFirst();
        if (!row) throw new NotFoundError(`alert ${alert_id}`);
        const alert = parseInput(Alert, fromJson(row.doc, null), "stored alert");
        const { caseId, created } = await attachAlert(trx, alert, grouping, clock);
        // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
        if (created) await enqueue(trx, "case.triage", { case_id: caseId }, { dedupeKey: `triage:${caseId}` });
      },
    },
  };
}
