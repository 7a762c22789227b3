import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { createHmac } from "node:crypto";
import { ValidationError, canonicalJson, fixedClock } from "../core/index.js";
import { GENESIS_HASH, appendAudit, auditMac, listAudit, verifyAuditChain } from "./index.js";

const actor = { kind: "agent", name: "TORA" } as const;

describe(`audit chain (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function appendMany(n: number) {
    for (let i = 1; i <= n; i++)
      await appendAudit(env.store.db, { actor, action: "test.event", caseId: i % 2 ? "TORA-20261124-0001" : null, data: { i } }, clock);
  }

  it("links each event to the previous one from the genesis hash", async () => {
    const first = await appendAudit(env.store.db, { actor, action: "a", data: { x: 1, nested: { b: 2, a: 1 } } }, clock);
    const second = await appendAudit(env.store.db, { actor: { kind: "human", name: "ana" }, action: "b", caseId: "TORA-20261124-0001" }, clock);
    expect(first.seq).toBe(1);
    expect(first.prev_hash).toBe(GENESIS_HASH);
    expect(first.hash).toBe(
      createHmac("sha256", env.store.auditKey.secret)
        .update(GENESIS_HASH + canonicalJson({ seq: 1, at: first.at, actor, action: "a", case_id: null, data: { x: 1, nested: { b: 2, a: 1 } } }))
        .digest("hex"),
    );
    expect(second.seq).toBe(2);
    expect(second.prev_hash).toBe(first.hash);
    expect(second.data).toEqual({});
    expect(await listAudit(env.store.db)).toEqual([first, second]);
  });

  it("verifies an intact chain across pages", async () => {
    await appendMany(7);
    const result = await verifyAuditChain(env.store.db, { pageSize: 3 });
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(7);
    expect(result.firstBroken).toBeUndefined();
    expect(result.head?.seq).toBe(7);
    expect(await verifyAuditChain(env.store.db)).toMatchObject({ ok: true, checked: 7 });
  });

  it("an empty chain verifies", async () => {
    expect(await verifyAuditChain(env.store.db)).toMatchObject({ ok: true, checked: 0, keyed: { plain_events: 0, keyed_events: 0 } });
  });

  it("reports a row whose data was changed behind its back as the first broken link", async () => {
    await appendMany(7);
    await sql`update audit_events set data = ${JSON.stringify({ i: 99 })} where seq = 5`.execute(env.store.db);
    const result = await verifyAuditChain(env.store.db, { pageSize: 2 });
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.seq).toBe(5);
    expect(result.firstBroken?.reason).toMatch(/MAC/);
    expect(result.checked).toBe(5);
  });

  it("reports a changed actor too, and the earliest of two tampered rows", async () => {
    await appendMany(6);
    await sql`update audit_events set actor_name = 'someone-else' where seq = 4`.execute(env.store.db);
    await sql`update audit_events set action = 'other' where seq = 2`.execute(env.store.db);
    expect((await verifyAuditChain(env.store.db)).firstBroken?.seq).toBe(2);
  });

  it("reports a rewritten hash at its own row", async () => {
    await appendMany(5);
    await sql`update audit_events set hash = ${"f".repeat(64)} where seq = 3`.execute(env.store.db);
    expect((await verifyAuditChain(env.store.db)).firstBroken?.seq).toBe(3);
  });

  it("reports a row re-signed after tampering at the next link", async () => {
    await appendMany(5);
    const [third] = await listAudit(env.store.db, { afterSeq: 2, limit: 1 });
    const forged = { ...third!, data: { i: 1000 } };
    await sql`update audit_events set data = ${JSON.stringify(forged.data)}, hash = ${auditMac(env.store.auditKey, forged)} where seq = 3`.execute(env.store.db);
    const result = await verifyAuditChain(env.store.db);
    expect(result.firstBroken?.seq).toBe(4);
    expect(result.firstBroken?.reason).toMatch(/prev_hash/);
  });

  it("reports a deleted row by its seq", async () => {
    await appendMany(6);
    await sql`delete from audit_events where seq = 4`.execute(env.store.db);
    const result = await verifyAuditChain(env.store.db, { pageSize: 2 });
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.seq).toBe(4);
    expect(result.firstBroken?.reason).toMatch(/missing/);
  });

  it("reports a deleted first row", async () => {
    await appendMany(3);
    await sql`delete from audit_events where seq = 1`.execute(env.store.db);
    expect((await verifyAuditChain(env.store.db)).firstBroken?.seq).toBe(1);
  });

  it("rejects a bad event field by field and writes nothing", async () => {
    await expect(appendAudit(env.store.db, { actor: { kind: "robot" as "agent", name: "" }, action: "" }, clock)).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof ValidationError &&
        ["actor.kind", "actor.name", "action"].every((path) => error.issues.some((issue) => issue.path === path)),
    );
    expect(await listAudit(env.store.db)).toEqual([]);
  });

  it("rolls back with the caller's transaction", async () => {
    await appendMany(1);
    await expect(
      env.store.db.transaction().execute(async (trx) => {
        await appendAudit(trx, { actor, action: "doomed" }, clock);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const next = await appendAudit(env.store.db, { actor, action: "after" }, clock);
    expect(next.seq).toBe(2);
    expect((await verifyAuditChain(env.store.db)).ok).toBe(true);
  });

  it("keeps one chain under concurrent appends in separate transactions", async () => {
    const n = 40;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2
          ? env.store.db.transaction().execute(async (trx) => {
              await trx.selectFrom("audit_events").select("seq").execute();
              await appendAudit(trx, { actor, action: "concurrent", data: { i } }, clock);
              await appendAudit(trx, { actor, action: "concurrent.second", data: { i } }, clock);
            })
          : appendAudit(env.store.db, { actor, action: "concurrent", data: { i } }, clock),
      ),
    );
    const events = await listAudit(env.store.db, { limit: 1000 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: n + n / 2 }, (_, i) => i + 1));
    for (let i = 1; i < events.length; i++) expect(events[i]!.prev_hash).toBe(events[i - 1]!.hash);
    expect(await verifyAuditChain(env.store.db)).toMatchObject({ ok: true, checked: n + n / 2 });
  });

  it("lists by case, after a seq, up to a limit", async () => {
    await appendMany(6);
    const forCase = await listAudit(env.store.db, { caseId: "TORA-20261124-0001" });
    expect(forCase.map((e) => e.seq)).toEqual([1, 3, 5]);
    expect((await listAudit(env.store.db, { afterSeq: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
    await expect(listAudit(env.store.db, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });
});
