import { z } from "zod";
import { Alert, Case, Enrichment, ToraOutput } from "../../core/index.js";

/**
 * What VERA sees of a case: TORA's decision whole (its escalation package and everything else), the case,
 * its alerts with their enrichment, and the augmentation layer read from the event store and the alerts
 * table. Every part says what was queried and which telemetry was missing, so an absence is never mistaken
 * for a clean result.
 */

/** An event as VERA reads it: the indexed columns and a bounded copy of the event's data (attacker-controlled). */
export const EventDigest = z.object({
  id: z.string(),
  time: z.string(),
  host: z.string().nullable(),
  user: z.string().nullable(),
  event_id: z.string().nullable(),
  channel: z.string().nullable(),
  process: z.string().nullable(),
  process_id: z.string().nullable(),
  process_guid: z.string().nullable(),
  parent_process: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type EventDigest = z.infer<typeof EventDigest>;

/** One query against the event store or a table, as it was run (the trace an analyst can rerun). */
export const PartQuery = z.object({ source: z.string(), args: z.record(z.string(), z.unknown()) });
export type PartQuery = z.infer<typeof PartQuery>;

const partBase = {
  queries: z.array(PartQuery),
  /** Telemetry the part needed and did not have: none on the asset, or nothing stored for the window. */
  missing_telemetry: z.array(z.string()),
  /** More was found than the part's cap kept. */
  truncated: z.boolean(),
};

export const EventsAroundPart = z.object({
  ...partBase,
  anchors: z.array(
    z.object({ alert_id: z.string(), host: z.string().nullable(), user: z.string().nullable(), time: z.string(), events: z.array(EventDigest) }),
  ),
});

export const ProcessNodeDigest = z.object({
  depth: z.number().int().min(0),
  time: z.string(),
  process: z.string().nullable(),
  process_id: z.string().nullable(),
  process_guid: z.string().nullable(),
  parent_process: z.string().nullable(),
  user: z.string().nullable(),
  command_line: z.string().nullable(),
  signed: z.boolean().nullable(),
  signer: z.string().nullable(),
  sha256: z.string().nullable(),
  /** This node is the alert's own process. */
  is_target: z.boolean(),
});
export type ProcessNodeDigest = z.infer<typeof ProcessNodeDigest>;

export const ProcessTreePart = z.object({
  ...partBase,
  trees: z.array(z.object({ alert_id: z.string(), host: z.string(), nodes: z.array(ProcessNodeDigest) })),
});

export const PersistencePart = z.object({ ...partBase, events: z.array(EventDigest) });

export const Connection = z.object({
  time: z.string(),
  host: z.string().nullable(),
  src_ip: z.string().nullable(),
  dst_ip: z.string().nullable(),
  dst_port: z.number().nullable(),
  dst_host: z.string().nullable(),
  process: z.string().nullable(),
  protocol: z.string().nullable(),
  bytes_out: z.number().nullable(),
  event_id: z.string(),
});
export type Connection = z.infer<typeof Connection>;

export const DestinationSummary = z.object({
  destination: z.string(),
  dst_ip: z.string().nullable(),
  dst_host: z.string().nullable(),
  dst_port: z.number().nullable(),
  count: z.number().int(),
  first: z.string(),
  last: z.string(),
  processes: z.array(z.string()),
  /** Median seconds between connections (null below 3 connections). */
  interval_seconds: z.number().nullable(),
  /** Mean absolute deviation of the intervals over their median, 0 = perfectly regular. */
  jitter: z.number().nullable(),
  beaconing: z.boolean(),
  /** The destination is one of the case's indicators. */
  case_indicator: z.boolean(),
});
export type DestinationSummary = z.infer<typeof DestinationSummary>;

export const NetworkPart = z.object({ ...partBase, connections: z.array(Connection), destinations: z.array(DestinationSummary) });

export const AuthEvent = z.object({
  time: z.string(),
  host: z.string().nullable(),
  user: z.string().nullable(),
  kind: z.enum(["success", "failure", "explicit_credentials", "special_privileges"]),
  src_ip: z.string().nullable(),
  logon_type: z.string().nullable(),
  method: z.string().nullable(),
  event_id: z.string(),
});
export type AuthEvent = z.infer<typeof AuthEvent>;

export const AuthPart = z.object({
  ...partBase,
  events: z.array(AuthEvent),
  summary: z.object({
    failures: z.number().int(),
    successes: z.number().int(),
    /** Sources with failures followed by a success for the same user (password guessing that worked). */
    failure_then_success: z.array(z.object({ src_ip: z.string(), user: z.string().nullable(), failures: z.number().int(), success_time: z.string() })),
  }),
});

export const DnsLookup = z.object({
  time: z.string(),
  host: z.string().nullable(),
  query: z.string(),
  answers: z.array(z.string()),
  response_code: z.string().nullable(),
  process: z.string().nullable(),
});
export type DnsLookup = z.infer<typeof DnsLookup>;

export const DnsPart = z.object({
  ...partBase,
  lookups: z.array(DnsLookup),
  domains: z.array(z.object({ domain: z.string(), lookups: z.number().int(), hosts: z.array(z.string()), first: z.string().nullable(), last: z.string().nullable() })),
});

export const RelatedAlert = z.object({
  alert_id: z.string(),
  case_id: z.string().nullable(),
  time: z.string(),
  title: z.string(),
  severity: z.string(),
  host: z.string().nullable(),
  user: z.string().nullable(),
  shared: z.array(z.string()),
});
export const RelatedAlertsPart = z.object({ ...partBase, alerts: z.array(RelatedAlert), cases: z.array(z.string()) });

export const ThreatActorPart = z.object({
  ...partBase,
  profiles: z.array(
    z.object({
      associated_malware: z.string().nullable(),
      categories: z.array(z.string()),
      matched_indicators: z.array(z.string()),
      max_source_count: z.number(),
      source_total: z.number(),
      feeds: z.array(z.string()),
      /** Other indicators intel ties to the same malware family (infrastructure to hunt for). */
      related_indicators: z.array(z.object({ type: z.string(), value: z.string() })),
    }),
  ),
});

export const Augmentation = z.object({
  window: z.object({ before_minutes: z.number(), after_minutes: z.number(), dns_history_hours: z.number() }),
  events_around: EventsAroundPart,
  process_trees: ProcessTreePart,
  persistence: PersistencePart,
  network: NetworkPart,
  authentication: AuthPart,
  dns_history: DnsPart,
  related_alerts: RelatedAlertsPart,
  threat_actor: ThreatActorPart,
  /** Every part's missing telemetry, in one list (the nova_feed's). */
  missing_telemetry: z.array(z.string()),
});
export type Augmentation = z.infer<typeof Augmentation>;

export const VeraAlertInput = z.object({ alert: Alert, enrichment: Enrichment });
export type VeraAlertInput = z.infer<typeof VeraAlertInput>;

export const VeraInput = z.object({
  case_id: z.string().min(1),
  now: z.iso.datetime({ offset: true }),
  case: Case,
  tora: z.object({ decision_id: z.string(), analyst: z.string(), created_at: z.string(), output: ToraOutput }),
  alerts: z.array(VeraAlertInput).min(1, "a case needs at least one alert to investigate"),
  augmentation: Augmentation,
  /**
   * The case's addresses and names that are the organisation's own assets in the CMDB (own-infrastructure.ts):
   * containment may isolate them, never block them as indicators.
   */
  own_infrastructure: z.object({ ips: z.array(z.string()), hostnames: z.array(z.string()) }).default({ ips: [], hostnames: [] }),
});
export type VeraInput = z.infer<typeof VeraInput>;
