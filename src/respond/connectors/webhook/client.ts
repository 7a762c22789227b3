import { createHmac } from "node:crypto";
import { z } from "zod";
import { ACTION_NAMES, ActionName } from "../../actions/index.js";
import { commonSettings } from "../common.js";

/**
 * A generic signed webhook (`respond.connectors[]` with `kind: webhook`): firewalls, IdPs, ticketing or a
 * SOAR carry the action out. Each request is a JSON POST signed like Nightshift's own inbound webhooks:
 * `X-Nightshift-Timestamp: <epoch seconds>`, `X-Nightshift-Signature: sha256=<hex HMAC-SHA256 of
 * "<timestamp>.<body>" with the secret>`, and `Idempotency-Key: <key>` (the same on every attempt of one
 * action: the receiver must do the work once per key).
 */
export const WebhookSettings = z.strictObject({
  ...commonSettings("webhook"),
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  secret: z.string().min(16, "at least 16 characters"),
  /** The actions this receiver carries out (default: all). */
  actions: z.array(ActionName).min(1).default([...ACTION_NAMES]),
  /** Extra request headers (an API key the receiver wants…). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "a header name"), z.string()).default({}),
});
export type WebhookSettings = z.output<typeof WebhookSettings>;

export const SIGNATURE_HEADER = "x-nightshift-signature";
export const TIMESTAMP_HEADER = "x-nightshift-timestamp";
export const IDEMPOTENCY_HEADER = "idempotency-key";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The body sent (`nightshift.response-action.v1`). */
export interface WebhookBody {
  schema: "nightshift.response-action.v1";
  id: string;
  idempotency_key: string;
  action: string;
  args: Record<string, unknown>;
  case_id: string | null;
  /** For a rollback: the reference the receiver answered for the action it undoes. */
  rollback_of: string | null;
  sent_at: string;
}

/** What the receiver may answer (all optional): `status` (default succeeded), a `reference`, a `message`. */
export const WebhookAnswer = z
  .looseObject({
    status: z.enum(["succeeded", "failed", "in_progress"]).optional(),
    reference: z.union([z.string(), z.number()]).optional(),
    message: z.string().optional(),
  })
  .catch({});
