import { z } from "zod";
import { importDeviceInventory } from "../../../context/index.js";
import type { Executor } from "../../../store/index.js";
import { commonSettings } from "../common.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import { HostnameForm, MdeMachine, graphTime, machineToDevice, type DeviceRecord } from "./mapping.js";
import { DefenderAuthSettings, ODataPage, TokenSource, apiGet, checkNextLink, tokenSafeConnector, trimSlash } from "./oauth.js";

/** Settings of the Defender for Endpoint device inventory (`kind: defender_devices`): assets, not alerts. */
export const DefenderDevicesSettings = z.strictObject({
  ...commonSettings("defender_devices", { interval_seconds: 3600 }),
  ...DefenderAuthSettings,
  /** The MDE API (or a regional host such as https://eu.api.security.microsoft.com). */
  api_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).default("https://api.securitycenter.microsoft.com"),
  scope: z.string().min(1).default("https://api.securitycenter.microsoft.com/.default"),
  /** `$top` (the API allows up to 10,000). */
  page_size: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Only devices with `lastSeen ge <mark>` after the first run; false re-reads the whole inventory each run. */
  incremental: z.boolean().default(true),
  hostname_form: HostnameForm.default("short"),
});
export type DefenderDevicesSettings = z.output<typeof DefenderDevicesSettings>;

export type ImportDevices = (ex: Executor, devices: DeviceRecord[], options: { source: string; now: string }) => Promise<{ created: number; updated: number }>;

export interface DefenderDevicesDeps {
  fetch?: typeof fetch;
  redact?: (text: string) => string;
  /** The CMDB writer; by default the context folder's `importDeviceInventory`. */
  importDevices?: ImportDevices;
}

/** The run in progress: the machines list has no documented `$orderby`, so the mark moves when the last page is read. */
const DevicesCursor = z
  .object({ next: z.string().nullable().default(null), since: z.string().nullable().default(null), pending: z.string().nullable().default(null) })
  .catch({ next: null, since: null, pending: null });

const ms = (iso: string) => Date.parse(iso);
const maxTime = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : ms(b) > ms(a) ? b : a);

/** `GET /api/machines?$top=N[&$filter=lastSeen ge <mark>][&$skip=K]` (docs: List machines API, OData queries). */
export function machinesUrl(settings: Pick<DefenderDevicesSettings, "api_url" | "page_size">, since: string | null, skip = 0): string {
  const url = new URL(`${trimSlash(settings.api_url)}/api/machines`);
  if (since) url.searchParams.set("$filter", `lastSeen ge ${since}`);
  url.searchParams.set("$top", String(settings.page_size));
  if (skip > 0) url.searchParams.set("$skip", String(skip));
  return url.toString();
}

export function createDefenderDevicesConnector(settings: DefenderDevicesSettings, deps: DefenderDevicesDeps = {}): Connector {
  const send = deps.fetch ?? fetch;
  const name = `defender_devices ${settings.name}`;
  const tokens = new TokenSource({ ...settings, name }, settings.scope, send, deps.redact ?? ((t) => t));
  const api = { tokens, send, name, timeoutSeconds: settings.timeout_seconds, maxAttempts: settings.max_attempts };

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    const cursor = DevicesCursor.parse(checkpoint.cursor ?? {});
    const resume = !ctx.firstPage && cursor.next !== null;
    const since = resume ? cursor.since : settings.incremental ? checkpoint.time : null;
    const url = resume ? cursor.next! : machinesUrl(settings, since);
    const parsed = ODataPage.safeParse(await apiGet(url, api, ctx));
    if (!parsed.success) throw new Error(`${name}: /api/machines answered without a value array`);
    let pending = resume ? cursor.pending : null;
    // One record per device id (the newest): the importer refuses a batch naming a device twice, which would stall the connector.
    const byId = new Map<string, DeviceRecord>();
    for (const item of parsed.data.value) {
      const machine = MdeMachine.safeParse(item);
      if (!machine.success) continue;
      pending = maxTime(pending, graphTime(machine.data.lastSeen));
      const device = machineToDevice(machine.data, settings.hostname_form);
      if (!device) continue;
      const key = device.device_id ?? `host:${device.hostname}`;
      const kept = byId.get(key);
      if (!kept || (device.last_seen ?? "") > (kept.last_seen ?? "")) byId.set(key, device);
    }
    const devices = [...byId.values()];
    // The API pages with @odata.nextLink; a full page without one is continued with $skip.
    const link = parsed.data["@odata.nextLink"];
    let next: string | null = link ? checkNextLink(link, settings.api_url, name) : null;
    if (!next && parsed.data.value.length >= settings.page_size) {
      const current = new URL(url);
      const skip = Number(current.searchParams.get("$skip") ?? "0") + parsed.data.value.length;
      next = machinesUrl(settings, since, skip);
    }
    const now = ctx.clock.now().toISOString();
    const commit = devices.length
      ? async (trx: Executor) => {
          await (deps.importDevices ?? importDeviceInventory)(trx, devices, { source: settings.name, now });
        }
      : undefined;
    const checkpointAfter: Checkpoint = next
      ? { time: checkpoint.time, seen: [], overflow: false, cursor: { next, since, pending } }
      : { time: maxTime(checkpoint.time, pending), seen: [], overflow: false, cursor: { next: null, since: null, pending: null } };
    return { alerts: [], checkpoint: checkpointAfter, more: next !== null, fetched: devices.length, ...(commit ? { commit } : {}) };
  }

  return tokenSafeConnector({ name: settings.name, kind: "defender_devices", intervalSeconds: settings.interval_seconds }, tokens, pull);
}
