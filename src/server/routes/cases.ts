import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import {
  Actor,
  CaseStatus,
  Decision,
  NotFoundError,
  Priority,
  Severity,
  Verdict,
  type Decision as DecisionRecord,
} from "../../core/index.js";
import {
  addComment,
  getCase,
  listAudit,
  listCases,
  listComments,
  similarCases,
  transitionCase,
  updateCaseTriage,
} from "../../cases/index.js";
import { caseMissingFields, recordCaseFeedback } from "../../context/index.js";
import { runSummary } from "../../crew/runs/index.js";
import { fromJson, type Executor } from "../../store/index.js";
import { actorOf, requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";
import { CaseRunSummaryBody } from "./runs.js";
import { AuditEventBody, CaseBody, CaseIdParam, CommentBody, Limit, Offset } from "./schemas.js";

const StatusFilter = z
  .string()
  .transform((text, ctx) => {
    const statuses = text.split(",").map((s) => s.trim()).filter(Boolean);
    const parsed = z.array(CaseStatus).min(1).safeParse(statuses);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: "custom", message: `status must be one or more of ${CaseStatus.options.join(", ")}, comma separated` });
    return z.NEVER;
  })
  .openapi({ type: "string", description: "one status or several, comma separated", example: "new,in_progress" });

const TriagePatch = z
  .object({ priority: Priority.nullable().optional(), severity: Severity.optional(), tags: z.array(z.string().trim().min(1)).optional() })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, "send at least one of priority, severity, tags")
  .openapi("CaseTriagePatch");

const TransitionRequest = z
  .object({
    to: CaseStatus,
    verdict: Verdict.optional(),
    rationale: z.string().max(20_000).optional(),
    assignee: z
      .union([z.string().trim().min(1), Actor])
      .nullable()
      .optional()
      .openapi({ description: "a person's name, an actor {kind, name}, or null to unassign" }),
  })
  .strict()
  .openapi("CaseTransition");

const CommentRequest = z
  .object({ body: z.string().openapi({ description: "Markdown" }) })
  .strict()
  .openapi("CommentInput");

const SimilarCaseBody = z
  .object({
    case_id: z.string(),
    title: z.string(),
    status: z.string(),
    verdict: z.string().nullable(),
    shared: z.array(z.object({ type: z.string(), value: z.string() })),
    score: z.number(),
  })
  .openapi("SimilarCase");

const DecisionBody = Decision.meta({ id: "Decision" });

const caseRoute = <M extends "get" | "patch" | "post">(method: M, suffix: string) => ({
  method,
  path: `/api/v1/cases/{id}${suffix}`,
  tags: ["cases"],
  request: { params: CaseIdParam },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/cases",
  tags: ["cases"],
  summary: "List cases, newest first",
  middleware: [requireRole("viewer")] as const,
  request: { query: z.object({ status: StatusFilter.optional(), limit: Limit(50, 500), offset: Offset() }) },
  responses: {
    200: { description: "Cases", content: { "application/json": { schema: z.object({ cases: z.array(CaseBody) }) } } },
    ...errorResponses(400, 401, 403),
  },
});

const CaseView = CaseBody.extend({
  missing_fields: z.array(z.string()).openapi({ description: "the union of its alerts' missing context field paths, sorted" }),
  missing_counts: z.record(z.string(), z.number().int()).openapi({ description: "per missing field path, how many of its alerts lack it" }),
  runs: CaseRunSummaryBody,
}).openapi("CaseView");

const get = createRoute({
  ...caseRoute("get", ""),
  summary: "One case with its alert ids, observables and missing context",
  middleware: [requireRole("viewer")] as const,
  responses: { 200: { description: "The case", content: { "application/json": { schema: CaseView } } }, ...errorResponses(400, 401, 403, 404) },
});

