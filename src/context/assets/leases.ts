import { readFile } from "node:fs/promises";
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import { ValidationError } from "../../core/index.js";
import type { Db, Executor } from "../../store/index.js";
import { hostKey, toIsoUtc } from "../normalise.js";
import { addressKeyOf } from "./keys.js";

/** One DHCP binding: `ip` was handed to `hostname` from `starts` until `ends` (null: never ends). */
export interface Lease {
  ip: string;
  starts: string;
  ends: string | null;
  hostname: string | null;
  mac: string | null;
}

export const LEASE_FORMATS = ["isc", "csv", "json"] as const;
export type LeaseFormat = (typeof LEASE_FORMATS)[number];

type Issue = { path: string; message: string };

const LeaseInput = z.object({
  ip: z.string().min(1),
  starts: z.string().min(1),
  ends: z.string().min(1).nullable().optional(),
  hostname: z.string().nullable().optional(),
  mac: z.string().nullable().optional(),
});
type LeaseInput = z.infer<typeof LeaseInput>;

const MAC = /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$/i;

/** Checks and normalises one lease; problems go to `issue` under `where`. */
function checkLease(input: unknown, where: string, issues: Issue[]): Lease | null {
  const parsed = LeaseInput.safeParse(input);
  if (!parsed.success) {
    for (const i of parsed.error.issues) issues.push({ path: `${where}${i.path.length ? `.${i.path.join(".")}` : ""}`, message: i.message });
    return null;
  }
  const lease: LeaseInput = parsed.data;
  const before = issues.length;
  const ip = addressKeyOf(lease.ip);
  if (ip === null) issues.push({ path: `${where}.ip`, message: `not an IP address: "${lease.ip}"` });
  const starts = toIsoUtc(lease.starts);
  if (starts === null) issues.push({ path: `${where}.starts`, message: `not a date-time: "${lease.starts}"` });
  const endsText = lease.ends?.trim();
  const ends = endsText === undefined || endsText === "" || /^never$/i.test(endsText) ? null : toIsoUtc(endsText);
  if (endsText && !/^never$/i.test(endsText) && ends === null) issues.push({ path: `${where}.ends`, message: `not a date-time: "${endsText}"` });
  if (starts && ends && ends < starts) issues.push({ path: `${where}.ends`, message: `ends (${ends}) before starts (${starts})` });
  const mac = lease.mac?.trim() ? lease.mac.trim().toLowerCase() : null;
  if (mac && !MAC.test(mac)) issues.push({ path: `${where}.mac`, message: `not a MAC address: "${lease.mac}"` });
  const hostname = lease.hostname?.trim() ? hostKey(lease.hostname) : null;
  if (issues.length > before) return null;
  return { ip: ip!, starts: starts!, ends, hostname, mac };
}

function fail(kind: string, issues: Issue[]): never {
  const head = issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
  throw new ValidationError(`invalid ${kind}: ${head}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`, issues);
}

/** ISC dhcpd times: `<weekday> yyyy/mm/dd hh:mm:ss` in UTC, `epoch <seconds>` (db-time-format local), or `never`. */
function iscTime(value: string): string | null | undefined {
  const text = value.trim();
  if (/^never$/i.test(text)) return null;
  const epoch = /^epoch\s+(\d+)$/i.exec(text);
  if (epoch) return new Date(Number(epoch[1]) * 1000).toISOString();
  const match = /^\d\s+(\d{4})\/(\d{2})\/(\d{2})\s+(\d{2}:\d{2}:\d{2})$/.exec(text);
  if (!match) return undefined;
  return toIsoUtc(`${match[1]}-${match[2]}-${match[3]}T${match[4]}Z`) ?? undefined;
}

