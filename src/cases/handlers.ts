import { Alert, GROUP_JOB, NotFoundError, TRIAGE_JOB, type Clock } from "../core/index.js";
import { enqueue, fromJson, handles, type Handlers } from "../store/index.js";
import { attachAlert, type GroupingOptions } from "./grouping.js";
import { parseInput } from "./internal.js";

/** The case stage's queue handlers: `alert.group` groups an enriched alert and queues triage for a new case. */
export function caseHandlers(options: GroupingOptions & { clock: Clock }): Handlers {
  const { clock, ...grouping } = options;
  return handles(GROUP_JOB, {
    async handle(trx, job) {
      const { alert_id } = job.payload;
      const row = await trx.selectFrom("alerts").select("doc").where("id", "=", alert_id).executeTakeFirst();
      if (!row) throw new NotFoundError(`alert ${alert_id}`);
      const alert = parseInput(Alert, fromJson(row.doc, null), "stored alert");
      const { caseId, created } = await attachAlert(trx, alert, grouping, clock);
      // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
      if (created) await enqueue(trx, TRIAGE_JOB, { case_id: caseId });
    },
  });
}
