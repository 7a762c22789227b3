import { z } from "zod";
import { SEVERITIES, type Severity } from "../../../core/index.js";

/*
 * Microsoft Sentinel (REST API `Microsoft.SecurityInsights`) incidents and their alerts, as the ARM
 * resources `Incident` (incidents - list / get) and `SecurityAlert` (incidents - list alerts) describe
 * them: `{id, name, type, etag, properties: {…}}`. Only what the mapping reads is typed, each field
 * tolerant; the record is kept whole in `raw`.
 */
const Str = z.string().optional().catch(undefined);
const Strings = z.array(z.string()).catch([]);

export const SentinelIncident = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  properties: z.looseObject({
    title: Str,
    description: Str.nullable(),
    severity: Str,
    status: Str,
    classification: Str.nullable(),
    incidentNumber: z.number().optional().catch(undefined),
    incidentUrl: Str,
    createdTimeUtc: Str,
    lastModifiedTimeUtc: Str,
    firstActivityTimeUtc: Str.nullable(),
    lastActivityTimeUtc: Str.nullable(),
    owner: z.looseObject({ assignedTo: Str.nullable(), userPrincipalName: Str.nullable() }).optional().catch(undefined),
    additionalData: z.looseObject({ alertsCount: z.number().optional().catch(undefined), tactics: Strings, techniques: Strings, alertProductNames: Strings }).optional().catch(undefined),
  }),
});
export type SentinelIncident = z.infer<typeof SentinelIncident>;

export const SentinelAlert = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  properties: z.looseObject({
    alertDisplayName: Str,
    description: Str.nullable(),
    severity: Str,
    status: Str,
    alertType: Str,
    productName: Str,
    productComponentName: Str.nullable(),
    vendorName: Str,
    providerAlertId: Str,
    systemAlertId: Str,
    compromisedEntity: Str.nullable(),
    alertLink: Str.nullable(),
    confidenceScore: z.number().optional().catch(undefined),
    tactics: Strings,
    techniques: Strings,
    startTimeUtc: Str,
    endTimeUtc: Str,
    timeGenerated: Str,
  }),
});
export type SentinelAlert = z.infer<typeof SentinelAlert>;

/** Sentinel's severities (High, Medium, Low, Informational) to Nightshift's. */
export const DEFAULT_SEVERITY_MAP: Record<string, Severity> = { informational: "informational", low: "low", medium: "medium", high: "high", unknown: "medium" };
export const SeverityMapInput = z.record(z.string().min(1), z.enum(SEVERITIES)).transform((table) => ({
  ...DEFAULT_SEVERITY_MAP,
  ...Object.fromEntries(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v])),
}));

function severityFor(native: string | undefined, table: Record<string, Severity>): Severity {
  return table[(native ?? "unknown").toLowerCase()] ?? table.unknown ?? "medium";
}

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/i;
/** Sentinel writes tactics in PascalCase (`InitialAccess`, `CommandAndControl`): split into words for the tactic table. */
const tacticWords = (t: string) => t.replace(/([a-z])([A-Z])/g, "$1 $2");
const time = (value: string | null | undefined) => (value && Number.isFinite(Date.parse(value)) ? new Date(value).toISOString() : undefined);
const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && !v.length)));

/** The incident's context every one of its alerts carries. */
function incidentContext(incident: SentinelIncident) {
  const p = incident.properties;
  return compact({
    sentinel_incident_id: incident.name,
    sentinel_incident_number: p.incidentNumber,
    sentinel_incident_title: p.title,
    sentinel_incident_status: p.status,
    sentinel_incident_classification: p.classification,
    sentinel_incident_url: p.incidentUrl,
    sentinel_incident_owner: p.owner?.userPrincipalName ?? p.owner?.assignedTo,
  });
}

/** One SecurityAlert of an incident as a generic alert (`source: sentinel`, `source_id`: the alert's name). */
export function sentinelAlertToGeneric(alert: SentinelAlert, incident: SentinelIncident, severity: Record<string, Severity>): Record<string, unknown> {
  const p = alert.properties;
  const title = p.alertDisplayName ?? incident.properties.title ?? `Sentinel alert ${alert.name}`;
  return compact({
    title,
    time: time(p.startTimeUtc) ?? time(p.timeGenerated),
    severity: severityFor(p.severity, severity),
    source: "sentinel",
    source_id: alert.name,
    description: p.description ?? undefined,
    confidence: p.confidenceScore !== undefined && p.confidenceScore <= 1 ? Math.round(p.confidenceScore * 100) : undefined,
    rule: p.alertType ? { id: p.alertType, title, source: p.productName ?? "sentinel" } : undefined,
    attack: compact({ tactics: p.tactics.map(tacticWords), techniques: p.techniques.filter((t) => TECHNIQUE.test(t)).map((t) => t.toUpperCase()) }),
    unmapped: compact({
      vendor_severity: p.severity,
      sentinel_alert_status: p.status,
      sentinel_product: p.productName,
      sentinel_vendor: p.vendorName,
      sentinel_provider_alert_id: p.providerAlertId,
      sentinel_system_alert_id: p.systemAlertId,
      sentinel_compromised_entity: p.compromisedEntity,
      sentinel_alert_link: p.alertLink,
      ...incidentContext(incident),
    }),
    raw: alert,
  });
}

/** An incident without alerts (created by hand or by an automation) as one generic alert of its own. */
export function sentinelIncidentToGeneric(incident: SentinelIncident, severity: Record<string, Severity>): Record<string, unknown> {
  const p = incident.properties;
  return compact({
    title: p.title ?? `Sentinel incident ${incident.name}`,
    time: time(p.firstActivityTimeUtc) ?? time(p.createdTimeUtc),
    severity: severityFor(p.severity, severity),
    source: "sentinel",
    source_id: `incident:${incident.name}`,
    description: p.description ?? undefined,
    attack: compact({ tactics: (p.additionalData?.tactics ?? []).map(tacticWords), techniques: (p.additionalData?.techniques ?? []).filter((t) => TECHNIQUE.test(t)).map((t) => t.toUpperCase()) }),
    unmapped: compact({ vendor_severity: p.severity, ...incidentContext(incident) }),
    raw: incident,
  });
}
