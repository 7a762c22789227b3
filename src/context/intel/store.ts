import { sql } from "kysely";
import { Indicator, IndicatorType, IndicatorVerdict, ValidationError, isoNow, systemClock, type Clock } from "../../core/index.js";
import { fromJson, type Db, type Executor } from "../../store/index.js";
import { domainKey, indicatorKey, toIsoUtc } from "../normalise.js";
import { networkKey } from "./network.js";

/** What an importer read for one value; `validateIntel` checks the value and dates. */
export type IntelRecord = { type: Indicator["type"]; value: string } & Partial<
  Pick<Indicator, "verdict" | "category" | "associated_malware" | "first_seen" | "last_seen" | "expires_at" | "confidence" | "tags">
>;

/** One record an importer found, not yet validated, with where it came from (`objects[3].pattern`, `line 12`). */
export interface IntelCandidate {
  record: IntelRecord;
  path: string;
}

/** Something in the input that is valid but that Nightshift cannot use: reported, never guessed at. */
export interface IntelSkip {
  path: string;
  reason: string;
}

export interface IntelParse {
  candidates: IntelCandidate[];
  /** Problems that make the input invalid: any of them and nothing is written. */
  issues: { path: string; message: string }[];
  skipped: IntelSkip[];
}

export interface IntelImportResult {
  feed: string;
  format: string;
  indicators: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: IntelSkip[];
}

const STRENGTH = { malicious: 3, suspicious: 2, benign: 1 } as const;

/** A feed name is a word: it is shown on matches and provenance (`intel:<feed>`). */
export function checkFeedName(feed: string): string {
  const name = feed.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/.test(name)) {
    const message = `a feed name is 1-80 letters, digits, ".", "_", ":" or "-", starting with a letter or digit: "${feed}"`;
    throw new ValidationError(`invalid feed: ${message}`, [{ path: "feed", message }]);
  }
  return name;
}

function earliest(a: string | undefined, b: string | undefined) {
  if (!a || !b) return a ?? b;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function latest(a: string | undefined, b: string | undefined) {
  if (!a || !b) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a && !b) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])].sort();
}

function strip<T extends object>(value: T): T {
  for (const key of Object.keys(value)) if ((value as Record<string, unknown>)[key] === undefined) delete (value as Record<string, unknown>)[key];
  return value;
}

/** The fields of two records of one value, combined: strongest verdict, widest dates, every tag. */
function combine(existing: Indicator, incoming: Indicator): Indicator {
  // The record lives as long as any of its records keeps it: one without an expiry keeps it for good.
  const expires = existing.expires_at && incoming.expires_at ? latest(existing.expires_at, incoming.expires_at) : undefined;
  return strip({
    ...existing,
    verdict: STRENGTH[incoming.verdict] > STRENGTH[existing.verdict] ? incoming.verdict : existing.verdict,
    category: existing.category ?? incoming.category,
    associated_malware: existing.associated_malware ?? incoming.associated_malware,
    first_seen: earliest(existing.first_seen, incoming.first_seen),
    last_seen: latest(existing.last_seen, incoming.last_seen),
    expires_at: expires,
    confidence:
      existing.confidence === undefined || incoming.confidence === undefined
        ? (existing.confidence ?? incoming.confidence)
        : Math.max(existing.confidence, incoming.confidence),
    tags: union(existing.tags, incoming.tags),
  });
}

/**
 * Two records of the same value. When `incoming` comes from a feed the record does not list yet, the feeds
 * agree: one more source of one more. A feed that re-imports its own only record replaces it, so its
 * re-import is idempotent and its updates (a later expiry, a new verdict) take effect.
 */
