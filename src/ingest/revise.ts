import { Alert, ValidationError } from "../core/index.js";
import { fromJson, toJson, type Executor } from "../store/index.js";
import { summarise } from "./ingest.js";
import type { Issue } from "./issues.js";
import { normaliseAlert } from "./normalise.js";

/**
 * Revises stored alerts from a newer version of the same alert (same `source` and `source_id`): a correlation
 * alert whose window counted more events after it was raised. Only what a revision may change is rewritten —
 * the description and the raw record (the count, the events) — in the caller's transaction; the alert keeps its
 * id, time, reception, origin, case and stage, and nothing is queued again. Inputs are validated first (nothing
 * is written if one is bad); an input whose alert is not stored is skipped. Returns how many alerts changed.
 */
export async function reviseAlerts(ex: Executor, inputs: unknown[]): Promise<number> {
  const revisions: { key: string; input: unknown }[] = [];
  const issues: Issue[] = [];
  inputs.forEach((input, index) => {
    const probe = normaliseAlert(input, { id: "revision", receivedAt: new Date(0).toISOString(), origin: { via: "detect" } });
    if (!probe.ok) issues.push(...probe.issues.map((issue) => ({ path: `[${index}]${issue.path ? `.${issue.path}` : ""}`, message: issue.message })));
    else if (probe.alert.source_id === null) issues.push({ path: `[${index}].source_id`, message: "a revision names the alert it revises by source_id" });
    else revisions.push({ key: probe.dedupeKey, input });
  });
  if (issues.length) throw new ValidationError(`invalid alert revisions: ${summarise(issues)}`, issues);
  let revised = 0;
  for (const { key, input } of revisions) {
    const row = await ex.selectFrom("alerts").select(["id", "doc"]).where("dedupe_key", "=", key).executeTakeFirst();
    const stored = row ? Alert.safeParse(fromJson<unknown>(row.doc, null)) : undefined;
    if (!row || !stored?.success) continue;
    const current = stored.data;
    const next = normaliseAlert(input, { id: current.id, receivedAt: current.received_at, origin: current.origin });
    if (!next.ok) continue; // validated above
    const doc = toJson({ ...current, description: next.alert.description, raw: next.alert.raw });
    if (doc === row.doc) continue;
    await ex.updateTable("alerts").set({ doc }).where("id", "=", row.id).execute();
    revised++;
  }
  return revised;
}
