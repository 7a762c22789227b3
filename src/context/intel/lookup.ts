import { sql } from "kysely";
import type SQLite from "better-sqlite3";
import { Indicator, IndicatorType } from "../../core/index.js";
import { fromJson, isPostgres, withSqliteHandle, type Executor } from "../../store/index.js";
import { isNetwork, networkKeysAt } from "./network.js";

/**
 * Threat intel in memory: one Map per indicator type (exact keys), and for networks one Map per prefix
 * length, so an address asks only the lengths some stored network has. Each entry is the row's
 * `updated_at`, a space and its JSON document, in one string: a hit parses it, a miss costs hash lookups.
 *
 * Freshness. `intel_state.version` is a random token that a trigger replaces in the same transaction as
 * every write to `indicators` (migration 0005-intel-state). A process builds its index at a version and
 * rebuilds when the version it reads differs. The version is read at most every `maxStaleMs` (default
 * 250 ms): a write committed by another process is seen by matching that starts at most that long after
 * its commit. Writes of this process are seen at once: on SQLite any write moves the connection's
 * total_changes() (read without a lock); `writeIntel`/`importIntel` mark the index for a re-read on both.
 * Inside a transaction on SQLite the version is always read (cheap there), so a transaction sees its own
 * writes. On PostgreSQL a write by this process outside `writeIntel` (the context loader) waits the bound.
 */
export class IntelIndex {
  private readonly exact = new Map<string, Map<string, string>>(IndicatorType.options.map((type) => [type, new Map<string, string>()]));
  private readonly networks = { 4: new Map<number, Map<string, string>>(), 6: new Map<number, Map<string, string>>() };
  private lengths: { 4: number[]; 6: number[] } = { 4: [], 6: [] };
  size = 0;

  constructor(readonly version: string) {}

  add(type: string, key: string, entry: string) {
    this.size++;
    if (type === "ip" && isNetwork(key)) {
      const slash = key.lastIndexOf("/");
      const length = Number(key.slice(slash + 1));
      const byLength = this.networks[key.includes(":") ? 6 : 4];
      let map = byLength.get(length);
      if (!map) byLength.set(length, (map = new Map()));
      map.set(key, entry);
      return;
    }
    this.exact.get(type)?.set(key, entry);
  }

  /** Narrowest first, as `coveringKeys` lists them. */
  seal() {
    this.lengths = { 4: [...this.networks[4].keys()].sort((a, b) => b - a), 6: [...this.networks[6].keys()].sort((a, b) => b - a) };
    return this;
  }

  get(type: Indicator["type"], key: string): string | undefined {
    if (type === "ip" && isNetwork(key)) {
      const length = Number(key.slice(key.lastIndexOf("/") + 1));
      return this.networks[key.includes(":") ? 6 : 4].get(length)?.get(key);
    }
    return this.exact.get(type)?.get(key);
  }

  /** The address itself and every stored network containing it, as [key, entry]; null when not an address. */
  covering(ip: string): [string, string][] | null {
    const keys = networkKeysAt(ip, (version) => this.lengths[version]);
    if (!keys) return null;
    const out: [string, string][] = [];
    const own = this.exact.get("ip")!.get(keys[0]!);
    if (own !== undefined) out.push([keys[0]!, own]);
    for (let i = 1; i < keys.length; i++) {
      const key = keys[i]!;
      const entry = this.networks[key.includes(":") ? 6 : 4].get(Number(key.slice(key.lastIndexOf("/") + 1)))?.get(key);
      if (entry !== undefined) out.push([key, entry]);
    }
    return out;
  }
}

export interface IntelEntry {
  indicator: Indicator;
  updated_at: string;
}

/** Entries parsed lately: a hot indicator is validated once, not on every alert that names it. */
const parsed = new Map<string, IntelEntry>();
const PARSED_MAX = 10_000;

/** A stored entry as the record matching works on (shared: callers must not modify it). */
export function parseEntry(entry: string): IntelEntry {
  let record = parsed.get(entry);
  if (record) return record;
  const space = entry.indexOf(" ");
  record = { indicator: Indicator.parse(fromJson(entry.slice(space + 1), null)), updated_at: entry.slice(0, space) };
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(entry, record);
  return record;
}


interface State {
  index?: IntelIndex;
  checkedAt: number;
  /** SQLite: the connection's total_changes() at that check (every write of this process moves it). */
  changes?: number;
  building?: { version: string; promise: Promise<IntelIndex> };
}

/** One index per database (its Kysely adapter is shared by the database object and all its transactions). */
const states = new WeakMap<object, State>();
let maxStaleMs = 250;

/** How long PostgreSQL matching may go without re-reading the intel version (0: before every use). */
export function setIntelStaleness(ms: number) {
  maxStaleMs = ms;
}

function stateOf(ex: Executor): State {
  const key = ex.getExecutor().adapter;
  let state = states.get(key);
  if (!state) states.set(key, (state = { checkedAt: -Infinity }));
  return state;
}

