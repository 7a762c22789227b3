import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { listConnectorStatus } from "../../ingest/connectors/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";

const ConnectorStatus = z
  .object({
    name: z.string(),
    kind: z.string(),
    last_run: z.string().nullable(),
    last_success: z.string().nullable(),
    lag_seconds: z.number().int().nullable().openapi({ description: "now minus the newest alert time committed; null before the first alert" }),
    checkpoint_time: z.string().nullable(),
    fetched: z.number().int(),
    created: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int().openapi({ description: "alerts the generic schema refused (counted and skipped)" }),
    last_error: z.string().nullable().openapi({ description: "the last failure, secrets redacted; null after a clean run" }),
    last_error_at: z.string().nullable(),
    state: z.string().nullable().openapi({ description: "what the source reported on its last run, e.g. a file tail \"waiting\" for its file; null when it reports none" }),
    note: z.string().nullable().openapi({ description: "detail of the state, e.g. \"/var/log/suricata/eve.json does not exist\"" }),
  })
  .openapi("ConnectorStatus");

const list = createRoute({
  method: "get",
  path: "/api/v1/connectors",
  tags: ["connectors"],
  summary: "Health of each pull connector: last run, lag, counts, last error",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Connectors, configured ones first", content: { "application/json": { schema: z.object({ connectors: z.array(ConnectorStatus) }) } } },
    ...errorResponses(401, 403),
  },
});

export function registerConnectorRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(list, async (c) => {
    const configured = deps.config.connectors.sources.map((s) => ({ name: s.name, kind: s.kind }));
    const connectors = await listConnectorStatus(deps.db, configured, deps.clock);
    return c.json({ connectors }, 200);
  });
}
