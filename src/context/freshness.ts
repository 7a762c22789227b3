import type { Enrichment } from "../core/index.js";

type Provenance = Enrichment["meta"]["provenance"][number];

/**
 * How old each axis's record may be, at the alert's time, before it is flagged stale. CMDB records age
 * slowly; identity facts (risk, MFA, anomalies) go out of date faster. Intel has its own per-indicator
 * expiry, applied when matching, so it has no entry here unless configured.
 */
export const DEFAULT_STALE_AFTER_DAYS: Readonly<Record<string, number>> = { asset: 90, identity: 30 };

const HOUR_MS = 3_600_000;

/**
 * Dates every provenance entry against the alert's time: `age_hours` (negative when the record was
 * written after the alert) and `stale` when older than its axis allows. Returns the axes found stale.
 */
export function dateProvenance(
  entries: Provenance[],
  alertTime: string,
  staleAfterDays: Readonly<Record<string, number>> = DEFAULT_STALE_AFTER_DAYS,
): { provenance: Provenance[]; stale: string[] } {
  const at = Date.parse(alertTime);
  const stale = new Set<string>();
  const provenance = entries.map((entry) => {
    const asOf = entry.as_of === null ? Number.NaN : Date.parse(entry.as_of);
    const age = Number.isNaN(asOf) || Number.isNaN(at) ? null : Math.round(((at - asOf) / HOUR_MS) * 10) / 10;
    const limit = staleAfterDays[entry.axis];
    const isStale = age !== null && limit !== undefined && age > limit * 24;
    if (isStale) stale.add(entry.axis);
    return { ...entry, age_hours: age, stale: isStale };
  });
  return { provenance, stale: [...stale].sort() };
}
