import type { Enrichment, Identity, IdentityAnomaly } from "../core/index.js";

export const DEFAULT_ANOMALY_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * The identity as it stood at the alert's time. Only anomalies seen by then are kept (a replay must not
 * learn from the future); `recent_anomaly` is true when the record says so or one of them lies within
 * the window before the alert, and those are listed, newest first, as `recent_anomalies`.
 */
export function identityAsOf(identity: Identity, alertTime: string, windowDays = DEFAULT_ANOMALY_WINDOW_DAYS): NonNullable<Enrichment["identity"]> {
  if (identity.anomalies === undefined) return identity;
  const at = Date.parse(alertTime);
  const from = at - windowDays * DAY_MS;
  const known: { anomaly: IdentityAnomaly; time: number }[] = [];
  for (const anomaly of identity.anomalies) {
    const time = Date.parse(anomaly.time);
    if (!Number.isNaN(time) && time <= at) known.push({ anomaly, time });
  }
  known.sort((a, b) => b.time - a.time || a.anomaly.kind.localeCompare(b.anomaly.kind));
  const recent = known.filter((k) => k.time >= from).map((k) => k.anomaly);
  return {
    ...identity,
    anomalies: known.map((k) => k.anomaly),
    recent_anomaly: identity.recent_anomaly || recent.length > 0,
    recent_anomalies: recent,
  };
}

/**
 * One identities-CSV cell of anomalies, `kind@time;kind@time` (a detail may follow the kind after a colon:
 * `new_country:BR@2026-11-20T03:10Z`). Returns the anomalies or a message naming the bad part.
 */
export function parseAnomalyCell(cell: string): { anomalies: IdentityAnomaly[] } | { error: string } {
  const anomalies: IdentityAnomaly[] = [];
  for (const part of cell.split(";").map((s) => s.trim()).filter(Boolean)) {
    const at = part.lastIndexOf("@");
    const head = at > 0 ? part.slice(0, at).trim() : "";
    const time = at > 0 ? part.slice(at + 1).trim() : "";
    if (!head || !time) return { error: `expected kind@time (several separated by ";"), got "${part}"` };
    const colon = head.indexOf(":");
    const kind = (colon > 0 ? head.slice(0, colon) : head).trim();
    const detail = colon > 0 ? head.slice(colon + 1).trim() : "";
    anomalies.push(detail ? { kind, time, detail } : { kind, time });
  }
  return { anomalies };
}
