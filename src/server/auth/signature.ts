import { createHmac } from "node:crypto";
import { sameBytes, type Clock } from "../../core/index.js";

export const SIGNATURE_HEADER = "x-nightshift-signature";
export const TIMESTAMP_HEADER = "x-nightshift-timestamp";
/** A signed request older or newer than this is refused, so a captured request cannot be replayed later. */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60_000;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Bytes, not decoded text: a body that is not valid UTF-8 must not verify after a lossy decode. */
export type RawBody = string | Uint8Array;

/** What the sender signs: the raw body, or `${timestamp}.${body}` when it sends a timestamp. */
function signedPayload(body: RawBody, timestamp: string | undefined): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return timestamp === undefined ? bytes : Buffer.concat([Buffer.from(`${timestamp}.`, "utf8"), bytes]);
}

/** The header value a sender puts in X-Nightshift-Signature. */
export function signBody(secret: string, body: RawBody, timestamp?: string): string {
  return `sha256=${createHmac("sha256", secret).update(signedPayload(body, timestamp)).digest("hex")}`;
}

/** Epoch seconds (or milliseconds, when the number is that large) as a time in ms. */
function parseTimestamp(value: string): number | null {
  if (!/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return n < 1e11 ? n * 1000 : n;
}

export function verifySignature(
  secret: string,
  body: RawBody,
  headers: { signature: string | undefined; timestamp: string | undefined },
  clock: Clock,
): SignatureCheck {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(headers.signature?.trim() ?? "");
  if (!match) return { ok: false, reason: "signature must be sha256=<64 hex digits>" };
  const timestamp = headers.timestamp?.trim();
  if (timestamp !== undefined) {
    const at = parseTimestamp(timestamp);
    if (at === null) return { ok: false, reason: "timestamp must be epoch seconds" };
    if (Math.abs(clock.now().getTime() - at) > MAX_SIGNATURE_SKEW_MS)
      return { ok: false, reason: "timestamp is more than 5 minutes away from the server time" };
  }
  const expected = createHmac("sha256", secret).update(signedPayload(body, timestamp)).digest();
  const given = Buffer.from(match[1]!, "hex");
  if (!sameBytes(given, expected)) return { ok: false, reason: "signature does not match" };
  return { ok: true };
}
