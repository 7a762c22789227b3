import { callApi } from "../http.js";
import type { ConnectorCall, ConnectorContext, ConnectorResult } from "../types.js";
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookAnswer, signWebhook, type WebhookBody, type WebhookSettings } from "./client.js";

/** POSTs the action; the receiver dedupes on the idempotency key, so repeating after a 5xx or a lost answer is safe. */
export async function executeWebhook(settings: WebhookSettings, call: ConnectorCall, ctx: ConnectorContext, send?: typeof fetch): Promise<ConnectorResult> {
  const body: WebhookBody = {
    schema: "nightshift.response-action.v1",
    id: call.actionId,
    idempotency_key: call.idempotencyKey,
    action: call.action,
    args: call.args,
    case_id: call.caseId,
    rollback_of: call.rollbackOf?.remoteRef ?? null,
    sent_at: ctx.clock.now().toISOString(),
  };
  const text = JSON.stringify(body);
  const timestamp = Math.floor(ctx.clock.now().getTime() / 1000);
  const redact = (t: string) => t.split(settings.secret).join("***");
  const response = await callApi(
    {
      method: "POST",
      url: settings.url,
      what: `${settings.name}: POST ${new URL(settings.url).pathname}`,
      body: text,
      headers: { ...settings.headers, [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signWebhook(settings.secret, timestamp, text), [IDEMPOTENCY_HEADER]: call.idempotencyKey },
      idempotent: true,
      maxAttempts: settings.max_attempts,
      timeoutSeconds: settings.timeout_seconds,
      redact,
      send,
    },
    ctx,
  );
  const answer = WebhookAnswer.parse(response?.body ?? {});
  const status = answer.status ?? "succeeded";
  const taken = `${call.action} ${JSON.stringify(call.args)} sent to ${settings.name}${answer.message ? `: ${answer.message}` : ""}`;
  return {
    status,
    action_taken: taken,
    remote_ref: answer.reference === undefined ? null : String(answer.reference),
    error: status === "failed" ? (answer.message ?? `${settings.name} reported failure`) : null,
    detail: { http_status: response?.status ?? null },
  };
}
