import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { isPostgresUrl, queueCounts } from "../../store/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";
import { nightshiftVersion } from "../version.js";

const Liveness = z.object({ status: z.literal("ok") }).openapi("Liveness");
const Health = z
  .object({
    status: z.literal("ok"),
    version: z.string(),
    store: z.enum(["sqlite", "postgres"]),
    queue: z.record(z.string(), z.number().int()).openapi({ description: "jobs by status (queued, running, done, failed)" }),
  })
  .openapi("Health");

const liveness = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["health"],
  summary: "Liveness probe (no authentication)",
  security: [],
  responses: { 200: { description: "The process is up", content: { "application/json": { schema: Liveness } } } },
});

const health = createRoute({
  method: "get",
  path: "/api/v1/health",
  tags: ["health"],
  summary: "Store kind, work-queue counts and version",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Health of the store and the queue", content: { "application/json": { schema: Health } } },
    ...errorResponses(401, 403),
  },
});

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(liveness, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(health, async (c) => {
    const queue = await queueCounts(deps.db);
    const store = isPostgresUrl(deps.config.database_url) ? ("postgres" as const) : ("sqlite" as const);
    return c.json({ status: "ok" as const, version: nightshiftVersion(), store, queue }, 200);
  });
}
