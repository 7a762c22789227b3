import { z } from "zod";
import { ConnectorAuthError, ConnectorHttpError, requestWithRetry, responseJson } from "../http.js";
import type { Connector, PullContext } from "../types.js";

/**
 * OAuth 2.0 client credentials against Microsoft Entra ID (v2.0 endpoint):
 * `POST {authority}/{tenant}/oauth2/v2.0/token` with a form body (client_id, client_secret, scope
 * `<resource>/.default`, grant_type=client_credentials) → `{token_type, expires_in, access_token}`.
 * The token is cached until shortly before it expires; `invalidate()` forces a new one (after a 401).
 */
export const DefenderAuthSettings = {
  tenant_id: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  /** Entra ID's login host; tests point it at loopback, sovereign clouds at theirs. */
  authority_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).default("https://login.microsoftonline.com"),
};

export interface TokenSettings {
  name: string;
  tenant_id: string;
  client_id: string;
  client_secret: string;
  authority_url: string;
  timeout_seconds: number;
  max_attempts: number;
}

const TokenResponse = z.object({
  token_type: z.string(),
  expires_in: z.coerce.number().positive(),
  access_token: z.string().min(1),
});

/** Renew this long before expiry (or at half the lifetime of a short-lived token). */
const RENEW_MARGIN_MS = 120_000;

export const trimSlash = (url: string) => url.replace(/\/+$/, "");

export class TokenSource {
  private token: { value: string; renewAt: number } | null = null;
  /** Every token handed out: each is a secret to redact from messages. */
  private readonly issued: string[] = [];

  constructor(
    private readonly settings: TokenSettings,
    private readonly scope: string,
    private readonly send: typeof fetch,
    private readonly baseRedact: (text: string) => string,
  ) {}

  /** The registry's redaction (client secret) plus every access token obtained so far. */
  readonly redact = (text: string): string => {
    let out = this.baseRedact(text);
    for (const token of this.issued) out = out.split(token).join("***");
    return out;
  };

  get tokenUrl(): string {
    return `${trimSlash(this.settings.authority_url)}/${encodeURIComponent(this.settings.tenant_id)}/oauth2/v2.0/token`;
  }

  invalidate(): void {
    this.token = null;
  }

  async get(ctx: Pick<PullContext, "clock" | "sleep">): Promise<string> {
    const now = ctx.clock.now().getTime();
    if (this.token && now < this.token.renewAt) return this.token.value;
    const body = new URLSearchParams({
      client_id: this.settings.client_id,
      client_secret: this.settings.client_secret,
      scope: this.scope,
      grant_type: "client_credentials",
    });
    const what = `${this.settings.name}: POST /${this.settings.tenant_id}/oauth2/v2.0/token`;
    let response: Response;
    try {
      response = await requestWithRetry(
        () =>
          this.send(this.tokenUrl, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
            body: body.toString(),
            signal: AbortSignal.timeout(this.settings.timeout_seconds * 1000),
          }),
        { what, clock: ctx.clock, sleep: ctx.sleep, redact: this.redact, retry: { maxAttempts: this.settings.max_attempts } },
      );
    } catch (error) {
      // Entra ID answers a wrong secret, client or tenant with 400/401 (invalid_client, unauthorized_client…): credentials, not a transient fault.
      if (error instanceof ConnectorHttpError && error.status === 400) throw new ConnectorAuthError(error.message.replace("HTTP 400", "HTTP 400 — token request refused"), 400);
      throw error;
    }
    const parsed = TokenResponse.safeParse(await responseJson(response).catch(() => null));
    if (!parsed.success) throw new ConnectorAuthError(`${what}: the token endpoint answered without access_token/expires_in`, response.status);
    const lifetimeMs = parsed.data.expires_in * 1000;
    const value = parsed.data.access_token;
    if (!this.issued.includes(value)) this.issued.push(value);
    if (this.issued.length > 20) this.issued.shift();
    this.token = { value, renewAt: now + lifetimeMs - Math.min(RENEW_MARGIN_MS, lifetimeMs / 2) };
    return value;
  }
}

export interface ApiGetOptions {
  tokens: TokenSource;
  send: typeof fetch;
  name: string;
  timeoutSeconds: number;
  maxAttempts: number;
}

/** What a request is, for messages: the method, path and query of a URL, never a token. */
export function describeUrl(url: string, method = "GET"): string {
  const parsed = new URL(url);
  return `${method} ${decodeURIComponent(parsed.pathname + parsed.search)}`;
}

/**
 * A bearer GET with the framework's retries. A 401 means the token was revoked or expired early:
 * one new token is fetched and the request repeated; a second 401 (or a 403: a missing application
 * permission) fails the run with a ConnectorAuthError. Returns null on 404 when `allowNotFound`.
 */
export async function apiGet(url: string, options: ApiGetOptions, ctx: Pick<PullContext, "clock" | "sleep">, allowNotFound = false): Promise<unknown> {
  return apiRequest(url, options, ctx, { method: "GET", allowNotFound });
}

/** apiGet for any method; a POST sends an empty JSON body (ARM list actions such as Sentinel's incident alerts). */
export async function apiRequest(
  url: string,
  options: ApiGetOptions,
  ctx: Pick<PullContext, "clock" | "sleep">,
  request: { method: "GET" | "POST"; allowNotFound?: boolean },
): Promise<unknown> {
  const what = `${options.name}: ${describeUrl(url, request.method)}`;
  for (let attempt = 0; ; attempt++) {
    const token = await options.tokens.get(ctx);
    try {
      const response = await requestWithRetry(
        () =>
          options.send(url, {
            method: request.method,
            headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(request.method === "POST" ? { "content-type": "application/json" } : {}) },
            ...(request.method === "POST" ? { body: "{}" } : {}),
            signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
          }),
        { what, clock: ctx.clock, sleep: ctx.sleep, redact: options.tokens.redact, retry: { maxAttempts: options.maxAttempts } },
      );
      return (await responseJson(response).catch(() => null)) as unknown;
    } catch (error) {
      if (error instanceof ConnectorAuthError && error.status === 401 && attempt === 0) {
        options.tokens.invalidate();
        continue;
      }
      if (request.allowNotFound && error instanceof ConnectorHttpError && error.status === 404) return null;
      throw error;
    }
  }
}

/** Follows `@odata.nextLink` only to the configured API host: the bearer token must not leave it. */
export function checkNextLink(next: string, base: string, name: string): string {
  let target: URL;
  try {
    target = new URL(next, base);
  } catch {
    throw new Error(`${name}: @odata.nextLink is not a URL`);
  }
  if (target.origin !== new URL(base).origin) throw new Error(`${name}: refusing to follow @odata.nextLink to ${target.origin} (expected ${new URL(base).origin})`);
  return target.toString();
}

/** A collection page of OData v4: `value` and an optional `@odata.nextLink`. */
export const ODataPage = z.looseObject({
  value: z.array(z.unknown()),
  "@odata.nextLink": z.string().optional(),
});

/**
 * A connector over an OAuth token: its errors never carry the access token (the runner stores messages through
 * the registry's redactor, which cannot know it).
 */
export function tokenSafeConnector(
  identity: Pick<Connector, "name" | "kind" | "intervalSeconds">,
  tokens: Pick<TokenSource, "redact">,
  pull: Connector["pull"],
): Connector {
  return {
    ...identity,
    async pull(checkpoint, ctx) {
      try {
        return await pull(checkpoint, ctx);
      } catch (error) {
        if (error instanceof Error) error.message = tokens.redact(error.message);
        throw error;
      }
    },
  };
}
