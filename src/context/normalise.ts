import { urlHost } from "../core/index.js";
import { isIP } from "node:net";
import { networkKey } from "./intel/network.js";

/** Lookup keys: what two spellings of the same thing reduce to, so joins do not depend on case or form. */

export function hostKey(hostname: string): string {
  return hostname.trim().toLowerCase().replace(/\.$/, "");
}

/** `CORP\jdoe`, `jdoe@corp.example` and `JDoe` are the same identity: the bare, lower-case user name. */
export function userKey(username: string): string {
  let name = username.trim();
  const slash = name.lastIndexOf("\\");
  if (slash >= 0) name = name.slice(slash + 1);
  const at = name.indexOf("@");
  if (at > 0) name = name.slice(0, at);
  return name.toLowerCase();
}

export function ipKey(ip: string): string {
  return ip.trim().toLowerCase();
}

export function isIpAddress(value: string): boolean {
  return isIP(value.trim()) !== 0;
}

export function domainKey(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, "");
}

/** URLs compare with scheme and host lower-cased (the path keeps its case, as servers may). */
export function urlKey(url: string): string {
  const trimmed = url.trim();
  try {
    return new URL(trimmed).href;
  } catch {
    return trimmed;
  }
}

export function indicatorKey(type: string, value: string): string {
  switch (type) {
    case "ip":
      return networkKey(value) ?? ipKey(value);
    case "domain":
      return domainKey(value);
    case "url":
      return urlKey(value);
    case "file_hash":
    case "email":
      return value.trim().toLowerCase();
    default:
      return value.trim();
  }
}

/** `a.b.evil.example` → [`b.evil.example`, `evil.example`]: never a bare top-level label. */
export function parentDomains(domain: string): string[] {
  const labels = domainKey(domain).split(".").filter(Boolean);
  const parents: string[] = [];
  for (let i = 1; i <= labels.length - 2; i++) parents.push(labels.slice(i).join("."));
  return parents;
}

/** True when `domain` is `parent` or one of its subdomains. */
export function isWithinDomain(domain: string, parent: string): boolean {
  const d = domainKey(domain);
  const p = domainKey(parent);
  return d === p || d.endsWith(`.${p}`);
}

export function hostOfUrl(url: string): string | null {
  const host = urlHost(url.trim());
  return host ? host.replace(/^\[|\]$/g, "") : null;
}

/**
 * Addresses that name our own network (private, loopback, link-local, unique-local) rather than
 * something outside it: they relate alerts as entities, never as shared indicators.
 */
export function isInternalIp(ip: string): boolean {
  const value = ipKey(ip);
  const version = isIP(value);
  if (version === 4) {
    const [a, b] = value.split(".").map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (version === 6) {
    if (value === "::1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(value);
    if (mapped) return isInternalIp(mapped[1]!);
    return /^f[cd][0-9a-f]{2}:/.test(value) || /^fe[89ab][0-9a-f]:/.test(value);
  }
  return false;
}

const DAY_MS = 86_400_000;

/** Days from `from` to `to`, floored to a tenth of a day; never negative (a record dated after the alert is current). */
export function ageDays(from: string, to: string): number | null {
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, Math.floor(((end - start) / DAY_MS) * 10) / 10);
}

const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO-8601 date or date-time as a UTC instant. A date alone is midnight UTC, and so is a date-time
 * without an offset: context files must not mean different instants on differently configured machines.
 */
export function toIsoUtc(value: string): string | null {
  const match = ISO_DATE_TIME.exec(value.trim());
  if (!match) return null;
  const [, date, time, zone] = match;
  const text = time ? `${date}T${time}${zone ?? "Z"}` : `${date}T00:00:00Z`;
  const ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
