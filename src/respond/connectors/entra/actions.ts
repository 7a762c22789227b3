import { z } from "zod";
import { ApiError } from "../http.js";
import type { ConnectorCall, ConnectorContext, ConnectorResult } from "../types.js";
import type { GraphClient } from "./client.js";

export const ENTRA_ACTIONS = ["disable_account", "enable_account", "revoke_sessions", "reset_credentials"] as const;

/** The password authentication method's fixed id (Graph's authentication methods API). */
export const PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490";

const user = (call: ConnectorCall) => `/users/${encodeURIComponent(String(call.args.account))}`;

const UserState = z.looseObject({
  accountEnabled: z.boolean().nullish(),
  signInSessionsValidFromDateTime: z.string().nullish(),
  lastPasswordChangeDateTime: z.string().nullish(),
});

/** Graph names a user by object id or user principal name; a `DOMAIN\\user` name would only be a 404 later. */
function checkAccount(client: GraphClient, account: string): void {
  if (account.includes("\\")) throw new ApiError(`${client.settings.name}: Entra ID names ${account} by its user principal name (user@domain) or object id, not DOMAIN\\user`, 400, "UnsupportedAccountName");
}

export async function executeEntra(client: GraphClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult> {
  const account = String(call.args.account);
  checkAccount(client, account);
  switch (call.action) {
    case "disable_account":
    case "enable_account": {
      const enabled = call.action === "enable_account";
      // Setting a value: repeating it is harmless.
      await client.call({ method: "PATCH", path: user(call), body: { accountEnabled: enabled }, idempotent: true }, ctx);
      return { status: "succeeded", action_taken: `${enabled ? "enabled" : "disabled"} Entra ID account ${account}`, remote_ref: null, detail: { accountEnabled: enabled } };
    }
    case "revoke_sessions": {
      await client.call({ method: "POST", path: `${user(call)}/revokeSignInSessions`, idempotent: false }, ctx);
      return { status: "succeeded", action_taken: `revoked the sign-in sessions and refresh tokens of ${account}`, remote_ref: null };
    }
    case "reset_credentials": {
      // No newPassword: Entra ID generates one and the user must change it at next sign-in. The answer may
      // carry the generated password; it is never read, stored or logged.
      const response = await client.call({ method: "POST", path: `${user(call)}/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`, body: {}, idempotent: false }, ctx);
      const location = response?.headers.get("location") ?? null;
      if (response?.status === 202 && location) return { status: "in_progress", action_taken: `reset the password of ${account} (the user sets a new one at next sign-in)`, remote_ref: location };
      return { status: "succeeded", action_taken: `reset the password of ${account} (the user sets a new one at next sign-in)`, remote_ref: null };
    }
    default:
      throw new ApiError(`${client.settings.name}: Entra ID does not carry out ${call.action}`, 400, null);
  }
}

/** Follows a password reset's long-running operation (the Location header): notStarted/running → in progress. */
export async function pollEntra(client: GraphClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult> {
  if (!call.remoteRef) throw new ApiError(`${client.settings.name}: no operation to follow`, 400, null);
  const response = await client.call({ method: "GET", path: call.remoteRef, idempotent: true }, ctx);
  const op = z.looseObject({ status: z.string(), statusDetail: z.string().nullish() }).parse(response?.body);
  const taken = `reset the password of ${String(call.args.account)}`;
  if (op.status === "succeeded") return { status: "succeeded", action_taken: taken, remote_ref: call.remoteRef };
  if (op.status === "failed") return { status: "failed", action_taken: taken, remote_ref: call.remoteRef, error: `password reset failed${op.statusDetail ? `: ${op.statusDetail}` : ""}` };
  return { status: "in_progress", action_taken: taken, remote_ref: call.remoteRef };
}

/**
 * After an interrupted attempt, the user's own state tells whether it took effect: `accountEnabled`,
 * `signInSessionsValidFromDateTime` or `lastPasswordChangeDateTime` at or after the first attempt.
 */
export async function reconcileEntra(client: GraphClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult | null> {
  if (call.remoteRef) return pollEntra(client, call, ctx);
  const response = await client.call({ method: "GET", path: `${user(call)}?$select=accountEnabled,signInSessionsValidFromDateTime,lastPasswordChangeDateTime`, idempotent: true }, ctx);
  const state = UserState.parse(response?.body ?? {});
  const since = (value: string | null | undefined) => Boolean(value && Date.parse(value) >= Date.parse(call.startedAt));
  const account = String(call.args.account);
  switch (call.action) {
    case "disable_account":
      return state.accountEnabled === false ? { status: "succeeded", action_taken: `disabled Entra ID account ${account}`, remote_ref: null } : null;
    case "enable_account":
      return state.accountEnabled === true ? { status: "succeeded", action_taken: `enabled Entra ID account ${account}`, remote_ref: null } : null;
    case "revoke_sessions":
      return since(state.signInSessionsValidFromDateTime) ? { status: "succeeded", action_taken: `revoked the sign-in sessions and refresh tokens of ${account}`, remote_ref: null } : null;
    case "reset_credentials":
      return since(state.lastPasswordChangeDateTime) ? { status: "succeeded", action_taken: `reset the password of ${account}`, remote_ref: null } : null;
    default:
      return null;
  }
}