export function mergeIndicator(existing: Indicator | null, incoming: Indicator): Indicator {
  const feed = incoming.feed;
  // Validated records carry no undefined fields: no strip needed on this, the bulk path.
  const own: Indicator = { ...incoming, sources: [feed], source_count: 1, source_total: 1 };
  if (!existing) return own;
  const sources = existing.sources ?? [existing.feed];
  if (sources.length === 1 && sources[0] === feed) return own;
  const agrees = !sources.includes(feed);
  return {
    ...combine(existing, incoming),
    source_count: existing.source_count + (agrees ? 1 : 0),
    source_total: existing.source_total + (agrees ? 1 : 0),
    sources: [...new Set([...sources, feed])].sort(),
  };
}

const TYPES = new Set<string>(IndicatorType.options);
const VERDICTS = new Set<string>(IndicatorVerdict.options);
const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i;
const DOMAIN = /^[a-z0-9_*-]+(?:\.[a-z0-9_-]+)*$/i;
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Why a value is not of its type, or null; an address or network comes back in its canonical form. */
function checkValue(type: Indicator["type"], value: string): { value: string } | { problem: string } {
  switch (type) {
    case "ip": {
      const key = networkKey(value);
      return key ? { value: key } : { problem: "not an IP address or CIDR network" };
    }
    case "domain":
      return DOMAIN.test(domainKey(value)) ? { value } : { problem: "not a domain name (a URL belongs under type url)" };
    case "url":
      return URL.canParse(value) ? { value } : { problem: "not an absolute URL" };
    case "file_hash":
      return HASH.test(value) ? { value } : { problem: "not an MD5, SHA-1, SHA-256 or SHA-512 hex digest" };
    case "email":
      return EMAIL.test(value) ? { value } : { problem: "not an e-mail address" };
  }
}

/**
 * Validates every candidate of a feed (all problems reported together, by path) and folds repeated
 * values into one record: a feed listing a value twice is still one source. Importers hand over records
 * whose shape their own schemas already checked, so this checks values and dates without a schema pass
 * per record: a million records must validate in about a second.
 */
export function validateIntel(parse: IntelParse, feed: string): Indicator[] {
  const issues = [...parse.issues];
  const byKey = new Map<string, Indicator>();
  const dates = new Map<string, string | null>();
  for (const { record, path } of parse.candidates) {
    const r = record;
    const issue = (field: string, message: string) => issues.push({ path: `${path}.${field}`, message });
    if (!TYPES.has(r.type)) {
      issue("type", `expected one of ${IndicatorType.options.join(", ")}`);
      continue;
    }
    const raw = typeof r.value === "string" ? r.value.trim() : "";
    const checked = checkValue(r.type, raw);
    if ("problem" in checked) {
      issue("value", `${checked.problem}: "${raw}"`);
      continue;
    }
    if (r.verdict !== undefined && !VERDICTS.has(r.verdict)) {
      issue("verdict", `expected one of ${IndicatorVerdict.options.join(", ")}`);
      continue;
    }
    let ok = true;
    const date = (field: "first_seen" | "last_seen" | "expires_at") => {
      const text = r[field];
      if (text === undefined) return undefined;
      let iso = dates.get(text);
      if (iso === undefined) dates.set(text, (iso = toIsoUtc(text)));
      if (iso === null) {
        ok = false;
        issue(field, `not an ISO-8601 date or date-time: "${text}"`);
      }
      return iso ?? undefined;
    };
    const indicator: Indicator = { type: r.type, value: checked.value, verdict: r.verdict ?? "malicious", source_count: 1, source_total: 1, feed };
    const first = date("first_seen");
    const last = date("last_seen");
    const expires = date("expires_at");
    if (!ok) continue;
    if (r.category) indicator.category = r.category;
    if (r.associated_malware) indicator.associated_malware = r.associated_malware;
    if (first) indicator.first_seen = first;
    if (last) indicator.last_seen = last;
    if (expires) indicator.expires_at = expires;
    if (r.confidence !== undefined) indicator.confidence = r.confidence;
    if (r.tags?.length) indicator.tags = r.tags;
    const key = `${r.type}:${indicatorKey(r.type, checked.value)}`;
    const earlier = byKey.get(key);
    byKey.set(key, earlier ? foldSameFeed(earlier, indicator) : indicator);
  }
  if (issues.length > 0) {
    const head = issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ");
    throw new ValidationError(`invalid intel: ${head}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`, issues);
  }
  return [...byKey.values()];
}

