export { slackEscape, slackPayload, teamsEscape, teamsPayload, type NotifyEvent } from "./payloads.js";
export { createWebhookNotifier, type NotifySettings, type Notifier } from "./notifier.js";