/** Splits the text into statements, dropping `#` comments outside quoted strings; each keeps its line number. */
function statements(text: string): { text: string; line: number; end: ";" | "{" | "}" }[] {
  const out: { text: string; line: number; end: ";" | "{" | "}" }[] = [];
  let current = "";
  let line = 1;
  let startLine = 1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    if (quoted) {
      current += ch;
      if (ch === "\\") current += text[++i] ?? "";
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === "#") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    }
    if (ch === '"') quoted = true;
    if (ch === ";" || ch === "{" || ch === "}") {
      out.push({ text: current.trim(), line: startLine, end: ch });
      current = "";
      continue;
    }
    if (!current.trim()) startLine = line;
    current += ch;
  }
  if (current.trim()) out.push({ text: current.trim(), line: startLine, end: ";" });
  return out;
}

/**
 * Parses an ISC dhcpd.leases file (dhcpd.leases(5)): `lease <ip> { starts …; ends …; hardware ethernet …;
 * client-hostname "…"; }`. Other declarations (server-duid, failover, host, group) are skipped; leases in
 * `binding state abandoned` or `backup` never belonged to a client and are skipped. A declaration repeated
 * for the same address and start is a later update of it: the last one wins, as in dhcpd.
 */
export function parseIscLeases(text: string): Lease[] {
  const issues: Issue[] = [];
  const leases = new Map<string, Lease>();
  let depth = 0;
  let open: { ip: string; line: number; fields: Record<string, string> } | null = null;
  for (const st of statements(text)) {
    if (st.end === "{") {
      const lease = /^lease\s+(\S+)$/i.exec(st.text);
      if (depth === 0 && lease) open = { ip: lease[1]!, line: st.line, fields: {} };
      depth++;
      continue;
    }
    if (st.end === "}") {
      if (st.text) issues.push({ path: `line ${st.line}`, message: `missing ";" after "${st.text}"` });
      depth--;
      if (depth < 0) {
        issues.push({ path: `line ${st.line}`, message: 'unmatched "}"' });
        depth = 0;
      }
      if (depth === 0 && open) {
        const where = `lease ${open.ip} (line ${open.line})`;
        const f = open.fields;
        const state = (f["binding state"] ?? "").toLowerCase();
        if (state !== "abandoned" && state !== "backup") {
          const starts = f.starts === undefined ? undefined : iscTime(f.starts);
          const ends = f.ends === undefined ? null : iscTime(f.ends);
          if (f.starts === undefined) issues.push({ path: `${where}.starts`, message: "starts is required" });
          else if (!starts) issues.push({ path: `${where}.starts`, message: `not a dhcpd time: "${f.starts}"` });
          if (ends === undefined) issues.push({ path: `${where}.ends`, message: `not a dhcpd time: "${f.ends}"` });
          if (starts && ends !== undefined) {
            const lease = checkLease({ ip: open.ip, starts, ends, hostname: f["client-hostname"] ?? null, mac: f.mac ?? null }, where, issues);
            if (lease) leases.set(`${lease.ip}|${lease.starts}`, lease);
          }
        }
        open = null;
      }
      continue;
    }
    if (!open || depth !== 1 || !st.text) continue;
    const hostname = /^client-hostname\s+"((?:[^"\\]|\\.)*)"$/i.exec(st.text);
    const hardware = /^hardware\s+\S+\s+(\S+)$/i.exec(st.text);
    const binding = /^binding\s+state\s+(\S+)$/i.exec(st.text);
    const time = /^(starts|ends)\s+(.+)$/i.exec(st.text);
    if (hostname) open.fields["client-hostname"] = hostname[1]!.replace(/\\(.)/g, "$1");
    else if (hardware) open.fields.mac = hardware[1]!;
    else if (binding) open.fields["binding state"] = binding[1]!;
    else if (time) open.fields[time[1]!.toLowerCase()] = time[2]!;
  }
  if (depth !== 0 || open) issues.push({ path: "file", message: "unterminated declaration (missing \"}\")" });
  if (issues.length > 0) fail("lease file", issues);
  return [...leases.values()];
}