const patch = createRoute({
  ...caseRoute("patch", ""),
  request: { params: CaseIdParam, body: { required: true, content: { "application/json": { schema: TriagePatch } } } },
  summary: "Change priority, severity or tags (analyst)",
  middleware: [requireRole("analyst")] as const,
  responses: {
    200: { description: "The updated case", content: { "application/json": { schema: CaseBody } } },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const transition = createRoute({
  ...caseRoute("post", "/transition"),
  request: { params: CaseIdParam, body: { required: true, content: { "application/json": { schema: TransitionRequest } } } },
  summary: "Move a case along its workflow (analyst); closing or resolving needs a verdict and a rationale",
  middleware: [requireRole("analyst")] as const,
  responses: {
    200: {
      description: "The case after the move",
      content: { "application/json": { schema: CaseBody.extend({ held_for_human: z.boolean() }).openapi("TransitionResult") } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const comments = createRoute({
  ...caseRoute("get", "/comments"),
  summary: "A case's comments, oldest first",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Comments", content: { "application/json": { schema: z.object({ comments: z.array(CommentBody) }) } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const comment = createRoute({
  ...caseRoute("post", "/comments"),
  request: { params: CaseIdParam, body: { required: true, content: { "application/json": { schema: CommentRequest } } } },
  summary: "Add a Markdown comment (analyst)",
  middleware: [requireRole("analyst")] as const,
  responses: {
    201: { description: "The comment", content: { "application/json": { schema: CommentBody } } },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const similar = createRoute({
  ...caseRoute("get", "/similar"),
  request: { params: CaseIdParam, query: z.object({ limit: Limit(10, 100) }) },
  summary: "Other cases sharing observables with this one, best first",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Similar cases", content: { "application/json": { schema: z.object({ cases: z.array(SimilarCaseBody) }) } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const audit = createRoute({
  ...caseRoute("get", "/audit"),
  request: { params: CaseIdParam, query: z.object({ after_seq: z.coerce.number().int().min(0).default(0), limit: Limit(100, 1000) }) },
  summary: "The case's audit events in chain order",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Audit events", content: { "application/json": { schema: z.object({ events: z.array(AuditEventBody) }) } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const decisions = createRoute({
  ...caseRoute("get", "/decisions"),
  summary: "The crew's decisions on the case (each agent output with its trace), oldest first",
  middleware: [requireRole("viewer")] as const,
  responses: {
    200: { description: "Decisions", content: { "application/json": { schema: z.object({ decisions: z.array(DecisionBody) }) } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Decision rows as records, output parsed: read here because no stage exports a query for them yet. */
export async function listDecisions(ex: Executor, caseId: string): Promise<DecisionRecord[]> {
  const rows = await ex.selectFrom("decisions").selectAll().where("case_id", "=", caseId).orderBy("created_at").orderBy("id").execute();
  return rows.map((row) => ({
    id: row.id,
    case_id: row.case_id,
    agent: row.agent as DecisionRecord["agent"],
    tier: Number(row.tier),
    schema_version: Number(row.schema_version),
    verdict: row.verdict,
    output: fromJson<Record<string, unknown>>(row.output, {}),
    analyst: row.analyst,
    duration_ms: Number(row.duration_ms),
    created_at: row.created_at,
  }));
}

async function requireCase(ex: Executor, id: string) {
  const found = await getCase(ex, id);
  if (!found) throw new NotFoundError(`case ${id}`);
  return found;
}

export function registerCaseRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  const { db, clock } = deps;
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    return c.json({ cases: await listCases(db, { status: q.status, limit: q.limit, offset: q.offset }) }, 200);
  });
  app.openapi(get, async (c) => {
    const found = await requireCase(db, c.req.valid("param").id);
    return c.json({ ...found, ...(await caseMissingFields(db, found.id)), runs: await runSummary(db, found.id) }, 200);
  });
  app.openapi(patch, async (c) => {
    const { id } = c.req.valid("param");
    const fields = c.req.valid("json");
    const updated = await db.transaction().execute((trx) => updateCaseTriage(trx, id, fields, actorOf(c), clock));
    return c.json(updated, 200);
  });
  app.openapi(transition, async (c) => {
    const { id } = c.req.valid("param");
    const { assignee, ...rest } = c.req.valid("json");
    const actor = actorOf(c);
    const change = {
      ...rest,
      actor,
      ...(assignee === undefined ? {} : { assignee: typeof assignee === "string" ? { kind: "human" as const, name: assignee } : assignee }),
    };
    const moved = await db.transaction().execute(async (trx) => {
      const result = await transitionCase(trx, id, change, clock);
      // A human's verdict on closing or resolving feeds the analyst feedback the crew learns from (context/feedback.ts).
      if (actor.kind === "human" && change.verdict && (change.to === "closed" || change.to === "resolved")) await recordCaseFeedback(trx, id, change.verdict, { clock });
      return result;
    });
    return c.json(moved, 200);
  });
  app.openapi(comments, async (c) => {
    const { id } = c.req.valid("param");
    await requireCase(db, id);
    return c.json({ comments: await listComments(db, id) }, 200);
  });
  app.openapi(comment, async (c) => {
    const { id } = c.req.valid("param");
    const { body } = c.req.valid("json");
    const added = await db.transaction().execute((trx) => addComment(trx, id, { author: actorOf(c), body }, clock));
    return c.json(added, 201);
  });
  app.openapi(similar, async (c) => {
    const { id } = c.req.valid("param");
    await requireCase(db, id);
    return c.json({ cases: await similarCases(db, id, c.req.valid("query").limit) }, 200);
  });
  app.openapi(audit, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    await requireCase(db, id);
    return c.json({ events: await listAudit(db, { caseId: id, afterSeq: q.after_seq, limit: q.limit }) }, 200);
  });
  app.openapi(decisions, async (c) => {
    const { id } = c.req.valid("param");
    await requireCase(db, id);
    return c.json({ decisions: await listDecisions(db, id) }, 200);
  });
}
