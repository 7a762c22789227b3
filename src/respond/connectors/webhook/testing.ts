import { createHmac, timingSafeEqual } from "node:crypto";
import { startFakeApi, type FakeApi, type FakeResponse } from "../testing.js";

/**
 * A loopback receiver that checks the signature and does the work once per Idempotency-Key (a repeat gets
 * the first answer), as the webhook contract asks of receivers.
 */
export interface FakeReceiver extends FakeApi {
  done: Map<string, Record<string, unknown>>;
}

export async function startFakeReceiver(secret: string, answer: (body: Record<string, unknown>) => FakeResponse = () => ({ status: 200, body: { status: "succeeded", reference: "FW-1" } })): Promise<FakeReceiver> {
  const done = new Map<string, Record<string, unknown>>();
  const answers = new Map<string, FakeResponse>();
  const api = await startFakeApi(
    (req) => {
      const ts = String(req.headers["x-nightshift-timestamp"] ?? "");
      const given = Buffer.from(String(req.headers["x-nightshift-signature"] ?? ""));
      const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${ts}.${req.raw}`).digest("hex")}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 401, body: { error: "bad signature" } };
      const key = String(req.headers["idempotency-key"] ?? "");
      if (!key) return { status: 400, body: { error: "Idempotency-Key required" } };
      const first = answers.get(key);
      if (first) return first;
      const body = req.body as Record<string, unknown>;
      done.set(key, body);
      const response = answer(body);
      answers.set(key, response);
      return response;
    },
    { bearer: false },
  );
  return Object.assign(api, { done });
}
