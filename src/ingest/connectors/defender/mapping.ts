import { isIP } from "node:net";
import { z } from "zod";
import type { DeviceRecord } from "../../../context/index.js";
import { SEVERITIES, type Severity } from "../../../core/index.js";

/**
 * Microsoft Graph security alert (v2) as `GET /v1.0/security/alerts_v2[/{id}]` returns it
 * (resource `microsoft.graph.security.alert`, docs: api-reference/v1.0/resources/security-alert.md).
 * Only what the mapping reads is typed, each field tolerant (`catch`): the record is kept whole in `raw`.
 */
const Str = z.string().optional().catch(undefined);
const Strings = z.array(z.string()).catch([]);

export const GraphAlert = z.looseObject({
  id: z.string().min(1),
  providerAlertId: Str,
  incidentId: z.union([z.string(), z.number()]).transform(String).optional().catch(undefined),
  status: Str,
  severity: Str,
  classification: Str.nullable(),
  determination: Str.nullable(),
  serviceSource: Str,
  detectionSource: Str,
  detectorId: Str.nullable(),
  title: Str.nullable(),
  description: Str.nullable(),
  category: Str.nullable(),
  alertWebUrl: Str.nullable(),
  incidentWebUrl: Str.nullable(),
  threatDisplayName: Str.nullable(),
  threatFamilyName: Str.nullable(),
  actorDisplayName: Str.nullable(),
  mitreTechniques: Strings,
  createdDateTime: Str,
  lastUpdateDateTime: Str,
  firstActivityDateTime: Str.nullable(),
  lastActivityDateTime: Str.nullable(),
  evidence: z.array(z.unknown()).optional().catch(undefined),
});
export type GraphAlert = z.infer<typeof GraphAlert>;

/** Defender's alertSeverity values (unknown, informational, low, medium, high, unknownFutureValue) to Nightshift's. */
export const DEFAULT_SEVERITY_MAP: Record<string, Severity> = {
  unknown: "medium",
  informational: "informational",
  low: "low",
  medium: "medium",
  high: "high",
  unknownfuturevalue: "medium",
};
export const SeverityMapInput = z.record(z.string().min(1), z.enum(SEVERITIES)).transform((table) => ({
  ...DEFAULT_SEVERITY_MAP,
  ...Object.fromEntries(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v])),
}));

export function severityFor(native: string | undefined, table: Record<string, Severity>): Severity {
  if (!native) return table.unknown ?? "medium";
  return table[native.toLowerCase()] ?? table.unknown ?? "medium";
}

/** How host names are written for the CMDB join: `short` (`ws-042`, the default) or the full DNS name. */
export const HostnameForm = z.enum(["short", "fqdn"]);
export type HostnameForm = z.infer<typeof HostnameForm>;

/** Lower-case; the first label only in `short` form (an IP address is left whole). */
export function hostName(dns: string, form: HostnameForm): string {
  const lower = dns.trim().toLowerCase().replace(/\.$/, "");
  if (form === "fqdn" || isIP(lower)) return lower;
  return lower.split(".")[0] || lower;
}

/** Graph's DateTimeOffset (7 fractional digits) as UTC ISO with milliseconds; null when unreadable. */
export function graphTime(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value.trim());
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

