import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AgentName, NotFoundError, RunExport, RunStatus } from "../../core/index.js";
import { getCase } from "../../cases/index.js";
import { CaseRunSummary, RunBrief, exportRun, listRuns, runBrief, runSummary } from "../../crew/runs/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";
import { CaseIdParam, Limit, Offset } from "./schemas.js";

export const RunBriefBody = RunBrief.meta({ id: "RunBrief" });
export const CaseRunSummaryBody = CaseRunSummary.meta({ id: "CaseRunSummary" });
const RunExportBody = RunExport.meta({ id: "RunExport", description: 'A run, what it was given and every step ("nightshift.run.v1")' });

const RunIdParam = z.object({ id: z.string().min(1).max(200).openapi({ description: "a run id" }) });

const TraceFlag = z
  .enum(["true", "false"])
  .default("true")
  .transform((value) => value === "true")
  .openapi({ type: "string", description: "false leaves the trace entries out (the run and its input only)" });

const caseRuns = createRoute({
  method: "get",
  path: "/api/v1/cases/{id}/runs",
  tags: ["cases", "runs"],
  summary: "The crew's runs on a case: totals (tokens, cost), failures and each run in brief, oldest first",
  middleware: [requireRole("viewer")] as const,
  request: { params: CaseIdParam },
  responses: {
    200: { description: "The case's runs", content: { "application/json": { schema: CaseRunSummaryBody } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/runs",
  tags: ["runs"],
  summary: "Agent runs, newest first",
  middleware: [requireRole("viewer")] as const,
  request: {
    query: z.object({
      case_id: z.string().min(1).optional(),
      agent: AgentName.optional(),
      status: RunStatus.optional(),
      limit: Limit(50, 1000),
      offset: Offset(),
    }),
  },
  responses: {
    200: { description: "Runs", content: { "application/json": { schema: z.object({ runs: z.array(RunBriefBody) }) } } },
    ...errorResponses(400, 401, 403),
  },
});

const one = createRoute({
  method: "get",
  path: "/api/v1/runs/{id}",
  tags: ["runs"],
  summary: "One run exported: the run, its input and its trace (every request, response, tool call and result)",
  middleware: [requireRole("viewer")] as const,
  request: { params: RunIdParam, query: z.object({ trace: TraceFlag }) },
  responses: {
    200: { description: "The run", content: { "application/json": { schema: RunExportBody } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

export function registerRunRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  const { db } = deps;
  app.openapi(caseRuns, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await getCase(db, id))) throw new NotFoundError(`case ${id}`);
    return c.json(await runSummary(db, id), 200);
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const runs = await listRuns(db, { caseId: q.case_id, agent: q.agent, status: q.status, limit: q.limit, offset: q.offset });
    return c.json({ runs: runs.map(runBrief) }, 200);
  });
  app.openapi(one, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await exportRun(db, id, { trace: c.req.valid("query").trace }), 200);
  });
}
