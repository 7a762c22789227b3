import { z } from "zod";
import type { Severity } from "../../core/index.js";
import { Confidence, IdText, Ip, Port, TechniqueId, Text, parseSeverity, type GenericAlertInput } from "./generic.js";

/**
 * OCSF findings: Detection Finding (class 2004) and the older Security Finding (class 2001).
 * Fields are validated where they stand in OCSF, so errors carry OCSF paths; the finding is then
 * rewritten as a generic alert, which the generic normaliser turns into the core Alert.
 */
export const OCSF_FINDING_CLASSES = { 2004: "Detection Finding", 2001: "Security Finding" } as const;

/** Observable type ids of the OCSF observable object (schema 1.x) that Nightshift reasons on. */
export const OCSF_OBSERVABLE_TYPES = {
  1: "Hostname",
  2: "IP Address",
  4: "User Name",
  5: "Email Address",
  6: "URL String",
  8: "Hash",
  9: "Process Name",
} as const;

const loose = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);

const Endpoint = loose({ ip: Ip.optional(), hostname: Text.optional(), domain: Text.optional(), port: Port.optional(), name: Text.optional() });
const Analytic = loose({ uid: IdText.optional(), name: Text.optional() });
const Attack = loose({
  tactic: loose({ name: Text.optional(), uid: Text.optional() }).optional(),
  /** OCSF 1.0 had a list of tactics per attack. */
  tactics: z.array(loose({ name: Text.optional(), uid: Text.optional() })).optional(),
  technique: loose({ uid: TechniqueId.optional(), name: Text.optional() }).optional(),
  sub_technique: loose({ uid: TechniqueId.optional(), name: Text.optional() }).optional(),
});
const FindingInfo = loose({
  uid: IdText.optional(),
  title: Text.optional(),
  desc: Text.optional(),
  types: z.array(z.string()).optional(),
  analytic: Analytic.optional(),
  attacks: z.array(Attack).optional(),
});
const Observable = loose({
  type_id: z.number({ error: "required: the OCSF observable type id" }).int(),
  type: z.string().optional(),
  name: z.string().optional(),
  value: z.union([z.string(), z.number()]).optional(),
});
const SEVERITY_IDS: Record<number, Severity | null> = { 0: null, 1: "informational", 2: "low", 3: "medium", 4: "high", 5: "critical", 6: "critical", 99: null };

export const OcsfFinding = loose({
  class_uid: z
    .number({ error: "required: the OCSF class_uid" })
    .refine((uid) => uid in OCSF_FINDING_CLASSES, {
      error: (issue) => `OCSF class ${String(issue.input)} is not a finding: only Detection Finding (2004) and Security Finding (2001) are alerts`,
    }),
  finding_info: FindingInfo.optional(),
  /** Security Finding (2001) before OCSF 1.1. */
  finding: FindingInfo.optional(),
  attacks: z.array(Attack).optional(),
  message: z.string().optional(),
  severity_id: z
    .number()
    .int()
    .refine((id) => id in SEVERITY_IDS, "severity_id is 0–6 or 99")
    .optional(),
  severity: z.string().optional(),
  time: z.number().nonnegative().optional(),
  time_dt: z.string().optional(),
  confidence_score: Confidence.optional(),
  metadata: loose({
    uid: IdText.optional(),
    product: loose({ name: Text.optional(), vendor_name: Text.optional() }).optional(),
  }).optional(),
  device: loose({ hostname: Text.optional(), name: Text.optional(), ip: Ip.optional() }).optional(),
  actor: loose({ user: loose({ name: Text.optional(), domain: Text.optional() }).optional() }).optional(),
  src_endpoint: Endpoint.optional(),
  dst_endpoint: Endpoint.optional(),
  observables: z.array(Observable).optional(),
  raw_data: z.string().optional(),
  unmapped: z.record(z.string(), z.unknown()).optional(),
}).superRefine((finding, ctx) => {
  const info = finding.finding_info ?? finding.finding;
  if (!info?.title && !finding.message && !info?.analytic?.name)
    ctx.addIssue({ code: "custom", path: ["finding_info", "title"], message: "required: a finding needs finding_info.title (or a message)" });
});
export type OcsfFinding = z.output<typeof OcsfFinding>;

