import { createHmac } from "node:crypto";
import { z } from "zod";
import { ConflictError, canonicalJson, sameBytes, type Clock } from "../core/index.js";
import type { AuditKey, Executor } from "../store/index.js";
import { lockAuditChain, requireAuditKey } from "./audit.js";
import { inTransaction } from "./internal.js";

export const CHECKPOINT_FORMAT = "nightshift.audit-checkpoint.v1";

/** A signed head of the audit chain: keep a copy outside the database to detect a truncated tail. */
export const AuditCheckpoint = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    seq: z.number().int().min(0),
    hash: z.string().regex(/^[0-9a-f]{64}$/, "expected 64 hex characters"),
    at: z.string().min(1),
    key_id: z.string().min(1),
    mac: z.string().regex(/^[0-9a-f]{64}$/, "expected 64 hex characters"),
  })
  .strict();
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;

function checkpointMac(key: AuditKey, c: Omit<AuditCheckpoint, "mac" | "format">): string {
  const text = canonicalJson({ format: CHECKPOINT_FORMAT, seq: c.seq, hash: c.hash, at: c.at, key_id: c.key_id });
  return createHmac("sha256", key.secret).update(text).digest("hex");
}

/** Whether a checkpoint was signed by this key and not altered since. */
export function checkpointSigned(key: AuditKey, c: AuditCheckpoint): boolean {
  if (c.key_id !== key.id) return false;
  const expected = Buffer.from(checkpointMac(key, c), "hex");
  const given = Buffer.from(c.mac, "hex");
  return sameBytes(given, expected);
}

/**
 * Signs the current head of the chain and records it in `audit_checkpoints`. The caller verifies the
 * chain first (a broken chain is not signed: see `nightshift audit checkpoint`).
 */
export async function recordCheckpoint(ex: Executor, clock: Clock): Promise<AuditCheckpoint> {
  const key = requireAuditKey(ex);
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const head = await trx.selectFrom("audit_events").select(["seq", "hash"]).orderBy("seq", "desc").limit(1).executeTakeFirst();
    if (!head) throw new ConflictError("the audit chain is empty: nothing to checkpoint");
    const unsigned = { seq: Number(head.seq), hash: head.hash, at: clock.now().toISOString(), key_id: key.id };
    const checkpoint: AuditCheckpoint = { format: CHECKPOINT_FORMAT, ...unsigned, mac: checkpointMac(key, unsigned) };
    await trx
      .insertInto("audit_checkpoints")
      .values({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, key_id: checkpoint.key_id, mac: checkpoint.mac })
      .onConflict((oc) => oc.column("seq").doUpdateSet({ at: checkpoint.at, hash: checkpoint.hash, key_id: checkpoint.key_id, mac: checkpoint.mac }))
      .execute();
    return checkpoint;
  });
}

/** The checkpoints recorded in the database, oldest first. */
export async function storedCheckpoints(ex: Executor): Promise<AuditCheckpoint[]> {
  const rows = await ex.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
  return rows.map((r) => ({ format: CHECKPOINT_FORMAT, seq: Number(r.seq), hash: r.hash, at: r.at, key_id: r.key_id, mac: r.mac }));
}
