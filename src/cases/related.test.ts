import { CompiledQuery, type Compilable } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import type { Db } from "../store/index.js";
import { attachAlert, relatedAlertRows, sameRuleCaseIds } from "./index.js";
import { storedAlert, type AlertFixture } from "./test-alerts.js";

// What is like a case is found through an index, so its cost follows the matches and not the size of the
// history (issue 13 item 24): the plan of each query names its index (migration 0013).

/** The query plan as text: EXPLAIN QUERY PLAN on SQLite; EXPLAIN on PostgreSQL, told not to scan (tables here are tiny). */
async function plan(db: Db, query: Compilable): Promise<string> {
  const { sql, parameters } = query.compile();
  if (testStoreKind() === "sqlite") {
    const rows = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${sql}`, [...parameters]));
    return rows.rows.map((r) => r.detail).join("\n");
  }
  return await db.transaction().execute(async (trx) => {
    await trx.executeQuery(CompiledQuery.raw("SET LOCAL enable_seqscan = off"));
    const rows = await trx.executeQuery<{ "QUERY PLAN": string }>(CompiledQuery.raw(`EXPLAIN ${sql}`, [...parameters]));
    return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
  });
}

describe(`related alerts and same-rule cases (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function caseOf(f: AlertFixture): Promise<string> {
    const alert = await storedAlert(env.store.db, f);
    return (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
  }

  it("finds other cases' alerts naming an entity, whatever its case, through observables (lower(value))", async () => {
    const mine = await caseOf({ host: "WS-01", dst_domain: "Evil.test", rule: { id: "r1", title: "one" } });
    const other = await caseOf({ host: "ws-02", dst_domain: "evil.TEST", rule: { id: "r2", title: "two" }, time: "2026-11-24T09:30:00.000Z" });
    await caseOf({ host: "ws-03", dst_domain: "good.test", rule: { id: "r3", title: "three" } });
    const query = relatedAlertRows(env.store.db, mine, ["evil.test"]);
    const rows = await query.execute();
    expect(rows.map((r) => [r.case_id, r.type, r.value.toLowerCase()])).toEqual([[other, "domain", "evil.test"]]);
    expect(await plan(env.store.db, query)).toMatch(/observables_value_lower/);
  });

  it("finds the cases of a rule around a time through cases (rule_id, created_at)", async () => {
    const first = await caseOf({ host: "ws-01", rule: { id: "r1", title: "one" } });
    const second = await caseOf({ host: "ws-02", rule: { id: "r1", title: "one" } });
    await caseOf({ host: "ws-03", rule: { id: "r2", title: "two" } });
    const query = sameRuleCaseIds(env.store.db, "r1", first, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    expect((await query.execute()).map((r) => r.id)).toEqual([second]);
    expect(await plan(env.store.db, query)).toMatch(/cases_rule_created/);
  });
});
