import { isIP } from "node:net";

/**
 * Addresses and networks as intel keys. IPv6 is written in its RFC 5952 form so that `2001:DB8:0::1`
 * and `2001:db8::1` are one key; a network is `address/length` with the host bits cleared, and a
 * full-length network is the plain address. Matching an address against networks then costs one
 * indexed lookup of its few possible network keys, never a scan.
 */

interface Parsed {
  version: 4 | 6;
  /** 4 octets or 8 16-bit groups. */
  parts: number[];
}

function parseAddress(value: string): Parsed | null {
  const text = value.trim().toLowerCase().replace(/^\[|\]$/g, "");
  const version = isIP(text);
  if (version === 4) return { version, parts: text.split(".").map(Number) };
  if (version !== 6) return null;
  let body = text.replace(/%.*$/, "");
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split(".").map(Number) as [number, number, number, number];
    body = `${body.slice(0, -tail[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = body.includes("::") ? body.split("::") : [body, undefined];
  const left = head ? head.split(":") : [];
  const right = rest === undefined ? [] : rest ? rest.split(":") : [];
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(zeros).fill("0"), ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? { version, parts: groups } : null;
}

function formatAddress({ version, parts }: Parsed): string {
  if (version === 4) return parts.join(".");
  // RFC 5952: the longest run (of two or more) of zero groups becomes "::", the first such run on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = parts.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

const WIDTH = { 4: 8, 6: 16 } as const;
const BITS = { 4: 32, 6: 128 } as const;

function masked(address: Parsed, length: number): Parsed {
  const width = WIDTH[address.version];
  const parts = address.parts.map((part, i) => {
    const keep = Math.max(0, Math.min(width, length - i * width));
    return keep === 0 ? 0 : part & ((0xffff << (width - keep)) & ((1 << width) - 1));
  });
  return { version: address.version, parts };
}

/** The canonical key of an address, or null when it is not one. */
export function addressKey(value: string): string | null {
  const parsed = parseAddress(value);
  return parsed ? formatAddress(parsed) : null;
}

/** `198.51.100.7/24` → `198.51.100.0/24`; a plain address → its canonical form; null when neither. */
export function networkKey(value: string): string | null {
  const text = value.trim();
  const slash = text.indexOf("/");
  if (slash < 0) return addressKey(text);
  const address = parseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(lengthText)) return null;
  const length = Number(lengthText);
  const bits = BITS[address.version];
  if (length < 1 || length > bits) return null;
  if (length === bits) return formatAddress(address);
  return `${formatAddress(masked(address, length))}/${length}`;
}

export function isNetwork(key: string): boolean {
  return key.includes("/");
}

/**
 * Every key under which an indicator covering this address can be stored: the address itself, then
 * each network containing it from the narrowest to /1. Null when the value is not an address.
 */
export function coveringKeys(value: string): string[] | null {
  const address = parseAddress(value);
  if (!address) return null;
  const bits = BITS[address.version];
  const keys = [formatAddress(address)];
  for (let length = bits - 1; length >= 1; length--) keys.push(`${formatAddress(masked(address, length))}/${length}`);
  return keys;
}

/**
 * An address's own key, then its covering network key at each of `lengths(version)` (the prefix lengths
 * some stored network has: the in-memory index asks only those). Null when the value is not an address.
 */
export function networkKeysAt(value: string, lengths: (version: 4 | 6) => readonly number[]): string[] | null {
  const address = parseAddress(value);
  if (!address) return null;
  const keys = [formatAddress(address)];
  for (const length of lengths(address.version)) keys.push(`${formatAddress(masked(address, length))}/${length}`);
  return keys;
}
