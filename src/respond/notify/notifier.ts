import type { Clock } from "../../core/index.js";
import { callApi } from "../connectors/index.js";
import { slackPayload, teamsPayload, type NotifyEvent } from "./payloads.js";

export interface NotifySettings {
  url: string;
  format: "slack" | "teams";
  link_base?: string;
  timeout_seconds: number;
}

export interface Notifier {
  /** Announces an event; resolves to an error message when it could not be delivered (never throws). */
  send(event: NotifyEvent): Promise<string | null>;
}

/** Posts Slack- or Teams-compatible messages to an incoming webhook (429 waited out, 5xx repeated: a repeat only duplicates a message). */
export function createWebhookNotifier(settings: NotifySettings, deps: { clock: Clock; sleep?: (ms: number) => Promise<void>; send?: typeof fetch }): Notifier {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    async send(event) {
      const body = settings.format === "teams" ? teamsPayload(event, settings.link_base) : slackPayload(event, settings.link_base);
      try {
        await callApi({ method: "POST", url: settings.url, what: "notify: POST", body, idempotent: true, maxAttempts: 3, timeoutSeconds: settings.timeout_seconds, send: deps.send }, { clock: deps.clock, sleep });
        return null;
      } catch (error) {
        // The webhook URL is itself a secret (Slack/Teams): never in a message.
        return (error instanceof Error ? error.message : String(error)).split(settings.url).join("<notify url>");
      }
    },
  };
}
