import { relatedAlertRows } from "../../../cases/index.js";
import type { Augmentation, PartQuery } from "../schema.js";
import { AUGMENT_CAPS } from "./caps.js";
import { bounded, type AugmentContext } from "./context.js";

// Related alerts: alerts of other cases that share an observable with this one.

export async function relatedAlertsPart(ctx: AugmentContext, caseId: string): Promise<Augmentation["related_alerts"]> {
  const e = ctx.entities;
  const values = [...e.domains, ...e.ips, ...e.hashes, ...e.users, ...e.hosts, ...e.hostIps].map((v) => v.toLowerCase()).slice(0, 60);
  const queries: PartQuery[] = [{ source: "observables", args: { values, excluding_case: caseId } }];
  if (values.length === 0) return { queries, missing_telemetry: [], truncated: false, alerts: [], cases: [] };
  const rows = await relatedAlertRows(ctx.ex, caseId, values).execute();
  const byAlert = new Map<string, Augmentation["related_alerts"]["alerts"][number]>();
  for (const row of rows) {
    const entry = byAlert.get(row.alert_id) ?? {
      alert_id: row.alert_id,
      case_id: row.case_id,
      time: row.time,
      title: bounded(row.title) as string,
      severity: row.severity,
      host: row.host_name,
      user: row.user_name,
      shared: [],
    };
    const label = `${row.type}:${row.value}`;
    if (!entry.shared.includes(label)) entry.shared.push(label);
    byAlert.set(row.alert_id, entry);
  }
  const alerts = [...byAlert.values()];
  const cases = [...new Set(alerts.map((a) => a.case_id).filter((c): c is string => !!c))];
  return { queries, missing_telemetry: [], truncated: alerts.length > AUGMENT_CAPS.relatedAlerts || rows.length >= 500, alerts: alerts.slice(0, AUGMENT_CAPS.relatedAlerts), cases };
}
