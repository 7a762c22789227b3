import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { appendAudit, lockAuditChain } from "../../cases/index.js";
import { actorOf, requireRole } from "../auth/middleware.js";
import { CreateTokenInput, Role, createToken, listTokens, revokeToken } from "../auth/tokens.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";

const CreatedTokenBody = z
  .object({ id: z.string(), token: z.string().openapi({ description: "shown once; only its SHA-256 is stored" }), role: Role })
  .openapi("CreatedToken");
const TokenInfoBody = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    role: Role,
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("TokenInfo");
const TokenId = z.object({ id: z.string().min(1).openapi({ param: { name: "id", in: "path" } }) });

const create = createRoute({
  method: "post",
  path: "/api/v1/tokens",
  tags: ["tokens"],
  summary: "Create a bearer token (admin)",
  middleware: [requireRole("admin")] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateTokenInput.meta({ id: "CreateToken" }) } } } },
  responses: {
    201: { description: "The new token, shown once", content: { "application/json": { schema: CreatedTokenBody } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/tokens",
  tags: ["tokens"],
  summary: "List tokens without their secrets (admin)",
  middleware: [requireRole("admin")] as const,
  responses: {
    200: { description: "Every token, newest first", content: { "application/json": { schema: z.object({ tokens: z.array(TokenInfoBody) }) } } },
    ...errorResponses(401, 403),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/api/v1/tokens/{id}",
  tags: ["tokens"],
  summary: "Revoke a token (admin)",
  middleware: [requireRole("admin")] as const,
  request: { params: TokenId },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

export function registerTokenRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(create, async (c) => {
    const input = c.req.valid("json");
    const created = await deps.db.transaction().execute(async (trx) => {
      // The chain's lock comes first in every transaction that appends to it (see cases/audit.ts).
      await lockAuditChain(trx);
      const token = await createToken(trx, input, deps.clock);
      const data = { token_id: token.id, role: token.role, name: input.name ?? null };
      await appendAudit(trx, { actor: actorOf(c), action: "token.created", data }, deps.clock);
      return token;
    });
    return c.json(created, 201);
  });
  app.openapi(list, async (c) => c.json({ tokens: await listTokens(deps.db) }, 200));
  app.openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    await deps.db.transaction().execute(async (trx) => {
      await lockAuditChain(trx);
      await revokeToken(trx, id, deps.clock);
      await appendAudit(trx, { actor: actorOf(c), action: "token.revoked", data: { token_id: id } }, deps.clock);
    });
    return c.body(null, 204);
  });
}
