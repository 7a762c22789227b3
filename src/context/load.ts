import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { z } from "zod";
import {
  CmdbAsset,
  Identity,
  Indicator,
  Subnet,
  Suppression,
  ValidationError,
  canonicalJson,
  isoNow,
  systemClock,
  type Clock,
} from "../core/index.js";
import type { Db, Executor } from "../store/index.js";
import { writeAliases } from "./assets/aliases.js";
import { parseAnomalyCell } from "./identity.js";
import { networkKey } from "./intel/network.js";
import { droppedKeys } from "./unknown-keys.js";
import { domainKey, hostKey, indicatorKey, ipKey, isIpAddress, toIsoUtc, userKey } from "./normalise.js";

/** The validated content of a context file, normalised (times in ISO-8601 UTC, addresses lower-cased). */
export interface ContextData {
  assets: CmdbAsset[];
  identities: Identity[];
  indicators: Indicator[];
  suppressions: Suppression[];
  subnets: Subnet[];
}

export type ContextCountsLoaded = { assets: number; identities: number; indicators: number; suppressions: number; subnets: number };

export interface LoadOptions {
  clock?: Clock;
  /** Recorded on asset and identity rows: where the organisation's knowledge came from. */
  source?: string;
}

type Kind = keyof ContextData;
const KINDS: Kind[] = ["assets", "identities", "indicators", "suppressions", "subnets"];

type Issue = { path: string; message: string };
export type PathPart = string | number;
/** Names a place in the input for an error: `assets[3].criticality` for JSON, `row 7: criticality` for CSV. */
type Locate = (path: PathPart[]) => string;
interface Located {
  value: unknown;
  where: Locate;
  /** Problems found before schema validation (a CSV cell that is not a boolean…). */
  issues?: Issue[];
}

export function formatPath(parts: PathPart[]): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Validation: every record is checked before anything is written, and every problem is reported.

interface Checked<T> {
  value: T;
  key: string;
}

export type Checker<T> = (value: T, issue: (path: PathPart[], message: string) => void) => Checked<T>;

function isoField(value: string | undefined, path: PathPart[], issue: (path: PathPart[], message: string) => void) {
  if (value === undefined) return undefined;
  const iso = toIsoUtc(value);
  if (iso === null) issue(path, `not an ISO-8601 date or date-time: "${value}"`);
  return iso ?? value;
}

