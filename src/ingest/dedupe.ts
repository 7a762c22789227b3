import { canonicalJson, sha256, type Alert } from "../core/index.js";

/**
 * The idempotency key of an alert: the sender's own id when it gives one, otherwise a hash of everything
 * the source sent (the input record exactly as received, before normalisation), under its source name.
 * Two records are duplicates only when they are identical: normalising first would collapse alerts that
 * differ only where normalisation loses detail (sub-millisecond times, spacing, repeated list entries).
 * Our id, the reception time and where the record came from (file, record number) are not part of it:
 * they differ between two deliveries of the same alert.
 */
export function dedupeKey(alert: Alert, input: unknown): string {
  // JSON framing rather than a separator byte: PostgreSQL text cannot hold NUL, and no source name can forge a split.
  if (alert.source_id !== null) return `id:${JSON.stringify([alert.source, alert.source_id])}`;
  return `content:${sha256(canonicalJson([alert.source, input]))}`;
}
