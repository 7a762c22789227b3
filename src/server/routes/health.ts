import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { isPostgresUrl, queueCounts } from "../../store/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";
import { checkReadiness } from "../readiness.js";
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

const Check = z.object({
  ok: z.boolean(),
  ms: z.number().int(),
  error: z.string().optional(),
  queued: z.number().int().optional(),
  oldest_queued_seconds: z.number().int().optional(),
});
const Readiness = z
  .object({ status: z.enum(["ready", "not_ready"]), checks: z.object({ database: Check, queue: Check }) })
  .openapi("Readiness");

const readiness = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["health"],
  summary: "Readiness probe (no authentication): the database answers and the work queue can be read",
  security: [],
  responses: {
    200: { description: "Ready to serve", content: { "application/json": { schema: Readiness } } },
    503: { description: "Not ready: a check failed or timed out", content: { "application/json": { schema: Readiness } } },
  },
});

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
  app.openapi(readiness, async (c) => {
    const { ready, checks } = await checkReadiness(deps.db, deps.clock.now());
    return ready ? c.json({ status: "ready" as const, checks }, 200) : c.json({ status: "not_ready" as const, checks }, 503);
  });
  app.openapi(health, async (c) => {
    const queue = await queueCounts(deps.db);
    const store = isPostgresUrl(deps.config.database_url) ? ("postgres" as const) : ("sqlite" as const);
    return c.json({ status: "ok" as const, version: nightshiftVersion(), store, queue }, 200);
  });
}
