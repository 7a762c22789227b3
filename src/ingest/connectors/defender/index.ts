import type { ConnectorKind } from "../registry.js";
import { DefenderSettings, createDefenderConnector } from "./client.js";
import { DefenderDevicesSettings, createDefenderDevicesConnector } from "./devices.js";

/** `kind: defender` — Microsoft Graph security alerts v2 (Defender XDR / Defender for Endpoint). */
export const kind: ConnectorKind<typeof DefenderSettings> = {
  settings: DefenderSettings,
  create: (settings, deps) => createDefenderConnector(settings, deps),
};

/** `kind: defender_devices` — the Defender for Endpoint machine inventory into the CMDB (assets). */
export const devicesKind: ConnectorKind<typeof DefenderDevicesSettings> = {
  settings: DefenderDevicesSettings,
  create: (settings, deps) => createDefenderDevicesConnector(settings, deps),
};

export { DefenderSettings, GRAPH_SCOPE, createDefenderConnector, listUrl, sinceFor, type DefenderDeps } from "./client.js";
export { DefenderDevicesSettings, createDefenderDevicesConnector, machinesUrl, type DefenderDevicesDeps, type ImportDevices } from "./devices.js";
export { defenderAlertToGeneric, machineToDevice, hostName, DEFAULT_SEVERITY_MAP, type DeviceRecord } from "./mapping.js";
export { TokenSource } from "./oauth.js";
