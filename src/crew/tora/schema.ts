import { z } from "zod";
import { Alert, Enrichment, Suppression, type Alert as AlertType, type Enrichment as EnrichmentType } from "../../core/index.js";

export {
  CREW_SCHEMA_VERSION,
  ConfidenceLabel,
  EscalationPackage,
  ForcedRule,
  Indicators,
  InsufficientContextPackage,
  NovaFeed,
  ToraOutput,
  ToraVerdict,
  TraceStep,
  confidenceLabel,
} from "../../core/index.js";

export const ToraAlertInput = z.object({ alert: Alert, enrichment: Enrichment });
export type ToraAlertInput = z.infer<typeof ToraAlertInput>;

/** What TORA sees of a case: its alerts, each with its enrichment, and the time of triage. */
export const ToraInput = z.object({
  caseId: z.string().min(1),
  alerts: z.array(ToraAlertInput).min(1, "a case needs at least one alert to triage"),
  now: z.iso.datetime({ offset: true }),
  /**
   * The suppression records behind the enrichment's matches, as of `now`. When given, a match whose
   * record expired or disappeared since enrichment no longer counts; when absent the match is trusted.
   */
  suppressions: z.array(Suppression).optional(),
});
export type ToraInput = z.infer<typeof ToraInput>;

/** Paths recorded as missing for an alert that reached triage without any enrichment. */
export const UNENRICHED_MISSING_FIELDS = ["asset", "identity", "threat_intel", "history"] as const;

/**
 * The enrichment of an alert the context stage never saw: only what the alert itself carries is known,
 * every looked-up axis is recorded as missing (never guessed).
 */
export function unenrichedEnrichment(alert: AlertType, now: string): EnrichmentType {
  const dns = /^(dns|doh|dot)$/i.test(alert.network?.protocol ?? "") || !!alert.network?.query_type;
  const network = {
    src_ip: alert.src?.ip ?? alert.host?.ip[0] ?? null,
    src_hostname: alert.src?.hostname ?? alert.host?.name ?? null,
    dst_ip: alert.dst?.ip ?? null,
    dst_hostname: alert.dst?.hostname ?? null,
    dst_domain: alert.dst?.domain ?? (dns ? (alert.dst?.hostname ?? null) : null),
    dst_port: alert.dst?.port ?? null,
    protocol: alert.network?.protocol ?? null,
    query_type: alert.network?.query_type ?? null,
    response_code: alert.network?.response_code ?? null,
  };
  const missingNetwork = Object.entries(network)
    .filter(([, value]) => value === null)
    .map(([key]) => `network.${key}`);
  return {
    schema_version: 1,
    event: {
      id: alert.id,
      source: alert.source,
      rule: alert.rule
        ? { id: alert.rule.id, title: alert.rule.title, level: alert.rule.level ?? null, author: alert.rule.author ?? null }
        : null,
      severity: alert.severity,
      priority: alert.priority ?? null,
      confidence: alert.confidence ?? null,
      techniques: alert.attack.techniques,
      subtype: alert.subtype ?? null,
      time: alert.time,
    },
    network,
    asset: null,
    identity: null,
    threat_intel: { verdict: "unknown", matches: [] },
    history: {
      same_indicator_count: 0,
      same_indicator_assets: [],
      same_src_count: 0,
      same_rule_count: 0,
      suppression_match: null,
      suppression_age_days: null,
      last_disposition: null,
      related_alerts: [],
      window_hours: 0,
    },
    email_context: alert.email ? { ...alert.email } : null,
    meta: {
      received_time: alert.received_at,
      enriched_at: now,
      context_completeness: "insufficient",
      missing_fields: [...UNENRICHED_MISSING_FIELDS, ...missingNetwork],
      telemetry: [],
      provenance: [],
      builtin_principal: null,
    },
  };
}
