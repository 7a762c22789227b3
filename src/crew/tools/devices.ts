import { sql } from "kysely";
import { z } from "zod";
import { hostKey } from "../../context/index.js";
import { fromJson, type AssetInventoryTable } from "../../store/index.js";
import { READERS, defineTool } from "./define.js";
import { ToolError } from "./tool.js";

function toDevice(row: AssetInventoryTable) {
  return { source: row.source, device_key: row.device_key, last_seen: row.last_seen, updated_at: row.updated_at, device: fromJson<Record<string, unknown>>(row.doc, {}) };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export const listDevicesTool = defineTool({
  name: "list_devices",
  description:
    "The EDR/MDM device inventory (e.g. Microsoft Defender's machines): hostname, device id, addresses, os, health, risk, " +
    "last seen, per inventory source. Filter by source, part of a hostname, health or risk; newest sighting first.",
  input: z.object({
    source: z.string().trim().min(1).max(100).optional().describe("Inventory source name, e.g. defender"),
    hostname_contains: z.string().trim().min(1).max(255).optional().describe("Part of the host name (any case)"),
    health: z.string().trim().min(1).max(64).optional().describe("Health status as the console reports it, e.g. Active, Inactive"),
    risk: z.string().trim().min(1).max(64).optional().describe("Risk level as the console reports it, e.g. High"),
    limit: z.number().int().min(1).max(200).default(50).describe("At most this many devices (default 50, at most 200)"),
    offset: z.number().int().min(0).default(0).describe("Skip this many (paging)"),
  }),
  writes: false,
  agents: READERS,
  async run({ source, hostname_contains, health, risk, limit, offset }, ctx) {
    let query = ctx.db.selectFrom("asset_inventory");
    if (source) query = query.where("source", "=", source);
    if (hostname_contains) query = query.where(sql<boolean>`hostname LIKE ${`%${escapeLike(hostname_contains.toLowerCase())}%`} ESCAPE '\\'`);
    // health and risk live in the stored document: filtered here, after the indexed conditions.
    const rows = await query.selectAll().orderBy(sql`last_seen IS NULL`).orderBy("last_seen", "desc").orderBy("hostname").orderBy("source").execute();
    const matches = rows.map(toDevice).filter((d) => {
      const same = (field: string, wanted: string | undefined) => wanted === undefined || String(d.device[field] ?? "").toLowerCase() === wanted.toLowerCase();
      return same("health", health) && same("risk", risk);
    });
    const total = matches.length;
    const devices = matches.slice(offset, offset + limit);
    return { total, offset, returned: devices.length, next_offset: offset + devices.length < total ? offset + devices.length : null, devices };
  },
});

export const getDeviceTool = defineTool({
  name: "get_device",
  description: "One device of the EDR/MDM inventory by host name or device id: every inventory's record of it (addresses, os, health, risk, tags, last seen).",
  input: z
    .object({
      hostname: z.string().trim().min(1).max(255).optional().describe("Host name (any case)"),
      device_id: z.string().trim().min(1).max(200).optional().describe("The console's device id"),
    })
    .refine((a) => a.hostname !== undefined || a.device_id !== undefined, { message: "give hostname or device_id", path: ["hostname"] }),
  writes: false,
  agents: READERS,
  async run({ hostname, device_id }, ctx) {
    let query = ctx.db.selectFrom("asset_inventory").selectAll();
    if (device_id) query = query.where("device_key", "=", `id:${device_id}`);
    else query = query.where("hostname", "=", hostKey(hostname!));
    const rows = await query.orderBy("source").execute();
    if (rows.length === 0) throw new ToolError("not_found", `no inventory record for ${device_id ?? hostname}`);
    return { hostname: rows[0]!.hostname, records: rows.map(toDevice) };
  },
});