const TECHNIQUE = /^T\d{4}(\.\d{3})?$/i;
const SHA256 = /^[0-9a-f]{64}$/i;
const SHA1 = /^[0-9a-f]{40}$/i;
const MD5 = /^[0-9a-f]{32}$/i;
const MAX_DESCRIPTION = 4000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : undefined);
const ip = (value: unknown) => (typeof value === "string" && isIP(value.trim()) ? value.trim() : undefined);
const integer = (value: unknown) => (typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined);
const obj = (value: unknown): Json => (isObject(value) ? value : {});
const roles = (e: Json) => (Array.isArray(e.roles) ? e.roles.filter((r): r is string => typeof r === "string").map((r) => r.toLowerCase()) : []);
const evidenceType = (e: Json) => (typeof e["@odata.type"] === "string" ? e["@odata.type"].replace(/^#?microsoft\.graph\.security\./i, "") : "");

function compact<T extends Record<string, unknown>>(value: T): Partial<T> | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

/** `DefenseEvasion` (the alert's kill-chain category) as the ATT&CK tactic name `Defense Evasion`. */
export function tacticName(category: string): string {
  return category.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/\bAnd\b/g, "and").trim();
}

/** A userAccount (`{accountName, domainName, userPrincipalName…}`) as the generic `{name, domain?}`. */
function userOf(account: unknown): { name: string; domain?: string } | undefined {
  const a = obj(account);
  const name = text(a.accountName) ?? text(a.userPrincipalName) ?? text(a.displayName);
  if (!name) return undefined;
  const domain = text(a.domainName);
  return domain ? { name, domain } : { name };
}

type ObservableOut = { type: "ip" | "url" | "file_hash" | "host" | "user" | "domain"; value: string; role?: "src" | "dst" | "actor" | "target" | "other" };

/** The side an ipEvidence/urlEvidence sits on, from its evidence roles. */
function sideOf(e: Json): "src" | "dst" | undefined {
  const r = roles(e);
  if (r.includes("attacker") || r.includes("source")) return "src";
  if (r.includes("destination") || r.includes("commandandcontrol")) return "dst";
  return undefined;
}

export interface AlertMappingOptions {
  severity: Record<string, Severity>;
  hostname_form: HostnameForm;
}

export const DEFAULT_ALERT_MAPPING: AlertMappingOptions = { severity: DEFAULT_SEVERITY_MAP, hostname_form: "short" };

/**
 * One Graph alert as a generic alert: source "defender", source_id the alert id, time the first
 * activity (the alert's creation when absent), severity through the table (the native value kept
 * in `unmapped.vendor_severity`), ATT&CK from mitreTechniques and the category, and the evidence:
 * the first device (preferring a `compromised` one) is the host (its mdeDeviceId in
 * `unmapped.device_id`), users from userEvidence then processes then logged-on users, the first
 * process, and file hashes, IPs and URLs as observables. Values the generic schema would refuse are left out.
 */
export function defenderAlertToGeneric(record: GraphAlert, options: AlertMappingOptions = DEFAULT_ALERT_MAPPING): Record<string, unknown> {
  const evidence = (record.evidence ?? []).filter(isObject);
  const byType = (type: string) => evidence.filter((e) => evidenceType(e).toLowerCase() === type.toLowerCase());
  const devices = byType("deviceEvidence");
  const device = devices.find((d) => roles(d).includes("compromised")) ?? devices[0];
  const observables: ObservableOut[] = [];
  const add = (o: ObservableOut) => {
    if (!observables.some((x) => x.type === o.type && x.value.toLowerCase() === o.value.toLowerCase())) observables.push(o);
  };

  const deviceDns = text(device?.deviceDnsName);
  const hostIps = [...new Set((Array.isArray(device?.ipInterfaces) ? device.ipInterfaces : []).map(ip).filter((v): v is string => v !== undefined))];
  for (const other of devices) {
    const dns = text(other.deviceDnsName);
    if (other !== device && dns) add({ type: "host", value: hostName(dns, options.hostname_form), role: "other" });
  }

  const processes = byType("processEvidence");
  const proc = processes.find((p) => !roles(p).includes("parent")) ?? processes[0];
  const image = obj(proc?.imageFile);
  const parentImage = obj(proc?.parentProcessImageFile);
  const processSha = text(image.sha256);

  const userEvidence = byType("userEvidence").map((e) => userOf(e.userAccount)).find((u) => u !== undefined);
  const processUser = processes.map((p) => userOf(p.userAccount)).find((u) => u !== undefined);
  const loggedOn = (Array.isArray(device?.loggedOnUsers) ? device.loggedOnUsers : []).map(userOf).find((u) => u !== undefined);
  const user = userEvidence ?? processUser ?? loggedOn;

  for (const e of [...byType("fileEvidence"), ...processes]) {
    for (const file of [obj(e.fileDetails), obj(e.imageFile)]) {
      for (const hash of [text(file.sha256), text(file.sha1), text(file.md5)])
        if (hash && (SHA256.test(hash) || SHA1.test(hash) || MD5.test(hash))) add({ type: "file_hash", value: hash.toLowerCase() });
    }
  }
  let src: string | undefined;
  let dst: string | undefined;
  for (const e of byType("ipEvidence")) {
    const address = ip(e.ipAddress);
    if (!address) continue;
    const side = sideOf(e);
    if (side === "src") src ??= address;
    if (side === "dst") dst ??= address;
    add(side ? { type: "ip", value: address, role: side } : { type: "ip", value: address });
  }
  const urls: string[] = [];
  for (const e of byType("urlEvidence")) {
    const url = text(e.url);
    if (!url) continue;
    urls.push(url);
    add({ type: "url", value: url });
  }

  const techniques = [...new Set(record.mitreTechniques.filter((t) => TECHNIQUE.test(t)).map((t) => t.toUpperCase()))];
  const title = text(record.title) ?? `Defender alert ${record.id}`;
  const ruleId = text(record.detectorId);
  const alert: Record<string, unknown> = {
    title,
    time: graphTime(record.firstActivityDateTime) ?? graphTime(record.createdDateTime) ?? undefined,
    severity: severityFor(record.severity, options.severity),
    source: "defender",
    source_id: record.id,
    description: text(record.description)?.slice(0, MAX_DESCRIPTION),
    rule: ruleId ? { id: ruleId, title, source: text(record.serviceSource) ?? "defender" } : undefined,
    attack: compact({ techniques, tactics: text(record.category) ? [tacticName(record.category!)] : undefined }),
    host: compact({ name: deviceDns ? hostName(deviceDns, options.hostname_form) : undefined, ip: hostIps }),
    user,
    src: src ? { ip: src } : undefined,
    dst: dst || urls.length === 1 ? compact({ ip: dst, url: urls.length === 1 ? urls[0] : undefined }) : undefined,
    process: proc
      ? compact({
          name: text(image.fileName),
          command_line: text(proc.processCommandLine),
          pid: integer(proc.processId),
          parent_name: text(parentImage.fileName),
          sha256: processSha && SHA256.test(processSha) ? processSha.toLowerCase() : undefined,
        })
      : undefined,
    observables: observables.length ? observables : undefined,
    unmapped: compact({
      vendor_severity: text(record.severity),
      device_id: text(device?.mdeDeviceId),
      device_fqdn: deviceDns && hostName(deviceDns, "fqdn") !== hostName(deviceDns, options.hostname_form) ? deviceDns.toLowerCase() : undefined,
      defender_provider_alert_id: text(record.providerAlertId),
      defender_incident_id: record.incidentId,
      defender_status: text(record.status),
      defender_classification: text(record.classification),
      defender_determination: text(record.determination),
      defender_service_source: text(record.serviceSource),
      defender_detection_source: text(record.detectionSource),
      defender_category: text(record.category),
      defender_threat: text(record.threatDisplayName),
      defender_threat_family: text(record.threatFamilyName),
      defender_actor: text(record.actorDisplayName),
      defender_created: graphTime(record.createdDateTime) ?? undefined,
      defender_last_update: graphTime(record.lastUpdateDateTime) ?? undefined,
      defender_last_activity: graphTime(record.lastActivityDateTime) ?? undefined,
      defender_alert_url: text(record.alertWebUrl),
      defender_incident_url: text(record.incidentWebUrl),
      defender_evidence_types: [...new Set(evidence.map(evidenceType).filter(Boolean))],
    }),
    raw: record,
  };
  return Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined));
}