const checkAsset: Checker<CmdbAsset> = (asset, issue) => {
  const ips: string[] = [];
  asset.ips.forEach((ip, i) => {
    if (!isIpAddress(ip)) issue(["ips", i], `not an IP address: "${ip}"`);
    else if (!ips.includes(ipKey(ip))) ips.push(ipKey(ip));
  });
  const hostname = asset.hostname.trim();
  if (!hostKey(hostname)) issue(["hostname"], "a hostname is required");
  const telemetry = [...new Set(asset.telemetry.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  return { value: { ...asset, hostname, ips, telemetry }, key: hostKey(hostname) };
};

const checkIdentity: Checker<Identity> = (identity, issue) => {
  const key = userKey(identity.username);
  if (!key) issue(["username"], `no user name left once the domain is removed: "${identity.username}"`);
  const checked: Identity = { ...identity, username: identity.username.trim() };
  // Anomaly times are compared with alert times: they must be instants, stored in one form.
  if (identity.anomalies)
    checked.anomalies = identity.anomalies.map((a, i) => ({ ...a, time: isoField(a.time, ["anomalies", i, "time"], issue)! }));
  if (identity.last_password_change !== undefined)
    checked.last_password_change = isoField(identity.last_password_change, ["last_password_change"], issue);
  return { value: checked, key };
};

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i;
const DOMAIN = /^[a-z0-9_*-]+(?:\.[a-z0-9_-]+)*$/i;

/** Checks one indicator's value and dates and normalises it; `key` is `type:lookup-key`. Shared with the intel importers. */
export const checkIndicator: Checker<Indicator> = (indicator, issue) => {
  const value = indicator.value.trim();
  const invalid = {
    ip: () => networkKey(value) === null && "not an IP address or CIDR network",
    domain: () => !DOMAIN.test(domainKey(value)) && "not a domain name (a URL belongs under type url)",
    url: () => {
      try {
        new URL(value);
        return false;
      } catch {
        return "not an absolute URL";
      }
    },
    file_hash: () => !HASH.test(value) && "not an MD5, SHA-1, SHA-256 or SHA-512 hex digest",
    email: () => !/^[^@\s]+@[^@\s]+$/.test(value) && "not an e-mail address",
  }[indicator.type]();
  if (invalid) issue(["value"], `${invalid}: "${value}"`);
  if (indicator.source_count > indicator.source_total)
    issue(["source_count"], `${indicator.source_count} sources cannot exceed source_total ${indicator.source_total}`);
  const checked: Indicator = {
    ...indicator,
    value: indicator.type === "ip" ? (networkKey(value) ?? value) : value,
    first_seen: isoField(indicator.first_seen, ["first_seen"], issue),
    last_seen: isoField(indicator.last_seen, ["last_seen"], issue),
    expires_at: isoField(indicator.expires_at, ["expires_at"], issue),
  };
  return { value: stripUndefined(checked), key: `${indicator.type}:${indicatorKey(indicator.type, value)}` };
};

const checkSuppression: Checker<Suppression> = (suppression, issue) => {
  const scope = Object.fromEntries(
    Object.entries(suppression.scope).filter(([, v]) => v !== undefined && v.trim() !== ""),
  ) as Suppression["scope"];
  // An empty scope would silence every alert: a suppression must say what it covers.
  if (Object.keys(scope).length === 0) issue(["scope"], "a suppression needs at least one scope field");
  const checked: Suppression = {
    ...suppression,
    id: suppression.id.trim(),
    scope,
    created_at: isoField(suppression.created_at, ["created_at"], issue)!,
    expires_at: isoField(suppression.expires_at, ["expires_at"], issue),
  };
  return { value: stripUndefined(checked), key: checked.id };
};

/** A subnet keyed by its canonical network (`10.1.2.0/24`, `2001:db8::/48`); a bare address is a /32 or /128. */
const checkSubnet: Checker<Subnet> = (subnet, issue) => {
  const key = networkKey(subnet.cidr);
  if (key === null) issue(["cidr"], `not a CIDR network or address: "${subnet.cidr}"`);
  return { value: stripUndefined({ ...subnet, cidr: key ?? subnet.cidr, segment: subnet.segment.trim() }), key: key ?? subnet.cidr };
};

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const SCHEMAS: { [K in Kind]: { schema: z.ZodType<ContextData[K][number]>; check: Checker<ContextData[K][number]>; keyPath: PathPart[] } } = {
  assets: { schema: CmdbAsset, check: checkAsset, keyPath: ["hostname"] },
  identities: { schema: Identity, check: checkIdentity, keyPath: ["username"] },
  indicators: { schema: Indicator, check: checkIndicator, keyPath: ["value"] },
  suppressions: { schema: Suppression, check: checkSuppression, keyPath: ["id"] },
  subnets: { schema: Subnet, check: checkSubnet, keyPath: ["cidr"] },
};

function validateLocated(input: Partial<Record<Kind, Located[]>>, initialIssues: Issue[] = []): ContextData {
  const issues = [...initialIssues];
  const out: ContextData = { assets: [], identities: [], indicators: [], suppressions: [], subnets: [] };
  for (const kind of KINDS) {
    const { schema, check, keyPath } = SCHEMAS[kind] as (typeof SCHEMAS)["assets"];
    const seen = new Map<string, Locate>();
    for (const record of input[kind] ?? []) {
      issues.push(...(record.issues ?? []));
      const result = schema.safeParse(record.value);
      if (!result.success) {
        for (const zodIssue of result.error.issues)
          issues.push({ path: record.where(zodIssue.path.map((p) => (typeof p === "number" ? p : String(p)))), message: zodIssue.message });
        continue;
      }
      const unknown = droppedKeys(record.value, result.data);
      for (const path of unknown) issues.push({ path: record.where(path), message: "unknown key" });
      let ok = !record.issues?.length && unknown.length === 0;
      const checked = check(result.data, (path, message) => {
        ok = false;
        issues.push({ path: record.where(path), message });
      });
      const first = seen.get(checked.key);
      if (first) {
        issues.push({ path: record.where(keyPath), message: `duplicate: the same record as ${first([])}` });
        continue;
      }
      seen.set(checked.key, record.where);
      if (ok) (out[kind] as CmdbAsset[]).push(checked.value);
    }
  }
  if (issues.length > 0) {
    const head = issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ");
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    throw new ValidationError(`invalid context: ${head}${more}`, issues);
  }
  return out;
}

/** Checks an already-parsed context object (the JSON contract) and returns it normalised; throws naming every bad field. */
export function validateContext(data: unknown): ContextData {
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new ValidationError("invalid context: expected an object with assets, identities, indicators, suppressions and/or subnets", [
      { path: "(root)", message: "expected an object with assets, identities, indicators, suppressions and/or subnets" },
    ]);
  }
  const issues: Issue[] = [];
  const located: Partial<Record<Kind, Located[]>> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (!KINDS.includes(key as Kind)) {
      issues.push({ path: key, message: `unknown key (expected ${KINDS.join(", ")})` });
      continue;
    }
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) {
      issues.push({ path: key, message: "expected an array" });
      continue;
    }
    located[key as Kind] = value.map((element, index) => ({
      value: element,
      where: (path: PathPart[]) => formatPath([key, index, ...path]),
    }));
  }
  return validateLocated(located, issues);
}

