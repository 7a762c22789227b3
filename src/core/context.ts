import { z } from "zod";

export const Criticality = z.enum(["critical", "high", "medium", "low"]);
export type Criticality = z.infer<typeof Criticality>;

/** A CMDB record: the context-file import contract (criticality and environment are required there). */
export const CmdbAsset = z.object({
  hostname: z.string().min(1),
  ips: z.array(z.string()).default([]),
  criticality: Criticality,
  environment: z.string().min(1),
  crown_jewel_adjacent: z.boolean().default(false),
  owner: z.string().optional(),
  network_segment: z.string().optional(),
  patch_level: z.string().optional(),
  edr_present: z.boolean().optional(),
  /** Telemetry that exists for the asset: edr, netflow, dns_logs, auth_logs… */
  telemetry: z.array(z.string()).default([]),
  os: z.string().optional(),
  /** Other names of the host (FQDNs, NetBIOS names, old names): an alert naming one finds this asset. */
  aliases: z.array(z.string().min(1)).optional(),
  /** What the host is for (mail, web, dns, firewall, workstation…): analyst precedent is also looked up by role. */
  role: z.string().min(1).optional(),
  /** Never acted on by ARIA (a safety-critical or fragile system): the response tier forbids every action on it. */
  do_not_touch: z.boolean().optional(),
});
export type CmdbAsset = z.infer<typeof CmdbAsset>;

/** How an alert's host was found: by its name, or by an address as of the alert's time. */
export const AssetResolution = z.object({
  method: z.enum(["hostname", "lease", "observation", "cmdb_ip", "none"]),
  /** Which rule joined the alert to the asset: its FQDN, its short name, a declared alias, or an address. */
  match: z.enum(["fqdn", "short_name", "alias", "ip"]).optional(),
  /** The alert's address that was resolved (null when resolved by name). */
  address: z.string().nullable(),
  /** When the evidence was recorded: the lease start, the observation's last sighting, the CMDB record's update. */
  as_of: z.string().nullable(),
  /** Where the evidence came from: the lease file, the inventory, the CMDB. */
  source: z.string().nullable().optional(),
});
export type AssetResolution = z.infer<typeof AssetResolution>;

/**
 * The asset of an enrichment: the CMDB record merged with device inventories (src/context/assets). A host
 * known only to an inventory has no criticality or environment: unknown, listed as missing, never guessed.
 */
export const Asset = CmdbAsset.extend({
  criticality: Criticality.optional(),
  environment: z.string().min(1).optional(),
  crown_jewel_adjacent: z.boolean().optional(),
  os_version: z.string().optional(),
  /** The most recent sighting by an inventory (EDR/MDM console). */
  last_seen: z.string().optional(),
  device_id: z.string().optional(),
  health: z.string().optional(),
  risk: z.string().optional(),
  tags: z.array(z.string()).optional(),
  resolved_by: AssetResolution.optional(),
});
export type Asset = z.infer<typeof Asset>;

/**
 * A network of the organisation (context file `subnets`). It names no asset: it gives an address's network
 * segment (and the network's environment and site) when the CMDB does not.
 */
export const Subnet = z.object({
  cidr: z.string().min(1),
  segment: z.string().min(1),
  environment: z.string().min(1).optional(),
  site: z.string().optional(),
  description: z.string().optional(),
});
export type Subnet = z.infer<typeof Subnet>;

export const IdentityAnomaly = z.object({
  time: z.string().min(1),
  kind: z.string().min(1),
  detail: z.string().optional(),
});
export type IdentityAnomaly = z.infer<typeof IdentityAnomaly>;

export const Identity = z.object({
  username: z.string().min(1),
  display_name: z.string().optional(),
  user_type: z.enum(["human", "service_account"]),
  privilege_level: z.enum(["standard", "elevated", "admin"]),
  mfa_enabled: z.boolean().optional(),
  recent_anomaly: z.boolean().default(false),
  risk_score: z.number().int().min(0).max(100).optional(),
  department: z.string().optional(),
  email: z.string().optional(),
  /** Anomalies the identity provider saw (impossible_travel, new_country, mfa_fatigue, unusual_hour…). */
  anomalies: z.array(IdentityAnomaly).optional(),
  /** Second factors enrolled: totp, push, fido2, sms… */
  mfa_methods: z.array(z.string()).optional(),
  last_password_change: z.string().optional(),
  manager: z.string().optional(),
  groups: z.array(z.string()).optional(),
  disabled: z.boolean().optional(),
  /** Never acted on by ARIA (break-glass and other accounts humans keep to themselves). */
  do_not_touch: z.boolean().optional(),
});
export type Identity = z.infer<typeof Identity>;

