import { NIGHTSHIFT_VERSION, tacticOf, type AttackTags, type Observable, type ObservableType, type Severity } from "../../core/index.js";

/*
 * What the two OCSF classes Nightshift emits share: the schema version, the producing product, severity,
 * confidence, ATT&CK and observables. Enum values are those of OCSF 1.8.0 (dictionary.json); see
 * ocsf.schema.json, which the tests validate every record against.
 */

export const OCSF_VERSION = "1.8.0";
export const FINDINGS_CATEGORY = { category_uid: 2, category_name: "Findings" } as const;

export const ACTIVITIES = { 1: "Create", 2: "Update", 3: "Close" } as const;
export type ActivityId = keyof typeof ACTIVITIES;

/** `time` and every `*_time` attribute: OCSF timestamp_t, milliseconds since the epoch. */
export function epochMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${iso}`);
  return ms;
}

export function metadata(uid: string, extra: Record<string, unknown> = {}) {
  return {
    version: OCSF_VERSION,
    product: { name: "Nightshift", vendor_name: "Nightshift", version: NIGHTSHIFT_VERSION },
    uid,
    ...extra,
  };
}

/** The class, its activity and the derived type (type_uid = class_uid × 100 + activity_id). */
export function classification(classUid: 2004 | 2005, className: string, activityId: ActivityId) {
  return {
    ...FINDINGS_CATEGORY,
    class_uid: classUid,
    class_name: className,
    activity_id: activityId,
    activity_name: ACTIVITIES[activityId],
    type_uid: classUid * 100 + activityId,
    type_name: `${className}: ${ACTIVITIES[activityId]}`,
  };
}

const SEVERITY_IDS: Record<Severity, [number, string]> = {
  informational: [1, "Informational"],
  low: [2, "Low"],
  medium: [3, "Medium"],
  high: [4, "High"],
  critical: [5, "Critical"],
};

export function severity(value: Severity) {
  const [severity_id, caption] = SEVERITY_IDS[value];
  return { severity_id, severity: caption };
}

/** confidence_score 0–100 and its band: Low below 40, Medium below 75, High from 75. */
export function confidence(score: number | null | undefined) {
  if (score === null || score === undefined) return {};
  const rounded = Math.round(score);
  const [confidence_id, caption] = rounded >= 75 ? [3, "High"] : rounded >= 40 ? [2, "Medium"] : [1, "Low"];
  return { confidence_score: rounded, confidence_id, confidence: caption };
}

/**
 * ATT&CK as OCSF attack objects: one per technique (a sub-technique with its parent technique), one per
 * tactic. Nightshift keeps tactics and techniques as two lists, so it does not pair them.
 */
export function attacks(attack: AttackTags) {
  const out: Record<string, unknown>[] = [];
  for (const id of attack.techniques) {
    const [parent, sub] = id.split(".");
    out.push(sub === undefined ? { technique: { uid: id } } : { technique: { uid: parent }, sub_technique: { uid: id } });
  }
  for (const name of attack.tactics) {
    const known = tacticOf(name);
    out.push({ tactic: known ? { uid: known.id, name: known.name } : { name } });
  }
  return out;
}

/** Observable type ids of OCSF 1.8.0 (dictionary types with an `observable` number). */
const OBSERVABLE_TYPE_IDS: Record<ObservableType, { type_id: number; type: string; name: string }> = {
  host: { type_id: 1, type: "Hostname", name: "device.hostname" },
  domain: { type_id: 1, type: "Hostname", name: "domain" },
  ip: { type_id: 2, type: "IP Address", name: "ip" },
  user: { type_id: 4, type: "User Name", name: "user.name" },
  email: { type_id: 5, type: "Email Address", name: "email.from" },
  url: { type_id: 6, type: "URL String", name: "url.url_string" },
  file_hash: { type_id: 8, type: "Hash", name: "file.hashes.value" },
  process: { type_id: 9, type: "Process Name", name: "process.name" },
};

export function observables(values: readonly Observable[]) {
  const seen = new Set<string>();
  const out: { name: string; type_id: number; type: string; value: string }[] = [];
  for (const o of values) {
    const key = `${o.type}\u0000${o.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { type_id, type, name } = OBSERVABLE_TYPE_IDS[o.type];
    out.push({ name, type_id, type, value: o.value });
  }
  return out;
}

/** Drops undefined values so records carry only what is known (OCSF has no nulls for absent attributes). */
export function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== null)) as T;
}
