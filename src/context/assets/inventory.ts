import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ValidationError, canonicalJson } from "../../core/index.js";
import type { Db, Executor } from "../../store/index.js";
import { hostKey, toIsoUtc } from "../normalise.js";
import { writeAliases } from "./aliases.js";
import { addressKeyOf } from "./keys.js";
import { recordObservations, type Observation } from "./observations.js";

/** A device as an EDR/MDM console or asset inventory reports it (not the CMDB: no criticality or owner). */
export const DeviceRecordSchema = z.object({
  hostname: z.string().trim().min(1),
  device_id: z.string().trim().min(1).optional(),
  ips: z.array(z.object({ ip: z.string(), seen_at: z.string().optional() })).default([]),
  os: z.string().optional(),
  os_version: z.string().optional(),
  patch_level: z.string().optional(),
  last_seen: z.string().optional(),
  edr_present: z.boolean().optional(),
  telemetry: z.array(z.string()).optional(),
  health: z.string().optional(),
  risk: z.string().optional(),
  tags: z.array(z.string()).optional(),
  /** Other names of the device (its FQDN when `hostname` is the short name, NetBIOS names…). */
  aliases: z.array(z.string().trim().min(1)).optional(),
});

export interface DeviceRecord {
  hostname: string;
  device_id?: string;
  ips: { ip: string; seen_at?: string }[];
  os?: string;
  os_version?: string;
  patch_level?: string;
  last_seen?: string;
  edr_present?: boolean;
  telemetry?: string[];
  health?: string;
  risk?: string;
  tags?: string[];
  aliases?: string[];
}

/** The stored inventory document: the device as validated and normalised (times ISO-8601 UTC, addresses canonical). */
export type InventoryDevice = z.infer<typeof DeviceRecordSchema>;

type Issue = { path: string; message: string };

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Validates every device (every problem reported by `[i].field`) and normalises it; throws before anything is written. */
export function validateDevices(devices: unknown, source: string): InventoryDevice[] {
  const issues: Issue[] = [];
  if (!source.trim()) issues.push({ path: "source", message: "an inventory source is required" });
  if (!Array.isArray(devices)) {
    throw new ValidationError("invalid device inventory: expected an array of devices", [{ path: "(root)", message: "expected an array" }]);
  }
  const out: InventoryDevice[] = [];
  const seen = new Map<string, number>();
  devices.forEach((raw, index) => {
    const at = (path: (string | number)[]) => `[${index}]` + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
    const parsed = DeviceRecordSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ path: at(issue.path.map((p) => (typeof p === "number" ? p : String(p)))), message: issue.message });
      return;
    }
    const device = parsed.data;
    let ok = true;
    const issue = (path: (string | number)[], message: string) => {
      ok = false;
      issues.push({ path: at(path), message });
    };
    const iso = (value: string | undefined, path: (string | number)[]) => {
      if (value === undefined) return undefined;
      const converted = toIsoUtc(value);
      if (converted === null) issue(path, `not an ISO-8601 date or date-time: "${value}"`);
      return converted ?? value;
    };
    const ips = device.ips.map((entry, i) => {
      const ip = addressKeyOf(entry.ip);
      if (ip === null) issue(["ips", i, "ip"], `not an IP address: "${entry.ip}"`);
      return stripUndefined({ ip: ip ?? entry.ip, seen_at: iso(entry.seen_at, ["ips", i, "seen_at"]) });
    });
    const key = deviceKey(device);
    const first = seen.get(key);
    if (first !== undefined) issue(device.device_id ? ["device_id"] : ["hostname"], `duplicate: the same device as [${first}]`);
    else seen.set(key, index);
    const normalised = stripUndefined({
      ...device,
      hostname: device.hostname,
      ips,
      last_seen: iso(device.last_seen, ["last_seen"]),
      telemetry: device.telemetry ? [...new Set(device.telemetry.map((t) => t.trim().toLowerCase()).filter(Boolean))] : undefined,
    });
    if (ok) out.push(normalised);
  });
  if (issues.length > 0) {
    const head = issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ");
    throw new ValidationError(`invalid device inventory: ${head}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`, issues);
  }
  return out;
}

/** One inventory row per device: its own id when it has one (a renamed device stays one record), else its name. */
function deviceKey(device: { hostname: string; device_id?: string }): string {
  return device.device_id ? `id:${device.device_id}` : `host:${hostKey(device.hostname)}`;
}

/**
 * Imports devices from an inventory (`source` names it: "defender", "intune"…). Validated first
 * (ValidationError, nothing written); then each device is upserted under (source, device id or hostname)
 * and each of its addresses recorded as a sighting on that host, at `seen_at`, else the device's
 * `last_seen`, else `now`. A device whose content did not change keeps its `updated_at`.
 */
export async function importDeviceInventory(
  ex: Executor,
  devices: DeviceRecord[],
  options: { source: string; now: string },
): Promise<{ created: number; updated: number }> {
  const source = options.source.trim();
  const validated = validateDevices(devices, source);
  let created = 0;
  let updated = 0;
  const observations: Observation[] = [];
  for (const device of validated) {
    const device_key = deviceKey(device);
    const hostname = hostKey(device.hostname);
    const doc = canonicalJson(device);
    const current = await ex
      .selectFrom("asset_inventory")
      .select(["doc"])
      .where("source", "=", source)
      .where("device_key", "=", device_key)
      .executeTakeFirst();
    for (const entry of device.ips)
      observations.push({ ip: entry.ip, hostname, source, seen_at: entry.seen_at ?? device.last_seen ?? options.now });
    if (current?.doc === doc) continue;
    await writeAliases(ex, hostname, device.aliases, source);
    const values = { hostname, doc, last_seen: device.last_seen ?? null, updated_at: options.now };
    await ex
      .insertInto("asset_inventory")
      .values({ source, device_key, ...values })
      .onConflict((oc) => oc.columns(["source", "device_key"]).doUpdateSet(values))
      .execute();
    if (current) updated++;
    else created++;
  }
  await recordObservations(ex, observations);
  return { created, updated };
}

/** Reads a JSON inventory file (an array of devices, or `{devices: [...]}`) and imports it in one transaction. */
export async function importInventoryFile(db: Db, file: string, options: { source: string; now: string }): Promise<{ created: number; updated: number }> {
  const text = await readFile(file, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`invalid JSON in ${file}: ${message}`, [{ path: "file", message }]);
  }
  const devices = Array.isArray(data) ? data : (data as { devices?: unknown } | null)?.devices;
  return db.transaction().execute((trx) => importDeviceInventory(trx, devices as DeviceRecord[], options));
}
