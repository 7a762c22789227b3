export {
  importDeviceInventory,
  importInventoryFile,
  validateDevices,
  DeviceRecordSchema,
  type DeviceRecord,
  type InventoryDevice,
} from "./inventory.js";
export { LEASE_FORMATS, importLeaseFile, parseLeases, parseIscLeases, parseLeaseCsv, parseLeaseJson, writeLeases } from "./leases.js";
export type { Lease, LeaseFormat, ImportLeasesOptions } from "./leases.js";
export { resolveAddresses, findSubnets, DEFAULT_IP_STALE_DAYS, type AddressOwner, type SubnetRecord } from "./resolve.js";
export { mergeAsset, type MergedAsset } from "./merge.js";
