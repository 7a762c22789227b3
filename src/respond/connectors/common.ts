import { z } from "zod";

/** Settings every action connector takes besides its own. */
export const commonSettings = (kind: string) => ({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
  kind: z.literal(kind),
  timeout_seconds: z.coerce.number().positive().max(300).default(30),
  /** Attempts per request, the first included (429 and, for safe requests, 5xx are repeated). */
  max_attempts: z.coerce.number().int().min(1).max(10).default(5),
});

/** What a vendor is told about the action, carrying the idempotency key so a later attempt can find it. */
export function vendorComment(call: { idempotencyKey: string; caseId: string | null; action: string }): string {
  return `Nightshift ${call.action}${call.caseId ? ` for ${call.caseId}` : ""} [${call.idempotencyKey}]`;
}

/** OData string literal: single quotes doubled. */
export const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;