export const IndicatorType = z.enum(["ip", "domain", "url", "file_hash", "email"]);
export const IndicatorVerdict = z.enum(["malicious", "suspicious", "benign"]);
export const Indicator = z.object({
  type: IndicatorType,
  value: z.string().min(1),
  verdict: IndicatorVerdict.default("malicious"),
  source_count: z.number().int().min(0),
  source_total: z.number().int().min(1),
  category: z.string().optional(),
  associated_malware: z.string().optional(),
  first_seen: z.string().optional(),
  last_seen: z.string().optional(),
  expires_at: z.string().optional(),
  feed: z.string().default("local"),
  /** Every feed that lists this value (imported intel); `source_count` grows with each one that agrees. */
  sources: z.array(z.string()).optional(),
  /** The feed's own confidence in the indicator, 0–100 (STIX `confidence`). */
  confidence: z.number().int().min(0).max(100).optional(),
  /** Labels and tags from the feed (STIX `labels`, MISP tags and category). */
  tags: z.array(z.string()).optional(),
});
export type Indicator = z.infer<typeof Indicator>;

export const Suppression = z.object({
  id: z.string().min(1),
  author: z.string().min(1),
  reason: z.string().min(1),
  /** Which alerts it covers: every given field must match. */
  scope: z.object({
    rule_id: z.string().optional(),
    host: z.string().optional(),
    user: z.string().optional(),
    process_name: z.string().optional(),
    /** The parent process's name (base name, case-insensitive), as `process_name`. */
    parent_name: z.string().optional(),
    command_line_contains: z.string().optional(),
    signer: z.string().optional(),
    domain: z.string().optional(),
  }),
  created_at: z.string(),
  expires_at: z.string().optional(),
});
export type Suppression = z.infer<typeof Suppression>;

export const Completeness = z.enum(["complete", "partial", "insufficient"]);

