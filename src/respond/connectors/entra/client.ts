import { z } from "zod";
import { DefenderAuthSettings, TokenSource, trimSlash } from "../../../ingest/connectors/defender/oauth.js";
import { callApi, type CallOptions, type CallResult } from "../http.js";
import { commonSettings } from "../common.js";
import type { ConnectorContext } from "../types.js";

/**
 * Microsoft Entra ID through Microsoft Graph (`respond.connectors[]` with `kind: entra`): accounts and
 * sessions, with an application's client credentials (User.ReadWrite.All, User.RevokeSessions.All;
 * UserAuthenticationMethod.ReadWrite.All for password resets).
 */
export const EntraSettings = z.strictObject({
  ...commonSettings("entra"),
  ...DefenderAuthSettings,
  graph_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).default("https://graph.microsoft.com"),
  /** The token's audience (`<resource>/.default`). */
  resource: z.string().min(1).default("https://graph.microsoft.com"),
});
export type EntraSettings = z.output<typeof EntraSettings>;

export interface GraphClient {
  settings: EntraSettings;
  /** `path` below `/v1.0`, or an absolute URL on the Graph host (a Location header). */
  call(options: Omit<CallOptions, "url" | "tokens" | "maxAttempts" | "timeoutSeconds" | "what"> & { path: string }, ctx: ConnectorContext): Promise<CallResult | null>;
}

export function createGraphClient(settings: EntraSettings, deps: { redact: (text: string) => string; send?: typeof fetch }): GraphClient {
  const send = deps.send ?? fetch;
  const tokens = new TokenSource({ ...settings }, `${trimSlash(settings.resource)}/.default`, send, deps.redact);
  const base = trimSlash(settings.graph_url);
  return {
    settings,
    call: ({ path, ...options }, ctx) => {
      const url = /^https?:/.test(path) ? path : `${base}/v1.0${path}`;
      // The bearer token never leaves the Graph host (a Location header could name any).
      if (new URL(url).origin !== new URL(base).origin) throw new Error(`${settings.name}: refusing to call ${new URL(url).origin} (expected ${new URL(base).origin})`);
      return callApi({ ...options, url, what: `${settings.name}: ${options.method} ${new URL(url).pathname}`, tokens, maxAttempts: settings.max_attempts, timeoutSeconds: settings.timeout_seconds, send }, ctx);
    },
  };
}
