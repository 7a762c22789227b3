import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { logger } from "../core/index.js";
import type { AppEnv } from "./context.js";

export const REQUEST_ID_HEADER = "x-request-id";
/** A caller's own request id is kept when it is this plain (a proxy's id); anything else gets a fresh one. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function remoteAddress(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // in-process requests (app.request) have no socket
  }
}

/**
 * Gives every request an id (the caller's `X-Request-Id` if plain, else a UUID), echoes it in the response,
 * and writes one access-log line when the response is ready: method, path (never the query string, which
 * may carry a login token), status, duration, remote address, user agent and who called. Headers and
 * bodies are never logged.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const id = incoming && CALLER_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", id);
    try {
      await next();
    } finally {
      c.header(REQUEST_ID_HEADER, id);
      const principal = c.get("principal");
      const status = c.res.status;
      logger()[status >= 500 ? "error" : "info"](
        {
          req_id: id,
          method: c.req.method,
          path: c.req.path,
          status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          remote: remoteAddress(c),
          user_agent: c.req.header("user-agent")?.slice(0, 200),
          principal: principal?.kind === "token" ? `token:${principal.token.id}` : principal?.kind,
        },
        "request",
      );
    }
  };
}
