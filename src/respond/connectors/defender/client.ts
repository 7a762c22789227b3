import { z } from "zod";
import { DefenderAuthSettings, TokenSource, trimSlash } from "../../../ingest/connectors/defender/oauth.js";
import { callApi, type CallOptions, type CallResult } from "../http.js";
import type { ConnectorContext } from "../types.js";
import { commonSettings } from "../common.js";

/**
 * Microsoft Defender for Endpoint (`respond.connectors[]` with `kind: defender`): machine actions and
 * indicators, with an Entra ID application's client credentials (the pull connector's token flow,
 * src/ingest/connectors/defender/oauth.ts). The application needs Machine.Isolate, Machine.Scan,
 * Machine.CollectForensics, Machine.StopAndQuarantine, Machine.Read.All and Ti.ReadWrite.
 */
export const DefenderActionSettings = z.strictObject({
  ...commonSettings("defender"),
  ...DefenderAuthSettings,
  api_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).default("https://api.securitycenter.microsoft.com"),
  /** The token's audience (`<resource>/.default`); regional API hosts share it. */
  resource: z.string().min(1).default("https://api.securitycenter.microsoft.com"),
});
export type DefenderActionSettings = z.output<typeof DefenderActionSettings>;

export interface DefenderClient {
  settings: DefenderActionSettings;
  call(options: Omit<CallOptions, "url" | "tokens" | "maxAttempts" | "timeoutSeconds" | "what"> & { path: string }, ctx: ConnectorContext): Promise<CallResult | null>;
}

export function createDefenderClient(settings: DefenderActionSettings, deps: { redact: (text: string) => string; send?: typeof fetch }): DefenderClient {
  const send = deps.send ?? fetch;
  const tokens = new TokenSource({ ...settings }, `${trimSlash(settings.resource)}/.default`, send, deps.redact);
  return {
    settings,
    call: ({ path, ...options }, ctx) =>
      callApi(
        {
          ...options,
          url: `${trimSlash(settings.api_url)}${path}`,
          what: `${settings.name}: ${options.method} ${path.split("?")[0]}`,
          tokens,
          maxAttempts: settings.max_attempts,
          timeoutSeconds: settings.timeout_seconds,
          send,
        },
        ctx,
      ),
  };
}
