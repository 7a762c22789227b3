import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { gapCounts } from "../../context/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";

const GapCount = z
  .object({
    alerts: z.number().int().openapi({ description: "alerts in the range from this source, enriched or not" }),
    enriched: z.number().int(),
    with_gaps: z.number().int().openapi({ description: "enriched alerts with at least one missing field" }),
    with_stale: z.number().int().openapi({ description: "enriched alerts with at least one stale enrichment" }),
    completeness: z.object({ complete: z.number().int(), partial: z.number().int(), insufficient: z.number().int() }),
    missing: z.record(z.string(), z.number().int()).openapi({ description: "per missing field path, how many alerts lack it; most frequent first" }),
    stale: z.record(z.string(), z.number().int()).openapi({ description: "per stale enrichment path, how many alerts" }),
  })
  .openapi("ContextGapCount");

const GapCounts = z
  .object({
    since: z.string().nullable(),
    until: z.string().nullable(),
    source: z.string().nullable(),
    total: GapCount,
    sources: z.record(z.string(), GapCount).openapi({ description: "per alert source" }),
  })
  .openapi("ContextGapCounts");

const gaps = createRoute({
  method: "get",
  path: "/api/v1/context/gaps",
  tags: ["context"],
  summary: "Missing context per alert source over a range of alert times (for NOVA)",
  middleware: [requireRole("viewer")] as const,
  request: {
    query: z.object({
      since: z.string().optional().openapi({ description: "ISO-8601: alerts whose time is at or after this instant" }),
      until: z.string().optional().openapi({ description: "ISO-8601: alerts whose time is before this instant" }),
      source: z.string().optional().openapi({ description: "only this alert source" }),
    }),
  },
  responses: {
    200: { description: "Gap counts", content: { "application/json": { schema: GapCounts } } },
    ...errorResponses(400, 401, 403),
  },
});

export function registerContextRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(gaps, async (c) => c.json(await gapCounts(deps.db, c.req.valid("query")), 200));
}