/**
 * A device of the MDE machine inventory (`GET /api/machines`, resource Machine: id, computerDnsName,
 * osPlatform, version/osVersion, osBuild, lastIpAddress, lastExternalIpAddress, ipAddresses
 * [{ipAddress, macAddress, operationalStatus}], lastSeen, healthStatus, riskScore, exposureLevel,
 * machineTags, onboardingStatus).
 */
export const MdeMachine = z.looseObject({
  id: z.string().min(1),
  computerDnsName: Str.nullable(),
  osPlatform: Str.nullable(),
  version: Str.nullable(),
  osVersion: Str.nullable(),
  osBuild: z.union([z.number(), z.string()]).transform(String).nullable().optional().catch(undefined),
  lastIpAddress: Str.nullable(),
  lastExternalIpAddress: Str.nullable(),
  ipAddresses: z
    .array(z.looseObject({ ipAddress: Str.nullable(), macAddress: Str.nullable(), operationalStatus: Str.nullable() }))
    .catch([]),
  lastSeen: Str.nullable(),
  healthStatus: Str.nullable(),
  riskScore: Str.nullable(),
  exposureLevel: Str.nullable(),
  machineTags: Strings,
  onboardingStatus: Str.nullable(),
});
export type MdeMachine = z.infer<typeof MdeMachine>;