// ---------------------------------------------------------------------------------------------------
// CSV: one kind per file, named by its header.

type Cell = "string" | "list" | "boolean" | "integer" | "enum" | "anomalies";
const CSV_COLUMNS: Record<"assets" | "identities", { key: string; required: string[]; columns: Record<string, Cell> }> = {
  assets: {
    key: "hostname",
    required: ["hostname", "criticality", "environment"],
    columns: {
      hostname: "string",
      ips: "list",
      criticality: "enum",
      environment: "string",
      crown_jewel_adjacent: "boolean",
      owner: "string",
      network_segment: "string",
      patch_level: "string",
      edr_present: "boolean",
      telemetry: "list",
      aliases: "list",
      os: "string",
      role: "string",
      do_not_touch: "boolean",
    },
  },
  identities: {
    key: "username",
    required: ["username", "user_type", "privilege_level"],
    columns: {
      username: "string",
      display_name: "string",
      user_type: "enum",
      privilege_level: "enum",
      mfa_enabled: "boolean",
      recent_anomaly: "boolean",
      anomalies: "anomalies",
      mfa_methods: "list",
      last_password_change: "string",
      manager: "string",
      groups: "list",
      disabled: "boolean",
      risk_score: "integer",
      department: "string",
      email: "string",
      do_not_touch: "boolean",
    },
  },
};

const TRUE = new Set(["true", "yes", "1"]);
const FALSE = new Set(["false", "no", "0"]);

/** Parses a CSV of assets or identities (the header says which) into validated, normalised records. */
export function parseContextCsv(text: string): ContextData {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] = [];
  try {
    rows = parseCsv(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      info: true,
      columns: (names: string[]) => {
        header = names.map((n) => n.trim().toLowerCase());
        return header;
      },
    }) as typeof rows;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = (error as { lines?: number }).lines;
    throw new ValidationError(`invalid CSV: ${message}`, [{ path: line ? `row ${line}` : "file", message }]);
  }
  const kind = header.includes("hostname") ? "assets" : header.includes("username") ? "identities" : null;
  if (!kind || (header.includes("hostname") && header.includes("username"))) {
    const message = "the header must name either assets (hostname,ips,criticality,…) or identities (username,user_type,…)";
    throw new ValidationError(`invalid CSV: ${message}`, [{ path: "header", message }]);
  }
  const spec = CSV_COLUMNS[kind];
  const headerIssues: Issue[] = [];
  for (const name of header)
    if (!(name in spec.columns))
      headerIssues.push({ path: "header", message: `unknown ${kind} column "${name}" (expected ${Object.keys(spec.columns).join(",")})` });
  for (const name of spec.required)
    if (!header.includes(name)) headerIssues.push({ path: "header", message: `missing required column "${name}"` });
  for (const name of new Set(header.filter((n, i) => header.indexOf(n) !== i)))
    headerIssues.push({ path: "header", message: `column "${name}" appears more than once` });
  if (headerIssues.length > 0) throw new ValidationError(`invalid CSV: ${headerIssues[0]!.message}`, headerIssues);

  const located: Located[] = rows.map(({ record, info }) => {
    const row = info.lines;
    const where: Locate = (path) => (path.length ? `row ${row}: ${formatPath(path)}` : `row ${row}`);
    const value: Record<string, unknown> = {};
    const cellIssues: Issue[] = [];
    for (const [name, raw] of Object.entries(record)) {
      const cell = raw.trim();
      if (cell === "") continue;
      switch (spec.columns[name]) {
        case "list":
          value[name] = cell
            .split(";")
            .map((s) => s.trim())
            .filter(Boolean);
          break;
        case "boolean":
          if (TRUE.has(cell.toLowerCase())) value[name] = true;
          else if (FALSE.has(cell.toLowerCase())) value[name] = false;
          else cellIssues.push({ path: where([name]), message: `expected true/false/yes/no/1/0, got "${cell}"` });
          break;
        case "integer":
          if (/^[+-]?\d+$/.test(cell)) value[name] = Number(cell);
          else cellIssues.push({ path: where([name]), message: `expected a whole number, got "${cell}"` });
          break;
        case "anomalies": {
          const parsed = parseAnomalyCell(cell);
          if ("error" in parsed) cellIssues.push({ path: where([name]), message: parsed.error });
          else value[name] = parsed.anomalies;
          break;
        }
        case "enum":
          value[name] = cell.toLowerCase();
          break;
        default:
          value[name] = cell;
      }
    }
    return { value, where, issues: cellIssues };
  });
  return validateLocated({ [kind]: located });
}