/** CSV with the header `ip,hostname,mac,starts,ends` (hostname, mac and ends may be empty; `ends` may be `never`). */
export function parseLeaseCsv(text: string): Lease[] {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] = [];
  try {
    rows = parseCsv(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      info: true,
      columns: (names: string[]) => (header = names.map((n) => n.trim().toLowerCase())),
    }) as typeof rows;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`invalid lease CSV: ${message}`, [{ path: "file", message }]);
  }
  const known = ["ip", "hostname", "mac", "starts", "ends"];
  const issues: Issue[] = [];
  for (const name of header) if (!known.includes(name)) issues.push({ path: "header", message: `unknown column "${name}" (expected ${known.join(",")})` });
  for (const name of ["ip", "starts"]) if (!header.includes(name)) issues.push({ path: "header", message: `missing required column "${name}"` });
  if (issues.length > 0) fail("lease CSV", issues);
  const leases = rows.map(({ record, info }) =>
    checkLease(
      Object.fromEntries(Object.entries(record).filter(([, v]) => v !== "")),
      `row ${info.lines}`,
      issues,
    ),
  );
  if (issues.length > 0) fail("lease CSV", issues);
  return leases as Lease[];
}

/** JSON: an array of `{ip, hostname?, mac?, starts, ends?}` (or `{leases: [...]}`). */
export function parseLeaseJson(text: string): Lease[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`invalid lease JSON: ${message}`, [{ path: "file", message }]);
  }
  const list = Array.isArray(data) ? data : (data as { leases?: unknown } | null)?.leases;
  if (!Array.isArray(list)) fail("lease JSON", [{ path: "(root)", message: "expected an array of leases or {leases: [...]}" }]);
  const issues: Issue[] = [];
  const leases = list.map((item, i) => checkLease(item, `[${i}]`, issues));
  if (issues.length > 0) fail("lease JSON", issues);
  return leases as Lease[];
}

/** Reads leases in the given format, or the one the content shows (JSON, a CSV header, else ISC). */
export function parseLeases(text: string, format?: LeaseFormat): Lease[] {
  const body = text.replace(/^\uFEFF/, "");
  const detected = format ?? (/^\s*[[{]/.test(body) ? "json" : /^\s*ip\s*,/i.test(body) ? "csv" : "isc");
  if (detected === "json") return parseLeaseJson(body);
  if (detected === "csv") return parseLeaseCsv(body);
  return parseIscLeases(body);
}

/** Writes validated leases (one upsert per binding, keyed by source, address and start): re-importing a file is idempotent. */
export async function writeLeases(ex: Executor, input: Lease[], options: { source: string; now: string }): Promise<{ leases: number }> {
  // A binding listed twice is one row (a multi-row upsert may not touch a row twice): the last one wins.
  const leases = dedupe(input);
  for (let i = 0; i < leases.length; i += 200) {
    const rows = leases.slice(i, i + 200).map((l) => ({ source: options.source, ...l, imported_at: options.now }));
    await ex
      .insertInto("dhcp_leases")
      .values(rows)
      .onConflict((oc) =>
        oc.columns(["ip", "starts", "source"]).doUpdateSet((eb) => ({
          ends: eb.ref("excluded.ends"),
          hostname: eb.ref("excluded.hostname"),
          mac: eb.ref("excluded.mac"),
          imported_at: eb.ref("excluded.imported_at"),
        })),
      )
      .execute();
  }
  return { leases: leases.length };
}

export interface ImportLeasesOptions {
  now: string;
  /** Names the DHCP server the leases come from (default `dhcp`). */
  source?: string;
  format?: LeaseFormat;
}

/** Reads a lease file, validates all of it, then writes it in one transaction: everything, or nothing. */
export async function importLeaseFile(db: Db, file: string, options: ImportLeasesOptions): Promise<{ leases: number; source: string }> {
  const text = await readFile(file, "utf8");
  const format = options.format ?? (/\.json$/i.test(file) ? "json" : /\.csv$/i.test(file) ? "csv" : undefined);
  const leases = parseLeases(text, format);
  const source = options.source ?? "dhcp";
  const result = await db.transaction().execute((trx) => writeLeases(trx, leases, { source, now: options.now }));
  return { ...result, source };
}

function dedupe(leases: Lease[]): Lease[] {
  const byKey = new Map<string, Lease>();
  for (const lease of leases) byKey.set(`${lease.ip}|${lease.starts}`, lease);
  return [...byKey.values()];
}
