import { sql } from "kysely";
import type SQLite from "better-sqlite3";
import { type Indicator, IndicatorType, IndicatorVerdict, ValidationError, isoNow, systemClock, type Clock } from "../../core/index.js";
import { fromJson, isPostgres, withSqliteHandle, type Db, type Executor } from "../../store/index.js";
import { domainKey, indicatorKey, toIsoUtc } from "../normalise.js";
import { intelChanged } from "./lookup.js";
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

/** The fields of two records of one value, combined: strongest verdict, widest dates, every tag. */
function combine(existing: Indicator, incoming: Indicator): Indicator {
  // Built field by field, never spread then deleted: a deleted key turns the object into a slow dictionary,
  // which a million-record merge pays for in garbage collection.
  const out: Indicator = {
    type: existing.type,
    value: existing.value,
    verdict: STRENGTH[incoming.verdict] > STRENGTH[existing.verdict] ? incoming.verdict : existing.verdict,
    source_count: existing.source_count,
    source_total: existing.source_total,
    feed: existing.feed,
  };
  if (existing.sources !== undefined) out.sources = existing.sources;
  const category = existing.category ?? incoming.category;
  if (category !== undefined) out.category = category;
  const malware = existing.associated_malware ?? incoming.associated_malware;
  if (malware !== undefined) out.associated_malware = malware;
  const first = earliest(existing.first_seen, incoming.first_seen);
  if (first !== undefined) out.first_seen = first;
  const last = latest(existing.last_seen, incoming.last_seen);
  if (last !== undefined) out.last_seen = last;
  // The record lives as long as any of its records keeps it: one without an expiry keeps it for good.
  if (existing.expires_at && incoming.expires_at) out.expires_at = latest(existing.expires_at, incoming.expires_at)!;
  const confidence =
    existing.confidence === undefined || incoming.confidence === undefined
      ? (existing.confidence ?? incoming.confidence)
      : Math.max(existing.confidence, incoming.confidence);
  if (confidence !== undefined) out.confidence = confidence;
  const tags = union(existing.tags, incoming.tags);
  if (tags !== undefined) out.tags = tags;
  return out;
}

/**
 * Two records of the same value. When `incoming` comes from a feed the record does not list yet, the feeds
 * agree: one more source of one more. A feed that re-imports its own only record replaces it, so its
 * re-import is idempotent and its updates (a later expiry, a new verdict) take effect.
 */
