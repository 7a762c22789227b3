import { isIP } from "node:net";
import { z } from "zod";

/**
 * Argument shapes shared by the catalogue. Every value may come from an alert (attacker-controlled), so each
 * is checked for what it must be (a host name, an account, an indicator of its type) and nothing else: no
 * control characters, no path separators where a value lands in a URL path, bounded lengths.
 */
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const printable = /^[^\u0000-\u001f\u007f]+$/;

export const HostName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._$-]*$/, "a host name: letters, digits, '.', '-', '_' or '$'");

/** An EDR's device id (Defender's machine id is 40 hex characters; other EDRs use GUIDs). */
export const DeviceId = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9-]+$/, "a device id: letters, digits and '-'");

/** A directory account: a user principal name, `DOMAIN\user`, a bare name or an object id. */
export const Account = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(printable, "no control characters")
  .refine((v) => !/[/?#%]/.test(v), "an account name has no '/', '?', '#' or '%'");

export const IndicatorType = z.enum(["ip", "domain", "url", "sha1", "sha256", "md5"]);
export type IndicatorType = z.infer<typeof IndicatorType>;

const HASH_LENGTH: Record<"sha1" | "sha256" | "md5", number> = { sha1: 40, sha256: 64, md5: 32 };

/** Addresses that are never blocked: blocking them cuts the organisation off from itself (or is meaningless). */
export function isReservedAddress(ip: string): boolean {
  const version = isIP(ip);
  if (version === 4) {
    const [a, b] = ip.split(".").map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224 || (a === 100 && b >= 64 && b <= 127);
  }
  if (version === 6) {
    const v = ip.toLowerCase();
    return v === "::" || v === "::1" || v.startsWith("fe80:") || v.startsWith("fc") || v.startsWith("fd") || v.startsWith("ff") || v.startsWith("::ffff:");
  }
  return false;
}

/** Why `value` is not an indicator of `type`, or null when it is one. */
export function indicatorProblem(type: IndicatorType, value: string): string | null {
  switch (type) {
    case "ip":
      if (!isIP(value)) return "not an IP address (CIDR ranges are not blocked as one indicator)";
      if (isReservedAddress(value)) return "a private, loopback, link-local or multicast address is never blocked";
      return null;
    case "domain":
      return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i.test(value) ? null : "not a domain name";
    case "url": {
      try {
        const url = new URL(value);
        return url.protocol === "http:" || url.protocol === "https:" ? null : "only http(s) URLs";
      } catch {
        return "not a URL";
      }
    }
    default:
      return new RegExp(`^[0-9a-f]{${HASH_LENGTH[type]}}$`, "i").test(value) ? null : `not a ${type.toUpperCase()} hash (${HASH_LENGTH[type]} hex characters)`;
  }
}

export const IsoTime = z.iso.datetime({ offset: true, message: "an ISO-8601 time such as 2026-11-24T00:00:00Z" });

export const Note = z.string().trim().max(1000).regex(printable, "no control characters");
