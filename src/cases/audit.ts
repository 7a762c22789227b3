import { sql } from "kysely";
import { z } from "zod";
import { createHmac } from "node:crypto";
import type { Selectable } from "kysely";
import { Actor, canonicalJson, sha256, type AuditEvent, type Clock } from "../core/index.js";
import { auditKeyOf, fromJson, toJson, type AuditKey, type AuditTable, type Executor } from "../store/index.js";
import { inTransaction, isPostgres, parseInput } from "./internal.js";

/** prev_hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** Names the chain's advisory lock on PostgreSQL; any constant no other lock uses. */
const AUDIT_CHAIN_LOCK = 4_714_203_301;

export const AuditInput = z.object({
  actor: Actor,
  action: z.string().min(1, "an audit event needs an action"),
  caseId: z.string().min(1).nullish(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type AuditInput = z.input<typeof AuditInput>;

/**
 * Serialises writers of the chain until the caller's transaction ends. Functions that append an
 * audit event take it FIRST, before touching any row, so that it is always the outermost lock and two
 * transactions can never wait on each other. SQLite serialises write transactions by itself.
 */
export async function lockAuditChain(ex: Executor): Promise<void> {
  if (!isPostgres(ex)) return;
  if (!ex.isTransaction) throw new Error("lockAuditChain needs a transaction: the lock lasts until it ends");
  await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_CHAIN_LOCK)})`.execute(ex);
}

/** The plain SHA-256 link of events written before the chain was keyed (migration 0010). */
export function auditHash(event: Omit<AuditEvent, "hash">): string {
  const { seq, at, actor, action, case_id, data } = event;
  return sha256(event.prev_hash + canonicalJson({ seq, at, actor, action, case_id, data }));
}

/** The keyed link: HMAC-SHA256 under the audit key of the same text the plain hash covers. */
export function auditMac(key: AuditKey, event: Omit<AuditEvent, "hash">): string {
  const { seq, at, actor, action, case_id, data } = event;
  return createHmac("sha256", key.secret)
    .update(event.prev_hash + canonicalJson({ seq, at, actor, action, case_id, data }))
    .digest("hex");
}

export const KEYED_ALG = "hmac-sha256";
export const PLAIN_ALG = "sha256";

/** The store's audit key; a store opened without one cannot write or verify a keyed chain. */
export function requireAuditKey(ex: Executor): AuditKey {
  const key = auditKeyOf(ex);
  if (!key) throw new Error("the store was opened without an audit key (openStore loads NIGHTSHIFT_AUDIT_KEY or $NIGHTSHIFT_HOME/audit.key)");
  return key;
}

/** Appends one event to the chain, inside the caller's transaction (or a new one when given the db). */
export async function appendAudit(ex: Executor, event: AuditInput, clock: Clock): Promise<AuditEvent> {
  const input = parseInput(AuditInput, event, "audit event");
  const key = requireAuditKey(ex);
  // Hash exactly what a reader will parse back from the stored text.
  const dataText = toJson(input.data ?? {});
  const data = JSON.parse(dataText) as Record<string, unknown>;
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const head = await trx
      .selectFrom("audit_events")
      .select(["seq", "hash"])
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    const unsigned = {
      seq: head ? Number(head.seq) + 1 : 1,
      at: clock.now().toISOString(),
      actor: { kind: input.actor.kind, name: input.actor.name },
      action: input.action,
      case_id: input.caseId ?? null,
      data,
      prev_hash: head?.hash ?? GENESIS_HASH,
    };
    const record: AuditEvent = { ...unsigned, hash: auditMac(key, unsigned) };
    await trx
      .insertInto("audit_events")
      .values({
        seq: record.seq,
        at: record.at,
        actor_kind: record.actor.kind,
        actor_name: record.actor.name,
        action: record.action,
        case_id: record.case_id,
        data: dataText,
        prev_hash: record.prev_hash,
        hash: record.hash,
        alg: KEYED_ALG,
        key_id: key.id,
      })
      .execute();
    return record;
  });
}

export const SEAL_ACTION = "audit.keyed";

/**
 * Pins the events written before the chain was keyed (plain SHA-256, migration 0010): when the head of the
 * chain is such an event, appends a keyed `audit.keyed` event linking to it (data: plain_events, plain_head).
 * Verification then refuses plain events that no seal follows: rewriting the whole chain as plain hashes,
 * or cutting it back to them, shows. Idempotent; runs when the application opens its store.
 */
export async function sealPlainChain(ex: Executor, clock: Clock): Promise<AuditEvent | null> {
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const head = await trx.selectFrom("audit_events").select(["seq", "hash", "alg"]).orderBy("seq", "desc").limit(1).executeTakeFirst();
    if (!head || head.alg !== PLAIN_ALG) return null;
    return appendAudit(
      trx,
      { actor: { kind: "system", name: "audit" }, action: SEAL_ACTION, data: { plain_events: Number(head.seq), plain_head: head.hash } },
      clock,
    );
  });
}

export function rowToAudit(row: Selectable<AuditTable>): AuditEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: { kind: row.actor_kind as Actor["kind"], name: row.actor_name },
    action: row.action,
    case_id: row.case_id,
    data: fromJson<Record<string, unknown>>(row.data, {}),
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

export const ListAuditOptions = z.object({
  caseId: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  afterSeq: z.number().int().min(0).default(0),
});

/** Audit events in chain order; page with afterSeq = the last seq seen. */
export async function listAudit(ex: Executor, options: z.input<typeof ListAuditOptions> = {}): Promise<AuditEvent[]> {
  const { caseId, limit, afterSeq } = parseInput(ListAuditOptions, options, "audit listing");
  let query = ex.selectFrom("audit_events").selectAll().where("seq", ">", afterSeq).orderBy("seq").limit(limit);
  if (caseId) query = query.where("case_id", "=", caseId);
  return (await query.execute()).map(rowToAudit);
}