export function mergeIndicator(existing: Indicator | null, incoming: Indicator): Indicator {
  const feed = incoming.feed;
  // A literal, not a spread: this runs once per record of a million-record feed.
  const own: Indicator = {
    type: incoming.type,
    value: incoming.value,
    verdict: incoming.verdict,
    source_count: 1,
    source_total: 1,
    feed,
    sources: [feed],
  };
  if (incoming.category !== undefined) own.category = incoming.category;
  if (incoming.associated_malware !== undefined) own.associated_malware = incoming.associated_malware;
  if (incoming.first_seen !== undefined) own.first_seen = incoming.first_seen;
  if (incoming.last_seen !== undefined) own.last_seen = incoming.last_seen;
  if (incoming.expires_at !== undefined) own.expires_at = incoming.expires_at;
  if (incoming.confidence !== undefined) own.confidence = incoming.confidence;
  if (incoming.tags !== undefined) own.tags = incoming.tags;
  if (!existing) return own;
  const sources = existing.sources ?? [existing.feed];
  if (sources.length === 1 && sources[0] === feed) return own;
  const agrees = !sources.includes(feed);
  const merged = combine(existing, incoming);
  merged.source_count = existing.source_count + (agrees ? 1 : 0);
  merged.source_total = existing.source_total + (agrees ? 1 : 0);
  merged.sources = [...new Set([...sources, feed])].sort();
  return merged;
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

/** `canonicalJson` of an indicator (keys sorted), without its generic recursion: it runs once a record. */
export function indicatorDoc(x: Indicator): string {
  // One literal with every field in sorted order (JSON.stringify leaves out undefined; `satisfies` fails to
  // compile when Indicator gains a field this does not write): no copy, no spread per record.
  return JSON.stringify({
    associated_malware: x.associated_malware,
    category: x.category,
    confidence: x.confidence,
    expires_at: x.expires_at,
    feed: x.feed,
    first_seen: x.first_seen,
    last_seen: x.last_seen,
    source_count: x.source_count,
    source_total: x.source_total,
    sources: x.sources,
    tags: x.tags,
    type: x.type,
    value: x.value,
    verdict: x.verdict,
  } satisfies Record<keyof Indicator, unknown>);
}

type Planned = { indicator: Indicator; key: string };

/** Stored documents are written by this module or the context loader, both from validated records. */
function storedIndicator(doc: string): Indicator {
  const parsed = fromJson<Indicator>(doc, null as never);
  parsed.verdict ??= "malicious";
  parsed.feed ??= "local";
  return parsed;
}

/** The row to write for one incoming record, or null when the stored one would not change. */
function plan(stored: string | undefined, indicator: Indicator, counts: { inserted: number; updated: number; unchanged: number }): string | null {
  const doc = indicatorDoc(mergeIndicator(stored === undefined ? null : storedIndicator(stored), indicator));
  if (doc === stored) {
    counts.unchanged++;
    return null;
  }
  if (stored === undefined) counts.inserted++;
  else counts.updated++;
  return doc;
}

const UPSERT =
  "INSERT INTO indicators (type, value, doc, updated_at) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (type, value) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at";

/**
 * SQLite: prepared statements on the transaction's own connection, reused for every row (building a
 * statement per row costs twice what SQLite spends storing it). Stored records are read in large batches,
 * and not at all for a type that has none yet; rows go in key order, so the index is filled in order.
 */
function writeSqlite(database: SQLite.Database, groups: Map<string, Planned[]>, now: string) {
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const anyOfType = database.prepare("SELECT 1 FROM indicators WHERE type = ? LIMIT 1").pluck();
  const read = database.prepare("SELECT value, doc FROM indicators WHERE type = ? AND value IN (SELECT value FROM json_each(?))").raw();
  const upsert = database.prepare(UPSERT);
  for (const [type, list] of groups) {
    const stored = anyOfType.get(type) !== undefined;
    for (let i = 0; i < list.length; i += READ_BATCH) {
      const chunk = list.slice(i, i + READ_BATCH);
      const existing = new Map<string, string>();
      if (stored) for (const [value, doc] of read.all(type, JSON.stringify(chunk.map((p) => p.key))) as [string, string][]) existing.set(value, doc);
      for (const { indicator, key } of chunk) {
        const doc = plan(existing.get(key), indicator, counts);
        if (doc !== null) upsert.run(type, key, doc, now);
      }
    }
  }
  return counts;
}

/**
 * PostgreSQL: a few large statements per feed, with the server and this process working at the same time.
 * Rows travel as two JSON arrays (`json_array_elements_text`): `pg` would serialise a text[] parameter
 * element by element with regular-expression escaping, which cost more CPU than the server spends storing
 * the rows; JSON.stringify is native. Stored records are read with `= ANY(text[])` (plain keys, an index
 * scan with array keys), and not at all for a type that has none yet. The read of the next batch and the
 * upsert of this one are queued on the connection before this batch is planned, so the server reads and
 * writes while the merge runs here.
 */
async function writePostgres(ex: Executor, groups: Map<string, Planned[]>, now: string, PG_BATCH: number) {
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const pending: Promise<unknown>[] = [];
  // Every queued statement is observed at once, so a failure is never an unhandled rejection; the first
  // failure is rethrown after the others settle (the transaction is then rolled back as a whole).
  const queue = <T>(statement: Promise<T>) => {
    pending.push(statement.catch(() => undefined));
    return statement;
  };
  try {
    for (const [type, list] of groups) {
      const any = await sql<{ one: number }>`SELECT 1 AS one FROM indicators WHERE type = ${type} LIMIT 1`.execute(ex);
      const stored = any.rows.length > 0;
      const read = (from: number) => {
        if (!stored || from >= list.length) return Promise.resolve([] as { value: string; doc: string }[]);
        const keys = list.slice(from, from + PG_BATCH).map((p) => p.key);
        const rows = queue(
          sql<{ value: string; doc: string }>`
            SELECT value, doc FROM indicators WHERE type = ${type} AND value = ANY(${keys}::text[])`.execute(ex),
        ).then((result) => result.rows);
        rows.catch(() => undefined);
        return rows;
      };
      let nextRead = read(0);
      const upserts: Promise<unknown>[] = [];
      for (let i = 0; i < list.length; i += PG_BATCH) {
        const rows = await nextRead;
        nextRead = read(i + PG_BATCH);
        const existing = new Map<string, string>();
        for (const row of rows) existing.set(row.value, row.doc);
        const values: string[] = [];
        const docs: string[] = [];
        for (let j = i; j < Math.min(i + PG_BATCH, list.length); j++) {
          const { indicator, key } = list[j]!;
          const doc = plan(existing.get(key), indicator, counts);
          if (doc === null) continue;
          values.push(key);
          docs.push(doc);
        }
        if (values.length === 0) continue;
        upserts.push(
          queue(
            sql`
              INSERT INTO indicators (type, value, doc, updated_at)
              SELECT ${type}, v, d, ${now}
              FROM ROWS FROM (json_array_elements_text(${JSON.stringify(values)}::json), json_array_elements_text(${JSON.stringify(docs)}::json)) AS t(v, d)
              ON CONFLICT (type, value) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`.execute(ex),
          ),
        );
      }
      await Promise.all(upserts);
    }
  } finally {
    await Promise.all(pending);
  }
  return counts;
}

/** Keys per batched read on SQLite (one JSON array parameter). */
const READ_BATCH = 50_000;
/** Rows per PostgreSQL statement (default): two JSON array parameters, however many rows. */
const PG_BATCH = 50_000;

/**
 * Upserts a feed's validated indicators, merging each with the record already stored for its value.
 * Unchanged records are not rewritten: they keep their `updated_at` (their as-of). The `intel_state`
 * version moves with the write (a trigger), so every process's in-memory index sees it.
 */
export async function writeIntel(ex: Executor, indicators: Indicator[], now: string, options: { pgBatchRows?: number } = {}) {
  const groups = new Map<string, Planned[]>();
  for (const indicator of indicators) {
    let list = groups.get(indicator.type);
    if (!list) groups.set(indicator.type, (list = []));
    list.push({ indicator, key: indicatorKey(indicator.type, indicator.value) });
  }
  for (const list of groups.values()) list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // This process's next match re-reads the version, even inside this transaction.
  intelChanged(ex);
  if (isPostgres(ex)) return writePostgres(ex, groups, now, options.pgBatchRows ?? PG_BATCH);
  return withSqliteHandle(ex, (database) => {
    if (!database) throw new Error("no SQLite handle behind this executor");
    return writeSqlite(database, groups, now);
  });
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
  const counts = await db.transaction().execute(async (trx) => {
    // A feed import is all-or-nothing and can run again: it need not wait for its commit record to reach
    // disk (a crash right after commit may lose the whole import, never part of it).
    if (isPostgres(trx)) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    return writeIntel(trx, indicators, now);
  });
  intelChanged(db);
  return { feed, format: options.format, indicators: indicators.length, ...counts, skipped: parse.skipped };
}
