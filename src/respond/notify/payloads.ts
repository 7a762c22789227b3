import type { ResponseAction } from "../approvals/index.js";

/** What is announced: a request waiting for people, or an action's outcome. */
export interface NotifyEvent {
  kind: "pending_approval" | "executed" | "failed" | "in_progress" | "awaiting_confirmation";
  action: ResponseAction;
}

const TITLES: Record<NotifyEvent["kind"], string> = {
  pending_approval: "Response action waiting for approval",
  executed: "Response action executed",
  failed: "Response action failed",
  in_progress: "Response action accepted by the vendor",
  awaiting_confirmation: "Response action to carry out by hand",
};

/** Alert contents are attacker-controlled: Slack's control characters are escaped (no mentions, no links). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Teams' Markdown subset: link and emphasis syntax is escaped so a value is shown, never rendered. */
export function teamsEscape(text: string): string {
  return text.replace(/[\\[\]()*_~`<>#]/g, (c) => `\\${c}`);
}

function facts(event: NotifyEvent): [string, string][] {
  const a = event.action;
  const out: [string, string][] = [
    ["Action", a.action],
    ["Target", a.target],
    ["Case", a.case_id ?? "—"],
    ["Requested by", `${a.requested_by.name} (${a.requested_by.kind})`],
    ["Policy", `${a.policy.decision} — rule ${a.policy.rule}`],
  ];
  if (event.kind === "pending_approval") {
    out.push(["Approvals", `${a.approvals.filter((v) => v.decision === "approve").length} of ${a.approvals_required}`]);
    out.push(["Expires", a.expires_at ?? "—"]);
    out.push(["Rationale", a.rationale.slice(0, 500)]);
  } else if (a.outcome) {
    out.push(["Outcome", a.outcome.action_taken.slice(0, 500)]);
    if (a.outcome.error) out.push(["Error", a.outcome.error.slice(0, 500)]);
    if (a.outcome.rollback_available) out.push(["Rollback", a.outcome.rollback_available]);
  }
  out.push(["Action id", a.id]);
  return out;
}

const link = (event: NotifyEvent, base?: string) => (base ? `${base.replace(/\/+$/, "")}/api/v1/response/actions/${event.action.id}` : null);

/** A Slack incoming-webhook message: `text` (the fallback) and Block Kit blocks. */
export function slackPayload(event: NotifyEvent, linkBase?: string) {
  const title = TITLES[event.kind];
  const lines = facts(event).map(([k, v]) => `*${k}:* ${slackEscape(v)}`);
  const url = link(event, linkBase);
  return {
    text: `${title}: ${slackEscape(event.action.action)} on ${slackEscape(event.action.target)}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: title } },
      { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
      ...(url ? [{ type: "context", elements: [{ type: "mrkdwn", text: `<${url}|Open in Nightshift>` }] }] : []),
    ],
  };
}

/** A Microsoft Teams message with an Adaptive Card (incoming webhook / Workflows `type: message`). */
export function teamsPayload(event: NotifyEvent, linkBase?: string) {
  const url = link(event, linkBase);
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", size: "Medium", weight: "Bolder", text: TITLES[event.kind], wrap: true },
            { type: "FactSet", facts: facts(event).map(([title, value]) => ({ title, value: teamsEscape(value) })) },
          ],
          ...(url ? { actions: [{ type: "Action.OpenUrl", title: "Open in Nightshift", url }] } : {}),
        },
      },
    ],
  };
}
