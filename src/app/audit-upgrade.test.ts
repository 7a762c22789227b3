import { Migrator, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { GENESIS_HASH, auditHash, verifyAuditChain } from "../cases/index.js";
import { migrationProvider } from "../store/migrations/index.js";
import { openApp } from "./app.js";

describe(`upgrading a plain audit chain to a keyed one (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const open = () =>
    openApp({ env: { NIGHTSHIFT_HOME: env.home, ...(env.config.database_url ? { NIGHTSHIFT_DATABASE_URL: env.config.database_url } : {}) } });

  it("seals the plain events when migration 0010 runs, and never again", async () => {
    const db = env.store.db;
    const down = await new Migrator({ db, provider: migrationProvider }).migrateTo("0009-grouping");
    expect(down.error).toBeUndefined();
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const event = { seq, at: `2026-11-24T10:00:0${seq}.000Z`, actor: { kind: "system" as const, name: "old" }, action: "old.event", case_id: null, data: { seq }, prev_hash: prev };
      const hash = auditHash(event);
      await sql`insert into audit_events (seq, at, actor_kind, actor_name, action, case_id, data, prev_hash, hash) values (${seq}, ${event.at}, 'system', 'old', 'old.event', null, ${JSON.stringify(event.data)}, ${prev}, ${hash})`.execute(db);
      prev = hash;
    }
    const app = await open();
    try {
      expect(await verifyAuditChain(app.store.db)).toMatchObject({ ok: true, checked: 4, keyed: { plain_events: 3, keyed_events: 1 } });
      // Cut back to the plain events: reopening does not seal them again, and verification says so.
      await sql`delete from audit_events where seq = 4`.execute(app.store.db);
    } finally {
      await app.close();
    }
    const again = await open();
    try {
      const result = await verifyAuditChain(again.store.db);
      expect(result.ok).toBe(false);
      expect(result.firstBroken!.reason).toMatch(/no keyed seal/);
    } finally {
      await again.close();
    }
  });
});
