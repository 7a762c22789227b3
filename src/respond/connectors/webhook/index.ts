import type { ConnectorKind } from "../registry-types.js";
import type { ActionConnector } from "../types.js";
import { executeWebhook } from "./actions.js";
import { WebhookSettings } from "./client.js";

export { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSettings, signWebhook, type WebhookBody } from "./client.js";

export function createWebhookConnector(settings: WebhookSettings, deps: { redact: (text: string) => string; send?: typeof fetch }): ActionConnector {
  return {
    name: settings.name,
    kind: "webhook",
    actions: settings.actions,
    execute: (call, ctx) => executeWebhook(settings, call, ctx, deps.send),
    // The receiver does the work once per idempotency key: sending again is how an open attempt is settled.
    reconcile: async () => null,
  };
}

export const kind: ConnectorKind<typeof WebhookSettings> = { settings: WebhookSettings, create: (settings, deps) => createWebhookConnector(settings, deps) };