/** A value a feed lists more than once (in several MISP events…) is one record of that feed. */
function foldSameFeed(a: Indicator, b: Indicator): Indicator {
  return combine(a, b);
}

const DOC_KEYS = [
  "associated_malware",
  "category",
  "confidence",
  "expires_at",
  "feed",
  "first_seen",
  "last_seen",
  "source_count",
  "source_total",
  "sources",
  "tags",
  "type",
  "value",
  "verdict",
] as const satisfies readonly (keyof Indicator)[];

/** `canonicalJson` of an indicator (keys sorted), without its generic recursion: it runs once a record. */
export function indicatorDoc(indicator: Indicator): string {
  const ordered: Record<string, unknown> = {};
  for (const key of DOC_KEYS) if (indicator[key] !== undefined) ordered[key] = indicator[key];
  return JSON.stringify(ordered);
}

/** Rows per statement: 4 parameters a row stays far below SQLite's 32766 and PostgreSQL's 65535. */
const CHUNK = 2000;

/**
 * Upserts a feed's validated indicators with multi-row statements, merging each with the record already
 * stored for its value. Unchanged records are not rewritten: they keep their `updated_at` (their as-of).
 */
export async function writeIntel(ex: Executor, indicators: Indicator[], now: string) {
  let inserted = 0;
  let updated = 0;
  let unchanged = 0;
  const byType = new Map<string, Indicator[]>();
  for (const indicator of indicators) {
    const list = byType.get(indicator.type) ?? [];
    list.push(indicator);
    byType.set(indicator.type, list);
  }
  for (const [type, list] of byType) {
    for (let i = 0; i < list.length; i += CHUNK) {
      const chunk = list.slice(i, i + CHUNK).map((indicator) => ({ indicator, key: indicatorKey(type, indicator.value) }));
      const existing = new Map<string, string>();
      const rows = await ex
        .selectFrom("indicators")
        .select(["value", "doc"])
        .where("type", "=", type)
        .where(
          "value",
          "in",
          chunk.map((c) => c.key),
        )
        .execute();
      for (const row of rows) existing.set(row.value, row.doc);
      const values: { type: string; value: string; doc: string; updated_at: string }[] = [];
      for (const { indicator, key } of chunk) {
        const stored = existing.get(key);
        const merged = mergeIndicator(stored ? Indicator.parse(fromJson(stored, null)) : null, indicator);
        const doc = indicatorDoc(merged);
        if (doc === stored) {
          unchanged++;
          continue;
        }
        if (stored) updated++;
        else inserted++;
        values.push({ type, value: key, doc, updated_at: now });
      }
      if (values.length === 0) continue;
      await ex
        .insertInto("indicators")
        .values(values)
        .onConflict((oc) =>
          oc.columns(["type", "value"]).doUpdateSet({ doc: sql`excluded.doc`, updated_at: sql`excluded.updated_at` }),
        )
        .execute();
    }
  }
  return { inserted, updated, unchanged };
}

export interface ImportIntelOptions {
  feed: string;
  format: string;
  clock?: Clock;
}

/** Validates a parsed feed in full, then writes all of it in one transaction, or nothing. */
export async function importIntel(db: Db, parse: IntelParse, options: ImportIntelOptions): Promise<IntelImportResult> {
  const feed = checkFeedName(options.feed);
  const indicators = validateIntel(parse, feed);
  const now = isoNow(options.clock ?? systemClock);
  const counts = await db.transaction().execute((trx) => writeIntel(trx, indicators, now));
  return { feed, format: options.format, indicators: indicators.length, ...counts, skipped: parse.skipped };
}
