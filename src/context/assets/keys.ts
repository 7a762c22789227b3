import { addressKey } from "../intel/network.js";

/** The canonical form of an address (IPv6 compressed, lower-case) or null: how leases, sightings and subnets are keyed. */
export function addressKeyOf(value: string): string | null {
  return addressKey(value.trim());
}
