import type { Alert, Enrichment, Suppression } from "../core/index.js";
import type { HostLabel } from "./hosts.js";
import { ageDays, hostKey, isWithinDomain, userKey } from "./normalise.js";
import type { AlertObservables } from "./observables.js";

export interface SuppressionResult {
  /** The chosen suppression; its `in_force` says whether it was in force at the alert's time. */
  match: Enrichment["history"]["suppression_match"];
  age_days: number | null;
}

function baseName(name: string): string {
  return name.trim().toLowerCase().split(/[\\/]/).pop() ?? "";
}

/** Every field the scope names must match the alert; a field the alert lacks never matches. */
export function suppressionCovers(suppression: Suppression, alert: Alert, host: HostLabel | null, observables: AlertObservables): boolean {
  const scope = suppression.scope;
  const lower = (s: string | undefined | null) => (s ?? "").trim().toLowerCase();
  if (scope.rule_id !== undefined && lower(scope.rule_id) !== lower(alert.rule?.id)) return false;
  if (scope.host !== undefined) {
    const hosts = [host?.key, alert.host?.name ? hostKey(alert.host.name) : undefined];
    if (!hosts.includes(hostKey(scope.host))) return false;
  }
  if (scope.user !== undefined && (!observables.user || userKey(scope.user) !== observables.user)) return false;
  if (scope.process_name !== undefined && (!alert.process?.name || baseName(scope.process_name) !== baseName(alert.process.name))) return false;
  if (scope.parent_name !== undefined && (!alert.process?.parent_name || baseName(scope.parent_name) !== baseName(alert.process.parent_name))) return false;
  if (scope.command_line_contains !== undefined && !lower(alert.process?.command_line).includes(lower(scope.command_line_contains)))
    return false;
  if (scope.signer !== undefined && (!alert.process?.signer || lower(scope.signer) !== lower(alert.process.signer))) return false;
  if (scope.domain !== undefined && !observables.sharing.domain.some((d) => isWithinDomain(d, scope.domain!))) return false;
  return true;
}

/**
 * The suppression that covers this alert, as of the alert's time. One in force (unexpired, within the
 * maximum age) is preferred, the youngest first; a stale or expired one is still reported with its age so
 * that triage can see it and refuse it.
 */
export function matchSuppression(
  suppressions: Suppression[],
  alert: Alert,
  context: { alertTime: string; host: HostLabel | null; observables: AlertObservables; maxAgeDays: number },
): SuppressionResult {
  const at = Date.parse(context.alertTime);
  const covering = suppressions
    .filter((s) => Date.parse(s.created_at) <= at)
    .filter((s) => suppressionCovers(s, alert, context.host, context.observables))
    .map((s) => {
      const age = ageDays(s.created_at, context.alertTime) ?? 0;
      const expired = s.expires_at !== undefined && Date.parse(s.expires_at) < at;
      return { s, age, inForce: !expired && age <= context.maxAgeDays };
    })
    .sort((a, b) => Number(b.inForce) - Number(a.inForce) || a.age - b.age || a.s.id.localeCompare(b.s.id));
  const best = covering[0];
  if (!best) return { match: null, age_days: null };
  return {
    match: {
      id: best.s.id,
      reason: best.s.reason,
      author: best.s.author,
      age_days: best.age,
      in_force: best.inForce,
      expires_at: best.s.expires_at ?? null,
    },
    age_days: best.age,
  };
}
