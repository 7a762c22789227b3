import { canonicalJson, sha256, type Alert } from "../core/index.js";

/**
 * The idempotency key of an alert: the sender's own id when it gives one, otherwise a hash of the content.
 * The hash leaves out what differs between two deliveries of the same alert: our id, the reception time,
 * where it came from, and the alert time when the sender gave none (it would be the reception time).
 */
export function dedupeKey(alert: Alert, options: { timeDefaulted?: boolean } = {}): string {
  // JSON framing rather than a separator byte: PostgreSQL text cannot hold NUL, and no source name can forge a split.
  if (alert.source_id !== null) return `id:${JSON.stringify([alert.source, alert.source_id])}`;
  const { id: _id, received_at: _receivedAt, origin: _origin, time, ...content } = alert;
  const hashed = options.timeDefaulted ? content : { ...content, time };
  return `sha256:${sha256(canonicalJson(hashed))}`;
}
