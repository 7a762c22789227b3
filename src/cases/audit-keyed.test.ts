import { chmodSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { loadAuditKey } from "../store/index.js";
import { GENESIS_HASH, appendAudit, auditHash, listAudit, recordCheckpoint, sealPlainChain, transitionCase, updateCaseTriage, verifyAuditChain } from "./index.js";
import { attachAlert } from "./grouping.js";
import { storedAlert } from "./test-alerts.js";

const actor = { kind: "agent", name: "TORA" } as const;

describe(`keyed audit chain, checkpoints and case replay (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });
  const db = () => env.store.db;

  async function appendMany(n: number) {
    for (let i = 1; i <= n; i++) await appendAudit(db(), { actor, action: "test.event", data: { i } }, clock);
  }

  /** What someone with write access to the database but not the key can do: recompute every hash in plain SHA-256. */
  async function rewriteAsPlain(edit: (seq: number, data: Record<string, unknown>) => Record<string, unknown> = (_, d) => d, upTo = Infinity) {
    let prev = GENESIS_HASH;
    for (const event of await listAudit(db(), { limit: 1000 })) {
      if (event.seq > upTo) break;
      const data = edit(event.seq, event.data);
      const hash = auditHash({ ...event, data, prev_hash: prev });
      await sql`update audit_events set data = ${JSON.stringify(data)}, prev_hash = ${prev}, hash = ${hash}, alg = 'sha256', key_id = null where seq = ${event.seq}`.execute(db());
      prev = hash;
    }
  }

  it("creates $NIGHTSHIFT_HOME/audit.key readable by its owner only, and reuses it", () => {
    const file = path.join(env.home, "audit.key");
    if (process.platform !== "win32") expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(loadAuditKey(env.home).id).toBe(env.store.auditKey.id);
    expect(loadAuditKey(env.home, "x".repeat(40)).id).not.toBe(env.store.auditKey.id);
    expect(() => loadAuditKey(env.home, "too short")).toThrow(/at least 32/);
    if (process.platform !== "win32") {
      chmodSync(file, 0o644);
      expect(() => loadAuditKey(env.home)).toThrow(/chmod 600/);
      chmodSync(file, 0o600);
    }
  });

  it("detects a chain rewritten with plain SHA-256 by someone without the key", async () => {
    await appendMany(5);
    await rewriteAsPlain((seq, data) => (seq === 3 ? { i: 1000 } : data));
    const result = await verifyAuditChain(db());
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.reason).toMatch(/no keyed seal/);
  });

  it("detects a truncated tail against an exported checkpoint, and a checkpoint that was altered", async () => {
    await appendMany(6);
    const checkpoint = await recordCheckpoint(db(), clock);
    expect(checkpoint).toMatchObject({ format: "nightshift.audit-checkpoint.v1", seq: 6, key_id: env.store.auditKey.id });
    expect(await verifyAuditChain(db(), { checkpoint })).toMatchObject({ ok: true, checkpoints: { checked: 2, failed: [] } });
    // Whoever truncates the tail also deletes the database's checkpoints; the exported copy remains.
    await sql`delete from audit_events where seq > 4`.execute(db());
    await sql`delete from audit_checkpoints`.execute(db());
    expect((await verifyAuditChain(db())).ok).toBe(true);
    const truncated = await verifyAuditChain(db(), { checkpoint });
    expect(truncated).toMatchObject({ ok: false, checked: 4, firstBroken: { seq: 5 } });
    expect(truncated.firstBroken!.reason).toMatch(/truncated/);
    const altered = await verifyAuditChain(db(), { checkpoint: { ...checkpoint, seq: 4 } });
    expect(altered.checkpoints.failed[0]!.reason).toMatch(/altered/);
  });

  it("replays case state from the chain and reports an edited cases row", async () => {
    const alert = await storedAlert(db(), { severity: "low" });
    const { caseId } = await attachAlert(db(), alert, { windowMinutes: 60 }, clock);
    await updateCaseTriage(db(), caseId, { priority: "P2", confidence: 70 }, actor, clock);
    await transitionCase(db(), caseId, { to: "closed", actor: { kind: "human", name: "ana" }, verdict: "false_positive", rationale: "scanner" }, clock);
    expect(await verifyAuditChain(db())).toMatchObject({ ok: true, cases: { checked: 1, mismatches: [] } });

    await sql`update cases set status = 'in_progress', priority = 'P4', verdict = null where id = ${caseId}`.execute(db());
    const result = await verifyAuditChain(db());
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toBeUndefined();
    expect(result.cases!.mismatches).toEqual(
      expect.arrayContaining([
        { case_id: caseId, field: "status", chain: "closed", table: "in_progress" },
        { case_id: caseId, field: "priority", chain: "P2", table: "P4" },
        { case_id: caseId, field: "verdict", chain: "false_positive", table: null },
      ]),
    );
    await sql`delete from cases where id = ${caseId}`.execute(db());
    expect((await verifyAuditChain(db())).cases!.mismatches).toEqual([{ case_id: caseId, field: "row", chain: "exists", table: null }]);
  });

  it("migrates a chain written before keying: a keyed seal pins the plain events", async () => {
    await appendMany(4);
    await rewriteAsPlain(); // the state migration 0010 leaves: plain SHA-256 events
    expect((await verifyAuditChain(db())).ok).toBe(false);
    const seal = await sealPlainChain(db(), clock);
    expect(seal).toMatchObject({ seq: 5, action: "audit.keyed", data: { plain_events: 4 } });
    expect(await sealPlainChain(db(), clock)).toBeNull();
    await appendMany(2);
    expect(await verifyAuditChain(db())).toMatchObject({ ok: true, checked: 7, keyed: { plain_events: 4, keyed_events: 3 } });
    // Rewriting a plain event (recomputing the plain hashes up to the seal) breaks the seal's link.
    await rewriteAsPlain((seq, data) => (seq === 2 ? { i: 99 } : data), 4);
    expect((await verifyAuditChain(db())).firstBroken).toMatchObject({ seq: 5, reason: expect.stringMatching(/prev_hash/) });
  });
});
