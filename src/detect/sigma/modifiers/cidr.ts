import { UnsupportedRuleError } from "../rule.js";
import { scalarText, type ValueTest } from "../values.js";
import type { Modifier } from "./modifier.js";

// `cidr`: the value is an IPv4 or IPv6 network; the event value matches when its address lies inside it.

export const CIDR: Modifier = { name: "cidr", kind: "type" };

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let result = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    result = (result << 8n) | BigInt(octet);
  }
  return result;
}

function parseIPv6(input: string): bigint | undefined {
  let text = input.replace(/^\[|\]$/g, "");
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(":")) return undefined;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = parseIPv4(last);
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === "" ? [] : s.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(missing, 0)).fill("0"), ...rest];
  let result = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    result = (result << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail.length === 2) result = (result & ~0xffffffffn) | (tail[0]! << 16n) | tail[1]!;
  return result;
}

export function cidrTest(spec: string): ValueTest {
  const [address = "", prefixText] = spec.trim().split("/");
  const v4 = parseIPv4(address);
  const v6 = v4 === undefined ? parseIPv6(address) : undefined;
  const bits = v4 !== undefined ? 32 : 128;
  const network = v4 ?? v6;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (network === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new UnsupportedRuleError(`invalid cidr ${spec}`);
  }
  const shift = BigInt(bits - prefix);
  const base = network >> shift;
  return (value) => {
    const text = scalarText(value);
    if (text === undefined) return false;
    const trimmed = text.trim();
    const ip = bits === 32 ? parseIPv4(trimmed) : parseIPv6(trimmed);
    return ip !== undefined && ip >> shift === base;
  };
}

// ---------------------------------------------------------------------------------------------------------
