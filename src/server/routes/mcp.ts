import type { OpenAPIHono } from "@hono/zod-openapi";
import { createMcpHttpHandler } from "../../crew/mcp/index.js";
import { authenticateRequest, requireRole } from "../auth/middleware.js";
import { tokenActorName } from "../auth/tokens.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorJson } from "../errors.js";
import { nightshiftVersion } from "../version.js";

export const MCP_PATH = "/mcp";

/**
 * The crew's tools over MCP Streamable HTTP at `/mcp`, under the bearer token's role (viewer: read tools;
 * analyst and admin: writes too). Not in the OpenAPI document: it speaks JSON-RPC, not REST.
 */
export function registerMcpRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  const mcp = createMcpHttpHandler({ db: deps.db, clock: deps.clock, version: nightshiftVersion() });
  app.use(MCP_PATH, authenticateRequest(deps), requireRole("viewer"));
  app.all(MCP_PATH, async (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "token") return errorJson(c, 403, "MCP needs a bearer token");
    const { token } = principal;
    return mcp.handle(c.req.raw, { caller: { agent: null, name: tokenActorName(token), role: token.role }, tokenId: token.id });
  });
}
