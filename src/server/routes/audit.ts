import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { listAudit, verifyAuditChain } from "../../cases/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";
import { AuditEventBody, Limit } from "./schemas.js";

const AuditVerificationBody = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    firstBroken: z.object({ seq: z.number().int(), reason: z.string() }).nullable(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    keyed: z
      .object({ key_id: z.string(), plain_events: z.number().int(), keyed_events: z.number().int() })
      .openapi({ description: "the key's fingerprint, and events before the chain was keyed (plain SHA-256) and after" }),
    checkpoints: z
      .object({ checked: z.number().int(), failed: z.array(z.object({ seq: z.number().int(), reason: z.string() })) })
      .openapi({ description: "signed checkpoints recorded in the database, checked against the chain" }),
    cases: z
      .object({
        checked: z.number().int(),
        mismatches: z.array(z.object({ case_id: z.string(), field: z.string(), chain: z.unknown(), table: z.unknown() })),
        total_mismatches: z.number().int(),
      })
      .nullable()
      .openapi({ description: "case state replayed from the chain, compared with the cases table" }),
  })
  .openapi("AuditVerification");

const list = createRoute({
  method: "get",
  path: "/api/v1/audit",
  tags: ["audit"],
  summary: "Audit events in chain order; page with after_seq = the last seq seen",
  middleware: [requireRole("viewer")] as const,
  request: {
    query: z.object({
      case_id: z.string().min(1).optional(),
      after_seq: z.coerce.number().int().min(0).default(0),
      limit: Limit(100, 1000),
    }),
  },
  responses: {
    200: { description: "Audit events", content: { "application/json": { schema: z.object({ events: z.array(AuditEventBody) }) } } },
    ...errorResponses(400, 401, 403),
  },
});

const verify = createRoute({
  method: "get",
  path: "/api/v1/audit/verify",
  tags: ["audit"],
  summary: "Recompute the keyed chain, check the stored checkpoints, replay case state; report the first broken link and mismatches",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Result of the verification", content: { "application/json": { schema: AuditVerificationBody } } },
    ...errorResponses(401, 403),
  },
});

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const events = await listAudit(deps.db, { caseId: q.case_id, afterSeq: q.after_seq, limit: q.limit });
    return c.json({ events }, 200);
  });
  app.openapi(verify, async (c) => {
    const result = await verifyAuditChain(deps.db);
    return c.json(
      {
        ok: result.ok,
        checked: result.checked,
        firstBroken: result.firstBroken ?? null,
        head: result.head ?? null,
        keyed: result.keyed,
        checkpoints: result.checkpoints,
        cases: result.cases ?? null,
      },
      200,
    );
  });
}
