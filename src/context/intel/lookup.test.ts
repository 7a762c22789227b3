import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { openStore, type Executor, type Store } from "../../store/index.js";
import { collectObservables, importIntel, loadContext, matchIntel } from "../index.js";
import { buildAlert } from "../testing.js";
import { setIntelStaleness } from "./lookup.js";
import { validateIntel, writeIntel } from "./store.js";

const T = "2026-03-11T12:00:00.000Z";
const list = (...values: string[]) => ({
  candidates: values.map((value, i) => ({ record: { type: (/^[\d:]|:/.test(value) ? "ip" : "domain") as "ip" | "domain", value }, path: `line ${i + 1}` })),
  issues: [],
  skipped: [],
});
const matched = async (ex: Executor, alert: Parameters<typeof buildAlert>[0]) =>
  (await matchIntel(ex, collectObservables(buildAlert({ time: T, ...alert })), T)).threat_intel.matches.map((m) => `${m.indicator} ${m.match} ${m.matched_value}`).sort();

describe("in-memory intel index", () => {
  let env: TestEnvironment;
  let other: Store | undefined;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    setIntelStaleness(250);
    await other?.close();
    other = undefined;
    await env.cleanup();
  });

  it("matches every stored network of every prefix length around an address, and parent domains", async () => {
    await importIntel(env.store.db, list("198.51.0.0/16", "198.51.100.0/24", "198.51.100.7", "198.51.101.0/24", "2001:db8::/32", "2001:db8:0:1::/64", "evil.example"), {
      feed: "f",
      format: "list",
    });
    expect(await matched(env.store.db, { dst: { ip: "198.51.100.7" } })).toEqual([
      "198.51.0.0/16 cidr 198.51.100.7",
      "198.51.100.0/24 cidr 198.51.100.7",
      "198.51.100.7 exact 198.51.100.7",
    ]);
    expect(await matched(env.store.db, { dst: { ip: "2001:DB8:0:1::9" } })).toEqual(["2001:db8:0:1::/64 cidr 2001:db8:0:1::9", "2001:db8::/32 cidr 2001:db8:0:1::9"]);
    expect(await matched(env.store.db, { dst: { ip: "2001:db9::1" } })).toEqual([]);
    expect(await matched(env.store.db, { dst: { domain: "a.b.Evil.example" } })).toEqual(["evil.example parent_domain a.b.evil.example"]);
    expect(await matched(env.store.db, { dst: { domain: "notevil.example" } })).toEqual([]);
  });

  it("keeps the index within the staleness bound, and sees another connection's write once it is re-read", async () => {
    setIntelStaleness(60_000);
    other = await openStore(env.config);
    // Twice: the first match builds the index, the second records what it checked against.
    expect(await matched(env.store.db, { dst: { domain: "later.example" } })).toEqual([]);
    expect(await matched(env.store.db, { dst: { domain: "later.example" } })).toEqual([]);
    await importIntel(other.db, list("later.example"), { feed: "g", format: "list" });
    // Another process's write: the bound has not passed, so the index in memory still answers.
    expect(await matched(env.store.db, { dst: { domain: "later.example" } })).toEqual([]);
    setIntelStaleness(0);
    expect(await matched(env.store.db, { dst: { domain: "later.example" } })).toEqual(["later.example exact later.example"]);
  });

  it("sees a write committed through another connection, and a delete", async () => {
    setIntelStaleness(0);
    other = await openStore(env.config);
    expect(await matched(env.store.db, { dst: { domain: "late.example" } })).toEqual([]);
    await importIntel(other.db, list("late.example"), { feed: "g", format: "list" });
    expect(await matched(env.store.db, { dst: { domain: "late.example" } })).toEqual(["late.example exact late.example"]);
    await sql`DELETE FROM indicators WHERE value = ${"late.example"}`.execute(other.db);
    expect(await matched(env.store.db, { dst: { domain: "late.example" } })).toEqual([]);
  });

  it("sees indicators the context loader writes, which go through no intel code", async () => {
    // SQLite notices a write of this process at once (its change counter); PostgreSQL within the bound.
    if (testStoreKind() === "postgres") setIntelStaleness(0);
    else setIntelStaleness(60_000);
    expect(await matched(env.store.db, { dst: { ip: "203.0.113.9" } })).toEqual([]);
    await loadContext(env.store.db, { indicators: [{ type: "ip", value: "203.0.113.9", source_count: 1, source_total: 1 }] });
    expect(await matched(env.store.db, { dst: { ip: "203.0.113.9" } })).toEqual(["203.0.113.9 exact 203.0.113.9"]);
  });

  it("shows a transaction its own uncommitted intel, and no one anything of it after a rollback", async () => {
    expect(await matched(env.store.db, { dst: { domain: "ghost.example" } })).toEqual([]);
    const rolledBack = env.store.db.transaction().execute(async (trx) => {
      await writeIntel(trx, validateIntel(list("ghost.example"), "h"), T);
      expect(await matched(trx, { dst: { domain: "ghost.example" } })).toEqual(["ghost.example exact ghost.example"]);
      throw new Error("roll back");
    });
    await expect(rolledBack).rejects.toThrow("roll back");
    expect(await matched(env.store.db, { dst: { domain: "ghost.example" } })).toEqual([]);
    await env.store.db.transaction().execute((trx) => matched(trx, { dst: { domain: "ghost.example" } }).then((m) => expect(m).toEqual([])));
  });
});