/** Called after this process committed intel: its next match re-reads the version. */
export function intelChanged(ex: Executor) {
  stateOf(ex).checkedAt = -Infinity;
}

const versionStatements = new WeakMap<SQLite.Database, SQLite.Statement>();

/**
 * The version `ex` sees, and whether it is this transaction's own uncommitted write (PostgreSQL: the
 * row's xmin is this transaction). An index built at an uncommitted version serves that transaction only.
 */
async function readVersion(ex: Executor): Promise<{ version: string; own: boolean }> {
  if (isPostgres(ex)) {
    const { rows } = await sql<{ version: string; own: boolean | null }>`
      SELECT version, (xmin::text::bigint = txid_current_if_assigned() % 4294967296) AS own FROM intel_state WHERE id = 1`.execute(ex);
    return { version: rows[0]?.version ?? "", own: rows[0]?.own === true };
  }
  const adapter = ex.getExecutor().adapter;
  const known = sqliteHandles.get(adapter);
  // Without waiting for the connection when that is safe: `ex` is the transaction holding SQLite's one
  // connection, or no transaction is open on it at all (an autocommit read sees committed state only).
  if (known && (ex.isTransaction || !known.inTransaction)) return { version: sqliteVersion(known), own: false };
  return withSqliteHandle(ex, (database) => {
    if (!database) throw new Error("no SQLite handle behind this executor");
    sqliteHandles.set(adapter, database);
    // The connection is SQLite's only one, held by whoever reads: an uncommitted version is only ever seen
    // inside its own transaction, and the next read after a rollback sees the committed one again.
    return { version: sqliteVersion(database), own: false };
  });
}

const sqliteHandles = new WeakMap<object, SQLite.Database>();
const changeStatements = new WeakMap<SQLite.Database, SQLite.Statement>();

/** total_changes() of the connection, when no transaction holds it (else undefined: read the version). */
function sqliteChanges(ex: Executor): number | undefined {
  const known = sqliteHandles.get(ex.getExecutor().adapter);
  if (!known || known.inTransaction) return undefined;
  let statement = changeStatements.get(known);
  if (!statement) changeStatements.set(known, (statement = known.prepare("SELECT total_changes()").pluck()));
  return Number(statement.get());
}

function sqliteVersion(database: SQLite.Database): string {
  let statement = versionStatements.get(database);
  if (!statement) versionStatements.set(database, (statement = database.prepare("SELECT version FROM intel_state WHERE id = 1").pluck()));
  return String(statement.get() ?? "");
}

const PAGE = 100_000;

/** Reads every indicator; the version was read first, so the rows are at least as new as it says. */
async function buildIndex(ex: Executor, version: string): Promise<IntelIndex> {
  const index = new IntelIndex(version);
  if (!isPostgres(ex)) {
    await withSqliteHandle(ex, (database) => {
      const rows = database!.prepare("SELECT type, value, updated_at || ' ' || doc FROM indicators").raw();
      for (const row of rows.iterate() as IterableIterator<[string, string, string]>) index.add(row[0], row[1], row[2]);
    });
    return index.seal();
  }
  let after: [string, string] | null = null;
  for (;;) {
    const page: { type: string; value: string; entry: string }[] = (
      await sql<{ type: string; value: string; entry: string }>`
        SELECT type, value, updated_at || ' ' || doc AS entry FROM indicators
        ${after ? sql`WHERE (type, value) > (${after[0]}, ${after[1]})` : sql``}
        ORDER BY type, value LIMIT ${PAGE}`.execute(ex)
    ).rows;
    for (const row of page) index.add(row.type, row.value, row.entry);
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = [last.type, last.value];
  }
  return index.seal();
}

/** The in-memory index as `ex` sees the indicators (see IntelIndex for the staleness bound). */
export async function intelIndex(ex: Executor): Promise<IntelIndex> {
  const state = stateOf(ex);
  const postgres = isPostgres(ex);
  const now = Date.now();
  const fresh = state.index !== undefined && now - state.checkedAt < maxStaleMs;
  if (fresh && postgres) return state.index!;
  // SQLite outside a transaction: reading the version takes the WAL read lock (several µs); this
  // connection's change counter needs no lock and moves with every write of this process, so only
  // other processes' writes wait for the staleness bound. Inside a transaction the read is cheap: always.
  const changes = postgres || ex.isTransaction ? undefined : sqliteChanges(ex);
  if (fresh && changes !== undefined && changes === state.changes) return state.index!;
  const { version, own } = await readVersion(ex);
  if (state.index?.version === version) {
    state.checkedAt = now;
    state.changes = changes;
    return state.index;
  }
  if (own) return buildIndex(ex, version);
  if (state.building?.version !== version) {
    const promise = buildIndex(ex, version);
    state.building = { version, promise };
    promise.then(
      (index) => {
        if (state.building?.promise === promise) state.building = undefined;
        state.index = index;
        state.checkedAt = now;
        state.changes = changes;
      },
      () => {
        if (state.building?.promise === promise) state.building = undefined;
      },
    );
  }
  return state.building.promise;
}
