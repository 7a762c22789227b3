import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { signBody, verifySignature } from "./signature.js";

const SECRET = "0123456789abcdef-secret";
const clock = fixedClock("2026-11-24T10:00:00Z");
const nowSeconds = Date.parse("2026-11-24T10:00:00Z") / 1000;

describe("webhook signature", () => {
  it("is the hex HMAC-SHA256 of the body, or of `${timestamp}.${body}`", () => {
    const body = '{"title":"x"}';
    expect(signBody(SECRET, body)).toBe(`sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`);
    expect(signBody(SECRET, body, "1700000000")).toBe(`sha256=${createHmac("sha256", SECRET).update(`1700000000.${body}`).digest("hex")}`);
  });

  it("verifies a good signature, in any hex case, over bytes as well as text", () => {
    const body = '{"title":"é"}';
    const signature = signBody(SECRET, body);
    expect(verifySignature(SECRET, body, { signature, timestamp: undefined }, clock)).toEqual({ ok: true });
    expect(verifySignature(SECRET, new TextEncoder().encode(body), { signature: signature.toUpperCase().replace("SHA256=", "sha256="), timestamp: undefined }, clock)).toEqual({ ok: true });
  });

  it("refuses a tampered body, another secret, a malformed header and a missing one", () => {
    const body = '{"title":"x"}';
    const signature = signBody(SECRET, body);
    const check = (b: string, s: string | undefined, secret = SECRET) => verifySignature(secret, b, { signature: s, timestamp: undefined }, clock).ok;
    expect(check('{"title":"y"}', signature)).toBe(false);
    expect(check(body, signature, "another-secret-of-length")).toBe(false);
    expect(check(body, signature.replace("sha256=", ""))).toBe(false);
    expect(check(body, "sha256=abc")).toBe(false);
    expect(check(body, undefined)).toBe(false);
  });

  it("accepts timestamps within five minutes either side and refuses older, newer or malformed ones", () => {
    const body = "[]";
    const at = (offsetSeconds: number) => String(nowSeconds + offsetSeconds);
    const check = (timestamp: string) => verifySignature(SECRET, body, { signature: signBody(SECRET, body, timestamp), timestamp }, clock);
    expect(check(at(-299)).ok).toBe(true);
    expect(check(at(299)).ok).toBe(true);
    expect(check(String((nowSeconds - 10) * 1000)).ok).toBe(true);
    expect(check(at(-301))).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) });
    expect(check(at(301)).ok).toBe(false);
    expect(check("yesterday").ok).toBe(false);
    // A signature made with a timestamp does not verify under another one.
    const signed = signBody(SECRET, body, at(0));
    expect(verifySignature(SECRET, body, { signature: signed, timestamp: at(1) }, clock).ok).toBe(false);
  });
});
