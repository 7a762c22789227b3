import type { ConnectorCall, ConnectorResult } from "../types.js";

/** Nothing is sent anywhere: the action is recorded for a human, who carries it out and confirms it. */
export function recordOnly(call: ConnectorCall): ConnectorResult {
  return {
    status: "awaiting_confirmation",
    action_taken: `recorded for a human to carry out: ${call.action} ${JSON.stringify(call.args)}`,
    remote_ref: null,
    detail: { instructions: `Carry out ${call.action} on ${JSON.stringify(call.args)}, then confirm it (nightshift approvals confirm ${call.actionId}).` },
  };
}