/** Reads a context file: JSON (the four arrays) or CSV of assets or identities. */
export function parseContextText(text: string, fileName = "context"): ContextData {
  const body = text.replace(/^\uFEFF/, "");
  const looksJson = /\.json$/i.test(fileName) || /^\s*[{[]/.test(body);
  if (!looksJson) return parseContextCsv(body);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`invalid JSON in ${fileName}: ${message}`, [{ path: "file", message }]);
  }
  return validateContext(data);
}

// ---------------------------------------------------------------------------------------------------
// Writing: one transaction; a record whose content did not change keeps its updated_at (its as_of).

/** Writes validated context with the given executor (compose it into a caller's transaction). */
export async function writeContext(ex: Executor, data: ContextData, options: { now: string; source: string }): Promise<ContextCountsLoaded> {
  const { now, source } = options;

  for (const asset of data.assets) {
    const hostname = hostKey(asset.hostname);
    const doc = canonicalJson(asset);
    const current = await ex.selectFrom("assets").select(["doc", "source"]).where("hostname", "=", hostname).executeTakeFirst();
    if (current?.doc === doc && current.source === source) continue;
    await ex
      .insertInto("assets")
      .values({ hostname, doc, updated_at: now, source })
      .onConflict((oc) => oc.column("hostname").doUpdateSet({ doc, updated_at: now, source }))
      .execute();
    await writeAliases(ex, hostname, asset.aliases, "cmdb");
    await ex.deleteFrom("asset_ips").where("hostname", "=", hostname).execute();
    if (asset.ips.length > 0)
      await ex
        .insertInto("asset_ips")
        .values(asset.ips.map((ip) => ({ ip: ipKey(ip), hostname })))
        .execute();
  }

  for (const identity of data.identities) {
    const username = userKey(identity.username);
    const doc = canonicalJson(identity);
    const current = await ex.selectFrom("identities").select(["doc", "source"]).where("username", "=", username).executeTakeFirst();
    if (current?.doc === doc && current.source === source) continue;
    await ex
      .insertInto("identities")
      .values({ username, doc, updated_at: now, source })
      .onConflict((oc) => oc.column("username").doUpdateSet({ doc, updated_at: now, source }))
      .execute();
  }

  for (const indicator of data.indicators) {
    const value = indicatorKey(indicator.type, indicator.value);
    const doc = canonicalJson(indicator);
    const current = await ex
      .selectFrom("indicators")
      .select("doc")
      .where("type", "=", indicator.type)
      .where("value", "=", value)
      .executeTakeFirst();
    if (current?.doc === doc) continue;
    await ex
      .insertInto("indicators")
      .values({ type: indicator.type, value, doc, updated_at: now })
      .onConflict((oc) => oc.columns(["type", "value"]).doUpdateSet({ doc, updated_at: now }))
      .execute();
  }

  for (const suppression of data.suppressions) {
    const doc = canonicalJson(suppression);
    const values = { doc, created_at: suppression.created_at, expires_at: suppression.expires_at ?? null };
    await ex
      .insertInto("suppressions")
      .values({ id: suppression.id, ...values })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }

  for (const subnet of data.subnets) {
    const doc = canonicalJson(subnet);
    const current = await ex.selectFrom("subnets").select(["doc", "source"]).where("cidr", "=", subnet.cidr).executeTakeFirst();
    if (current?.doc === doc && current.source === source) continue;
    await ex
      .insertInto("subnets")
      .values({ cidr: subnet.cidr, doc, updated_at: now, source })
      .onConflict((oc) => oc.column("cidr").doUpdateSet({ doc, updated_at: now, source }))
      .execute();
  }

  return {
    assets: data.assets.length,
    identities: data.identities.length,
    indicators: data.indicators.length,
    suppressions: data.suppressions.length,
    subnets: data.subnets.length,
  };
}

/** Validates an already-parsed context object, then upserts all of it in one transaction (or nothing). */
export async function loadContext(db: Db, data: unknown, options: LoadOptions = {}): Promise<ContextCountsLoaded> {
  const validated = validateContext(data);
  const now = isoNow(options.clock ?? systemClock);
  return db.transaction().execute((trx) => writeContext(trx, validated, { now, source: options.source ?? "api" }));
}

/** Loads a context file (JSON, or CSV of assets or identities): everything valid is written, or nothing. */
export async function loadContextFile(db: Db, file: string, options: LoadOptions = {}): Promise<ContextCountsLoaded> {
  const text = await readFile(file, "utf8");
  const validated = parseContextText(text, path.basename(file));
  const now = isoNow(options.clock ?? systemClock);
  const source = options.source ?? `file:${path.basename(file)}`;
  return db.transaction().execute((trx) => writeContext(trx, validated, { now, source }));
}