/** An alert enriched on the three axes of crew.md plus intel and history. Unknown is missing, never guessed. */
export const Enrichment = z.object({
  schema_version: z.literal(1),
  event: z.object({
    id: z.string(),
    source: z.string(),
    rule: z.object({ id: z.string(), title: z.string(), level: z.string().nullable(), author: z.string().nullable() }).nullable(),
    severity: z.string(),
    /** The sender's own priority (mapped to P1–P4), a hint: TORA sets the case's priority. */
    priority: z.string().nullable().default(null),
    confidence: z.number().nullable(),
    techniques: z.array(z.string()),
    subtype: z.string().nullable(),
    time: z.string(),
  }),
  network: z.object({
    src_ip: z.string().nullable(),
    src_hostname: z.string().nullable(),
    dst_ip: z.string().nullable(),
    dst_hostname: z.string().nullable(),
    dst_domain: z.string().nullable(),
    dst_port: z.number().nullable(),
    protocol: z.string().nullable(),
    query_type: z.string().nullable(),
    response_code: z.string().nullable(),
    /** The segment of the narrowest context-file subnet containing the address; absent when no subnet does. */
    src_segment: z.string().optional(),
    dst_segment: z.string().optional(),
  }),
  asset: Asset.nullable(),
  /**
   * The identity record as of the alert's time: `recent_anomaly` is true when the record says so or an
   * anomaly lies within the anomaly window before the alert; those anomalies are `recent_anomalies`.
   */
  identity: Identity.extend({ recent_anomalies: z.array(IdentityAnomaly).optional() }).nullable(),
  threat_intel: z.object({
    verdict: z.enum(["malicious", "suspicious", "benign", "unknown"]),
    matches: z.array(
      z.object({
        /** The indicator record's value (e.g. a parent domain). */
        indicator: z.string(),
        type: IndicatorType,
        /** This indicator's own verdict; `threat_intel.verdict` is the strongest over all matches. */
        verdict: IndicatorVerdict,
        /** The value on the alert that matched it (e.g. the subdomain that was queried). */
        matched_value: z.string(),
        source_count: z.number(),
        source_total: z.number(),
        category: z.string().nullable(),
        associated_malware: z.string().nullable(),
        ioc_age_days: z.number().nullable(),
        feed: z.string(),
        /** How the alert's value met the record: the value itself, a parent domain, or a network containing the address. */
        match: z.enum(["exact", "parent_domain", "cidr"]).optional(),
        /** Every feed behind the record (imported intel), when known. */
        sources: z.array(z.string()).optional(),
      }),
    ),
  }),
  history: z.object({
    same_indicator_count: z.number().int(),
    same_indicator_assets: z.array(z.string()),
    same_src_count: z.number().int(),
    same_rule_count: z.number().int(),
    suppression_match: z
      .object({
        id: z.string(),
        reason: z.string(),
        author: z.string(),
        age_days: z.number(),
        /** In force at the alert's time: not expired and no older than the maximum age. */
        in_force: z.boolean(),
        expires_at: z.string().nullable(),
      })
      .nullable(),
    suppression_age_days: z.number().nullable(),
    last_disposition: z.string().nullable(),
    /** Earlier alerts (by alert time, within the window) sharing an entity with this one. */
    related_alerts: z.array(
      z.object({
        alert_id: z.string(),
        time: z.string(),
        title: z.string(),
        subtype: z.string().nullable(),
        rule_id: z.string().nullable(),
        host: z.string().nullable(),
        shared: z.array(z.string()),
      }),
    ),
    window_hours: z.number(),
    /**
     * Earlier alerts in nested windows ending at the alert's time, keyed `1h`, `24h`, and the history
     * window (`7d` for 168 h): counts per kind of link, and how many distinct assets those alerts and this
     * one involve.
     */
    windows: z
      .record(
        z.string(),
        z.object({
          same_indicator: z.number().int(),
          same_src: z.number().int(),
          same_rule: z.number().int(),
          assets: z.number().int(),
        }),
      )
      .optional(),
  }),
  /**
   * Analyst precedent (context/precedent.ts): how analysts judged earlier alerts of this shape — the same
   * source and rule on the same host, on a host of the same role, or from the same source address. Benign
   * dispositions count only within `max_age_days` of the alert; malicious ones at any age. Absent on
   * enrichments made before feedback existed.
   */
  precedent: z
    .object({
      max_age_days: z.number(),
      shapes: z.array(
        z.object({
          by: z.enum(["host", "role", "src_ip"]),
          source: z.string(),
          rule: z.string(),
          value: z.string(),
          /** False-positive dispositions within the age limit. */
          benign: z.number().int(),
          /** False-positive dispositions older than the age limit: shown, never counted. */
          stale_benign: z.number().int(),
          /** True-positive dispositions, at any age. */
          malicious: z.number().int(),
          last_benign_at: z.string().nullable(),
          last_malicious_at: z.string().nullable(),
        }),
      ),
    })
    .optional(),
  email_context: z.record(z.string(), z.unknown()).nullable(),
  meta: z.object({
    received_time: z.string(),
    enriched_at: z.string(),
    context_completeness: Completeness,
    missing_fields: z.array(z.string()),
    telemetry: z.array(z.string()),
    provenance: z.array(
      z.object({
        axis: z.string(),
        source: z.string(),
        as_of: z.string().nullable(),
        /** Alert time minus `as_of`, in hours; null when `as_of` is unknown. */
        age_hours: z.number().nullable().optional(),
        /** Older than its axis allows (config), or past its own expiry: present but not to be trusted as current. */
        stale: z.boolean().optional(),
      }),
    ),
    /** Paths of enrichments that are present but stale (see provenance): flagged, not missing. */
    stale: z.array(z.string()).optional(),
    /**
     * The alert's user is an operating-system principal (`NT AUTHORITY\SYSTEM`, `LOCAL SERVICE`…), not
     * a directory identity: no identity record can exist for it, so none is listed as missing.
     */
    builtin_principal: z.string().nullable().default(null),
  }),
});
export type Enrichment = z.infer<typeof Enrichment>;
