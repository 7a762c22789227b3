import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time equality of two byte strings (a MAC against the expected one); unequal lengths are unequal. */
export function sameBytes(given: Uint8Array, expected: Uint8Array): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Equal-time comparison of two strings of any length (hashing first hides the length too). */
export function sameText(given: string, expected: string): boolean {
  return sameBytes(createHash("sha256").update(given, "utf8").digest(), createHash("sha256").update(expected, "utf8").digest());
}
