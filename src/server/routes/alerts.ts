import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { NotFoundError, ValidationError } from "../../core/index.js";
import { getAlert, ingestAlerts, listAlerts } from "../../ingest/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { anyOf, errorResponses } from "../errors.js";
import { AlertBody, Limit, Offset } from "./schemas.js";

/** A batch bigger than this is refused whole rather than held in one transaction. */
export const MAX_BATCH = 10_000;

const AlertInput = z
  .record(z.string(), z.unknown())
  .openapi("AlertInput", {
    description:
      "A generic JSON alert ({title, time?, severity?, source?, source_id?, host?, user?, src?, dst?, …}) or an OCSF Detection Finding",
    example: { title: "DNS lookup of a known C2 domain", source: "suricata", source_id: "42", severity: "high", host: "ws-17" },
  });

const IngestResult = z
  .object({
    ids: z.array(z.string()).openapi({ description: "the stored alert id of each input, in order (an existing id for a duplicate)" }),
    created: z.number().int(),
    duplicates: z.number().int(),
  })
  .openapi("IngestResult");

const ingest = createRoute({
  method: "post",
  path: "/api/v1/alerts",
  tags: ["alerts"],
  summary: "Ingest one alert or a batch (analyst, or a signed webhook)",
  description:
    "source + source_id is the idempotency key: sending the same alert again returns its id as a duplicate. " +
    "A batch is validated whole: one bad alert stores nothing.",
  security: anyOf("bearerAuth", "webhookSignature"),
  middleware: [requireRole("analyst", { webhook: true })] as const,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.union([AlertInput, z.array(AlertInput)]) } },
    },
  },
  responses: {
    202: { description: "Stored and queued for enrichment", content: { "application/json": { schema: IngestResult } } },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/alerts",
  tags: ["alerts"],
  summary: "List alerts, newest first",
  middleware: [requireRole("viewer")] as const,
  request: { query: z.object({ limit: Limit(50, 500), offset: Offset(), case_id: z.string().min(1).optional() }) },
  responses: {
    200: { description: "Alerts", content: { "application/json": { schema: z.object({ alerts: z.array(AlertBody) }) } } },
    ...errorResponses(400, 401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/alerts/{id}",
  tags: ["alerts"],
  summary: "One alert",
  middleware: [requireRole("viewer")] as const,
  request: { params: z.object({ id: z.string().min(1).openapi({ param: { name: "id", in: "path" } }) }) },
  responses: {
    200: { description: "The alert", content: { "application/json": { schema: AlertBody } } },
    ...errorResponses(401, 403, 404),
  },
});

export function registerAlertRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(ingest, async (c) => {
    const body = c.req.valid("json");
    const inputs: unknown[] = Array.isArray(body) ? body : [body];
    if (inputs.length === 0) throw new ValidationError("empty batch", [{ path: "", message: "send at least one alert" }]);
    if (inputs.length > MAX_BATCH)
      throw new ValidationError("batch too large", [{ path: "", message: `at most ${MAX_BATCH} alerts per request` }]);
    const principal = c.get("principal");
    const via = principal.kind === "webhook" ? "webhook" : "api";
    const sender = principal.kind === "token" ? `token:${principal.token.id}` : undefined;
    const { results } = await ingestAlerts(deps.db, inputs, { via, sender, clock: deps.clock, batch: Array.isArray(body) });
    const created = results.filter((r) => r.created).length;
    return c.json({ ids: results.map((r) => r.id), created, duplicates: results.length - created }, 202);
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const alerts = await listAlerts(deps.db, { limit: q.limit, offset: q.offset, caseId: q.case_id });
    return c.json({ alerts }, 200);
  });
  app.openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    const alert = await getAlert(deps.db, id);
    if (!alert) throw new NotFoundError(`alert ${id}`);
    return c.json(alert, 200);
  });
}