/** An object with a class_uid is OCSF. */
export function isOcsf(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "class_uid" in value;
}

function ocsfSeverity(finding: OcsfFinding): Severity {
  const byId = finding.severity_id === undefined ? null : SEVERITY_IDS[finding.severity_id];
  if (byId) return byId;
  const text = finding.severity?.trim().toLowerCase();
  if (text === "fatal") return "critical";
  return (text && parseSeverity(text)) || "medium";
}

function observableType(observable: { type_id: number; name?: string | undefined }): string | null {
  switch (observable.type_id) {
    case 1:
      // Hostname covers fully qualified domain names; a DNS query or a domain field is a domain.
      return /domain|query|dns/i.test(observable.name ?? "") ? "domain" : "host";
    case 2:
      return "ip";
    case 4:
      return "user";
    case 5:
      return "email";
    case 6:
      return "url";
    case 8:
      return "file_hash";
    case 9:
      return "process";
    default:
      return null;
  }
}

function observableRole(name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (name.startsWith("src_endpoint")) return "src";
  if (name.startsWith("dst_endpoint")) return "dst";
  if (name.startsWith("actor")) return "actor";
  return undefined;
}

const endpoint = (e: z.output<typeof Endpoint> | undefined) =>
  e && (e.ip || e.hostname || e.domain || e.port !== undefined)
    ? Object.fromEntries(Object.entries({ ip: e.ip, hostname: e.hostname ?? e.name, domain: e.domain, port: e.port }).filter(([, v]) => v !== undefined))
    : undefined;

/** The generic alert an OCSF finding stands for. The finding itself is the raw event unless it carries raw_data. */
export function ocsfToGeneric(finding: OcsfFinding, original: unknown): GenericAlertInput {
  const info = finding.finding_info ?? finding.finding;
  const analytic = info?.analytic;
  const attacks = [...(info?.attacks ?? []), ...(finding.attacks ?? [])];
  const tactics = attacks.flatMap((a) => [a.tactic, ...(a.tactics ?? [])]).map((t) => t?.name ?? t?.uid).filter((t): t is string => !!t);
  const techniques = attacks.map((a) => a.sub_technique?.uid ?? a.technique?.uid).filter((t): t is string => !!t);
  const unmapped: Record<string, unknown> = { ...(finding.unmapped ?? {}) };
  if (info?.types?.length) unmapped["finding_info.types"] = info.types;
  const observables: { type: string; value: string; role?: string }[] = [];
  const unsupported: unknown[] = [];
  for (const observable of finding.observables ?? []) {
    const type = observableType(observable);
    const value = observable.value === undefined ? "" : String(observable.value).trim();
    if (type && value) {
      const role = observableRole(observable.name);
      observables.push(role ? { type, value, role } : { type, value });
    } else unsupported.push(observable);
  }
  if (unsupported.length) unmapped["ocsf.observables"] = unsupported;
  const source = finding.metadata?.product?.name ?? finding.metadata?.product?.vendor_name ?? "ocsf";
  const device = finding.device;
  const user = finding.actor?.user;
  const generic: Record<string, unknown> = {
    title: info?.title ?? finding.message ?? analytic?.name,
    time: finding.time ?? finding.time_dt,
    severity: ocsfSeverity(finding),
    source,
    // The finding uid names the detection across its updates; the event uid only one report of it.
    source_id: info?.uid ?? finding.metadata?.uid,
    description: info?.desc ?? (info?.title ? finding.message : undefined),
    confidence: finding.confidence_score,
    rule: analytic && (analytic.uid || analytic.name) ? { id: analytic.uid ?? analytic.name, title: analytic.name ?? analytic.uid, source } : undefined,
    attack: tactics.length || techniques.length ? { tactics, techniques } : undefined,
    host: device && (device.hostname || device.name || device.ip) ? { name: device.hostname ?? device.name, ip: device.ip ? [device.ip] : [] } : undefined,
    user: user?.name ? { name: user.name, domain: user.domain } : undefined,
    src: endpoint(finding.src_endpoint),
    dst: endpoint(finding.dst_endpoint),
    observables: observables.length ? observables : undefined,
    raw: finding.raw_data ?? original,
    unmapped,
  };
  return Object.fromEntries(Object.entries(generic).filter(([, v]) => v !== undefined)) as GenericAlertInput;
}
