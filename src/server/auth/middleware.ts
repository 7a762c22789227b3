import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Actor } from "../../core/index.js";
import type { AppEnv, Principal, ServerDeps } from "../context.js";
import { errorJson } from "../errors.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "./signature.js";
import { authenticate, roleAtLeast, tokenActorName, type Role } from "./tokens.js";

export const TOKEN_COOKIE = "nightshift_token";
const REALM = 'Bearer realm="nightshift"';

function unauthorized(c: Context, message: string, invalidToken = false) {
  c.header("WWW-Authenticate", invalidToken ? `${REALM}, error="invalid_token"` : REALM);
  return errorJson(c, 401, message);
}

/** The token of an `Authorization: Bearer …` header; undefined when there is no header, null when it is malformed. */
function bearerToken(c: Context): string | null | undefined {
  const header = c.req.header("authorization");
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export interface ApiAuthOptions {
  /** Requests that may authenticate with a webhook signature instead of a token. */
  acceptsSignature?: (c: Context<AppEnv>) => boolean;
  /** Also accept the journal cookie (only on GET routes that serve the journal: cookies are sent cross-site otherwise). */
  acceptsCookie?: boolean;
}

/**
 * Every route behind it needs a principal: a valid bearer token, a journal cookie where allowed, or a valid
 * webhook signature where allowed. Fails closed: a route that forgets `requireRole` still needs a token.
 */
export function authenticateRequest(deps: ServerDeps, options: ApiAuthOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bearer = bearerToken(c);
    if (bearer === null) return unauthorized(c, "Authorization header must be `Bearer <token>`", true);
    if (bearer !== undefined) {
      const token = await authenticate(deps.db, bearer, deps.clock);
      if (!token) return unauthorized(c, "invalid or revoked token", true);
      c.set("principal", { kind: "token", via: "bearer", token });
      return next();
    }
    const signature = c.req.header(SIGNATURE_HEADER);
    if (signature !== undefined && options.acceptsSignature?.(c)) {
      const secret = deps.config.webhook_secret;
      if (!secret) return unauthorized(c, "webhook signatures are not enabled on this server (set webhook_secret)");
      const body = new Uint8Array(await c.req.arrayBuffer());
      const check = verifySignature(secret, body, { signature, timestamp: c.req.header(TIMESTAMP_HEADER) }, deps.clock);
      if (!check.ok) return unauthorized(c, `invalid webhook signature: ${check.reason}`);
      c.set("principal", { kind: "webhook" });
      return next();
    }
    const cookie = options.acceptsCookie ? getCookie(c, TOKEN_COOKIE) : undefined;
    if (cookie !== undefined) {
      const token = await authenticate(deps.db, cookie, deps.clock);
      if (!token) return unauthorized(c, "invalid or revoked token in cookie; sign in again at /login?token=…", true);
      c.set("principal", { kind: "token", via: "cookie", token });
      return next();
    }
    return unauthorized(c, "authentication required: send Authorization: Bearer <token>");
  };
}

/** 403 unless the caller's role is at least `minimum`; a signed webhook passes only where `webhook` is set. */
export function requireRole(minimum: Role, options: { webhook?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal") as Principal | undefined;
    if (!principal) return unauthorized(c, "authentication required: send Authorization: Bearer <token>");
    if (principal.kind === "webhook") {
      if (options.webhook) return next();
      return errorJson(c, 403, "a webhook signature only allows posting alerts");
    }
    if (!roleAtLeast(principal.token.role, minimum))
      return errorJson(c, 403, `this needs the ${minimum} role; the token has ${principal.token.role}`);
    return next();
  };
}

/** The human behind the request, as cases and the audit chain record them. */
export function actorOf(c: Context<AppEnv>): Actor {
  const principal = c.get("principal");
  if (principal.kind === "webhook") return { kind: "system", name: "webhook" };
  return { kind: "human", name: tokenActorName(principal.token) };
}
