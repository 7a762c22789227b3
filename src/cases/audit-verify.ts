import type { Selectable } from "kysely";
import type { AuditTable, Executor } from "../store/index.js";
import { GENESIS_HASH, KEYED_ALG, PLAIN_ALG, SEAL_ACTION, auditHash, auditMac, requireAuditKey, rowToAudit } from "./audit.js";
import { checkpointSigned, storedCheckpoints, type AuditCheckpoint } from "./audit-checkpoint.js";
import { CaseReplay, type CaseMismatch } from "./audit-replay.js";

export interface AuditVerification {
  ok: boolean;
  /** Events examined (up to and including the first broken one). */
  checked: number;
  firstBroken?: { seq: number; reason: string };
  /** The last verified event: export a checkpoint (`nightshift audit checkpoint`) to detect truncation of the tail. */
  head?: { seq: number; hash: string };
  /** The key that verified the chain, and how many events predate keying (plain SHA-256, before migration 0010). */
  keyed: { key_id: string; plain_events: number; keyed_events: number };
  /** Signed checkpoints checked against the chain: those in the database and the one given (`--checkpoint`). */
  checkpoints: { checked: number; failed: { seq: number; reason: string }[] };
  /** Case state replayed from the chain and compared with the `cases` table. */
  cases?: { checked: number; mismatches: CaseMismatch[]; total_mismatches: number };
}

export interface VerifyOptions {
  pageSize?: number;
  /** A checkpoint kept elsewhere (exported earlier): the chain must still hold its head. */
  checkpoint?: AuditCheckpoint;
  /** Replay case state from the chain and compare it with the table (default true). */
  cases?: boolean;
}

/** Verifies one event's link; a reason when it is broken. */
function linkProblem(row: Selectable<AuditTable>, prevHash: string, keyedSeen: boolean, key: ReturnType<typeof requireAuditKey>): string | null {
  const seq = Number(row.seq);
  if (row.prev_hash !== prevHash) return `prev_hash does not match the hash of event ${seq - 1}`;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(row.data) as Record<string, unknown>;
  } catch {
    return "data is not valid JSON";
  }
  const event = { ...rowToAudit({ ...row, data: "{}" }), data };
  if (row.alg === KEYED_ALG) {
    if (row.key_id !== key.id) return `signed with another key (${row.key_id ?? "none"}; this key is ${key.id})`;
    if (auditMac(key, event) !== row.hash) return "MAC does not match the event's content (edited, or re-signed without the key)";
    // The first keyed event after plain ones must be the seal that counts them.
    if (!keyedSeen && seq > 1 && (row.action !== SEAL_ACTION || data.plain_events !== seq - 1 || data.plain_head !== prevHash))
      return "the plain SHA-256 events before it are not sealed by a keyed audit.keyed event";
    return null;
  }
  if (row.alg === PLAIN_ALG) {
    if (keyedSeen) return "an unkeyed (plain SHA-256) event after keyed ones: the chain was rewritten";
    return auditHash(event) === row.hash ? null : "hash does not match the event's content";
  }
  return `unknown algorithm ${JSON.stringify(row.alg)}`;
}

/**
 * Recomputes the whole chain page by page, in seq order, and reports the first broken link; then checks
 * the signed checkpoints (a chain shorter than a checkpoint was truncated) and replays case state.
 */
export async function verifyAuditChain(db: Executor, options: VerifyOptions = {}): Promise<AuditVerification> {
  const key = requireAuditKey(db);
  const pageSize = options.pageSize ?? 500;
  const replay = options.cases === false ? null : new CaseReplay();
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let head: AuditVerification["head"];
  const keyed = { key_id: key.id, plain_events: 0, keyed_events: 0 };
  const checkpoints: AuditVerification["checkpoints"] = { checked: 0, failed: [] };
  const hashes = new Map<number, string>();
  const wanted = [...(await storedCheckpoints(db)), ...(options.checkpoint ? [options.checkpoint] : [])];
  for (const c of wanted) hashes.set(c.seq, "");
  const report = (extra: Partial<AuditVerification>): AuditVerification => ({
    ok: false,
    checked,
    ...(head ? { head } : {}),
    keyed,
    checkpoints,
    ...extra,
  });
  while (true) {
    const rows = await db.selectFrom("audit_events").selectAll().where("seq", ">", expectedSeq - 1).orderBy("seq").limit(pageSize).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      checked++;
      const seq = Number(row.seq);
      if (seq !== expectedSeq) return report({ firstBroken: { seq: expectedSeq, reason: `event ${expectedSeq} is missing (the next one is ${seq})` } });
      const problem = linkProblem(row, prevHash, keyed.keyed_events > 0, key);
      if (problem) return report({ firstBroken: { seq, reason: problem } });
      if (row.alg === KEYED_ALG) keyed.keyed_events++;
      else keyed.plain_events++;
      if (hashes.has(seq)) hashes.set(seq, row.hash);
      replay?.apply(rowToAudit(row));
      prevHash = row.hash;
      head = { seq, hash: row.hash };
      expectedSeq++;
    }
    if (rows.length < pageSize) break;
  }
  if (head && keyed.keyed_events === 0)
    return report({
      firstBroken: {
        seq: head.seq + 1,
        reason: "the chain holds only plain SHA-256 events and no keyed seal: it was rewritten, or cut back to the events written before the upgrade (migration 0010 seals them when it runs)",
      },
    });
  for (const c of wanted) {
    checkpoints.checked++;
    let reason: string | null = null;
    if (!checkpointSigned(key, c)) reason = c.key_id === key.id ? "the checkpoint's MAC does not match (altered)" : `the checkpoint was signed with another key (${c.key_id})`;
    else if (!head || head.seq < c.seq) reason = `the chain ends at event ${head?.seq ?? 0} but a checkpoint recorded event ${c.seq}: its tail was truncated`;
    else if (hashes.get(c.seq) !== c.hash) reason = `event ${c.seq} is not the one the checkpoint signed: the chain was rewritten`;
    if (reason) checkpoints.failed.push({ seq: c.seq, reason });
  }
  const firstFailed = checkpoints.failed[0];
  const cases = replay ? await replay.compare(db) : null;
  const casesReport = cases ? { cases: { checked: cases.checked, mismatches: cases.mismatches, total_mismatches: cases.total } } : {};
  const ok = !firstFailed && (!cases || cases.total === 0);
  return {
    ok,
    checked,
    ...(firstFailed ? { firstBroken: { seq: Math.min(firstFailed.seq, (head?.seq ?? 0) + 1), reason: firstFailed.reason } } : {}),
    ...(head ? { head } : {}),
    keyed,
    checkpoints,
    ...casesReport,
  };
}