/** The device record of the context folder's `importDeviceInventory`. */
export type { DeviceRecord };

/** Addresses that every host has (loopback, link-local): they would join unrelated alerts to this asset. */
function sharedAddress(address: string): boolean {
  const lower = address.toLowerCase();
  return lower.startsWith("127.") || lower === "::1" || lower.startsWith("169.254.") || lower.startsWith("fe80:") || lower === "0.0.0.0" || lower === "::";
}

/**
 * One MDE machine as a device record, or null without a DNS name (nothing to join on). The EDR is
 * present when the device is onboarded (device discovery also lists unmanaged devices:
 * `CanBeOnboarded`, `Unsupported`, `InsufficientInfo`); the NAT address (`lastExternalIpAddress`)
 * is shared by many hosts, so it is a tag, not an asset IP.
 */
export function machineToDevice(machine: MdeMachine, form: HostnameForm = "short"): DeviceRecord | null {
  const dns = text(machine.computerDnsName);
  if (!dns) return null;
  const lastSeen = graphTime(machine.lastSeen) ?? undefined;
  const addresses = [...machine.ipAddresses.map((a) => ip(a.ipAddress)), ip(machine.lastIpAddress)].filter((a): a is string => a !== undefined && !sharedAddress(a));
  const ips = [...new Set(addresses.map((a) => a.toLowerCase()))].map((address) => (lastSeen ? { ip: address, seen_at: lastSeen } : { ip: address }));
  const onboarding = text(machine.onboardingStatus);
  const edr = onboarding === undefined || onboarding.toLowerCase() === "onboarded";
  const fqdn = dns.toLowerCase().replace(/\.$/, "");
  const hostname = hostName(dns, form);
  const external = ip(machine.lastExternalIpAddress);
  const tags = [
    ...machine.machineTags.filter((t) => t.trim()),
    ...(fqdn !== hostname ? [`fqdn:${fqdn}`] : []),
    ...(text(machine.exposureLevel) ? [`exposure:${text(machine.exposureLevel)!.toLowerCase()}`] : []),
    ...(external ? [`external_ip:${external}`] : []),
    ...(onboarding && !edr ? [`onboarding:${onboarding}`] : []),
  ];
  const record: DeviceRecord = {
    hostname,
    ...(fqdn !== hostname ? { aliases: [fqdn] } : {}),
    device_id: machine.id,
    ips,
    os: text(machine.osPlatform),
    os_version: text(machine.osVersion) ?? text(machine.version),
    patch_level: text(machine.osBuild ?? undefined),
    last_seen: lastSeen,
    edr_present: edr,
    telemetry: edr ? ["edr"] : [],
    health: text(machine.healthStatus),
    risk: text(machine.riskScore),
    tags,
  };
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as DeviceRecord;
}
