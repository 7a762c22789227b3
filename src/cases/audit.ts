import { sql } from "kysely";
import { z } from "zod";
import { Actor, canonicalJson, sha256, type AuditEvent, type Clock } from "../core/index.js";
import { fromJson, toJson, type AuditTable, type Executor } from "../store/index.js";
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

export function auditHash(event: Omit<AuditEvent, "hash">): string {
  const { seq, at, actor, action, case_id, data } = event;
  return sha256(event.prev_hash + canonicalJson({ seq, at, actor, action, case_id, data }));
}

/** Appends one event to the chain, inside the caller's transaction (or a new one when given the db). */
export async function appendAudit(ex: Executor, event: AuditInput, clock: Clock): Promise<AuditEvent> {
  const input = parseInput(AuditInput, event, "audit event");
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
    const record: AuditEvent = { ...unsigned, hash: auditHash(unsigned) };
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
      })
      .execute();
    return record;
  });
}

function rowToAudit(row: AuditTable): AuditEvent {
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

export interface AuditVerification {
  ok: boolean;
  /** Events examined (up to and including the first broken one). */
  checked: number;
  firstBroken?: { seq: number; reason: string };
  /** The last verified event: keep it elsewhere to detect truncation of the tail, which no chain can show. */
  head?: { seq: number; hash: string };
}

/** Recomputes the whole chain page by page, in seq order, and reports the first broken link. */
export async function verifyAuditChain(db: Executor, options: { pageSize?: number } = {}): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 500;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let head: AuditVerification["head"];
  const broken = (seq: number, reason: string): AuditVerification => ({ ok: false, checked, firstBroken: { seq, reason } });
  while (true) {
    const rows = await db
      .selectFrom("audit_events")
      .selectAll()
      .where("seq", ">", expectedSeq - 1)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      checked++;
      const seq = Number(row.seq);
      if (seq !== expectedSeq) return broken(expectedSeq, `event ${expectedSeq} is missing (the next one is ${seq})`);
      if (row.prev_hash !== prevHash) return broken(seq, `prev_hash does not match the hash of event ${seq - 1}`);
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(row.data) as Record<string, unknown>;
      } catch {
        return broken(seq, "data is not valid JSON");
      }
      const event = rowToAudit({ ...row, data: "{}" });
      if (auditHash({ ...event, data }) !== row.hash) return broken(seq, "hash does not match the event's content");
      prevHash = row.hash;
      head = { seq, hash: row.hash };
      expectedSeq++;
    }
    if (rows.length < pageSize) break;
  }
  return head ? { ok: true, checked, head } : { ok: true, checked };
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
