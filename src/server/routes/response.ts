import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Criticality } from "../../core/index.js";
import { responseTargetFacts } from "../../context/index.js";
import {
  ACTIONS,
  ActionName,
  AutonomyPolicy,
  ResponseAction,
  approveAction,
  buildActionConnectors,
  confirmAction,
  denyAction,
  editAndApprove,
  evaluatePolicy,
  expireApprovals,
  getAction,
  listActions,
  loadPolicy,
  parseAction,
  requestRollback,
} from "../../respond/index.js";
import type { ActionStatus } from "../../respond/index.js";
import { actorOf, requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorResponses } from "../errors.js";
import { Limit, Offset } from "./schemas.js";

const ActionBody = ResponseAction.meta({ id: "ResponseAction", description: "An action the response tier was asked to take: arguments, hash, policy verdict, approvals, execution outcome" });
const IdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: "id", in: "path" }, description: "a response action id" }) });
const Decision = z.strictObject({
  note: z.string().max(2000).optional(),
  args_hash: z.string().regex(/^[0-9a-f]{64}$/).optional().openapi({ description: "the args_hash the approver was shown: the approval counts only for exactly those arguments" }),
});
const Edit = z.strictObject({ args: z.record(z.string(), z.unknown()), note: z.string().max(2000).optional() });
const Confirm = z.strictObject({ succeeded: z.boolean(), note: z.string().max(2000).optional() });
const Rollback = z.strictObject({ rationale: z.string().trim().min(1).max(4000) });
const PolicyCheck = z.strictObject({
  action: ActionName,
  asset: z.string().min(1).optional().openapi({ description: "a host (or account) whose CMDB facts are looked up" }),
  criticality: Criticality.optional(),
  environment: z.string().min(1).optional(),
  do_not_touch: z.boolean().optional(),
  confidence: z.number().min(0).max(100).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
});
const Verdict = z
  .object({
    decision: z.string(),
    rule: z.string(),
    explanation: z.string(),
    checks: z.array(z.object({ rule: z.string(), matched: z.boolean(), failed: z.array(z.string()) })),
    facts: z.record(z.string(), z.unknown()),
  })
  .openapi("PolicyVerdict");

const json = <S extends z.ZodType>(schema: S) => ({ body: { required: true, content: { "application/json": { schema } } } });
const ok = (description: string) => ({ 200: { description, content: { "application/json": { schema: ActionBody } } } });

const list = createRoute({
  method: "get",
  path: "/api/v1/response/actions",
  tags: ["response"],
  summary: "Response actions, newest first (status may be a comma-separated list, e.g. pending_approval)",
  middleware: [requireRole("viewer")] as const,
  request: { query: z.object({ status: z.string().optional(), case_id: z.string().min(1).optional(), limit: Limit(50, 500), offset: Offset() }) },
  responses: { 200: { description: "Actions", content: { "application/json": { schema: z.object({ actions: z.array(ActionBody) }) } } }, ...errorResponses(400, 401, 403) },
});
const one = createRoute({
  method: "get",
  path: "/api/v1/response/actions/{id}",
  tags: ["response"],
  summary: "One response action",
  middleware: [requireRole("viewer")] as const,
  request: { params: IdParam },
  responses: { ...ok("The action"), ...errorResponses(401, 403, 404) },
});
const approve = createRoute({
  method: "post",
  path: "/api/v1/response/actions/{id}/approve",
  tags: ["response"],
  summary: "Approve (analyst/admin; never the requester; two different people for needs_two_approvals)",
  middleware: [requireRole("analyst")] as const,
  request: { params: IdParam, ...json(Decision) },
  responses: { 200: { description: "The action", content: { "application/json": { schema: ActionBody } } }, ...errorResponses(400, 401, 403, 404, 409, 415) },
});
const deny = createRoute({
  method: "post",
  path: "/api/v1/response/actions/{id}/deny",
  tags: ["response"],
  summary: "Deny: the action never runs",
  middleware: [requireRole("analyst")] as const,
  request: { params: IdParam, ...json(Decision) },
  responses: { 200: { description: "The action", content: { "application/json": { schema: ActionBody } } }, ...errorResponses(400, 401, 403, 404, 409, 415) },
});
const edit = createRoute({
  method: "post",
  path: "/api/v1/response/actions/{id}/edit",
  tags: ["response"],
  summary: "Edit the arguments, then approve: a new request (new hash) judged by the policy afresh supersedes this one",
  middleware: [requireRole("analyst")] as const,
  request: { params: IdParam, ...json(Edit) },
  responses: { 201: { description: "The superseded request and the new one", content: { "application/json": { schema: z.object({ superseded: ActionBody, action: ActionBody }) } } }, ...errorResponses(400, 401, 403, 404, 409, 415) },
});
const confirm = createRoute({
  method: "post",
  path: "/api/v1/response/actions/{id}/confirm",
  tags: ["response"],
  summary: "Confirm a record-only action was carried out by hand (succeeded) or could not be (failed)",
  middleware: [requireRole("analyst")] as const,
  request: { params: IdParam, ...json(Confirm) },
  responses: { 200: { description: "The action", content: { "application/json": { schema: ActionBody } } }, ...errorResponses(400, 401, 403, 404, 409, 415) },
});
const rollback = createRoute({
  method: "post",
  path: "/api/v1/response/actions/{id}/rollback",
  tags: ["response"],
  summary: "Ask for the rollback of an executed action (release, enable, unblock): a new request under the policy",
  middleware: [requireRole("analyst")] as const,
  request: { params: IdParam, ...json(Rollback) },
  responses: { 201: { description: "The action", content: { "application/json": { schema: ActionBody } } }, ...errorResponses(400, 401, 403, 404, 409, 415) },
});
const policyGet = createRoute({
  method: "get",
  path: "/api/v1/response/policy",
  tags: ["response"],
  summary: "The autonomy policy in force (the configured file, or the documented default)",
  middleware: [requireRole("viewer")] as const,
  responses: { 200: { description: "The policy", content: { "application/json": { schema: AutonomyPolicy.meta({ id: "AutonomyPolicy" }) } } }, ...errorResponses(401, 403) },
});
const policyCheck = createRoute({
  method: "post",
  path: "/api/v1/response/policy/check",
  tags: ["response"],
  summary: "What the policy in force would do with an action on a target (the matching rule named)",
  middleware: [requireRole("viewer")] as const,
  request: json(PolicyCheck),
  responses: { 200: { description: "The verdict and why", content: { "application/json": { schema: Verdict } } }, ...errorResponses(400, 401, 403, 415) },
});

function approver(c: Context<AppEnv>): { name: string; role: string } {
  const principal = c.get("principal");
  return { name: actorOf(c).name, role: principal.kind === "token" ? principal.token.role : "webhook" };
}

/** The policy and the action connectors are validated here, when the app is built at startup: a bad one stops the server. */
export function registerResponseRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  // A hand-built configuration (tests) may leave the section out: the defaults apply.
  const respond = deps.config.respond ?? { connectors: [] };
  const loaded = loadPolicy(respond.policy_file);
  buildActionConnectors({ respond, connectors: deps.config.connectors ?? {} });
  const policy = () => loaded;
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    await expireApprovals(deps.db, deps.clock);
    const status = q.status ? (q.status.split(",").map((s) => s.trim()) as ActionStatus[]) : undefined;
    return c.json({ actions: await listActions(deps.db, { status, case_id: q.case_id, limit: q.limit, offset: q.offset }) }, 200);
  });
  app.openapi(one, async (c) => c.json(await getAction(deps.db, c.req.valid("param").id), 200));
  app.openapi(approve, async (c) => {
    const body = c.req.valid("json");
    return c.json(await approveAction(deps.db, c.req.valid("param").id, approver(c), deps.clock, { note: body.note, args_hash: body.args_hash }), 200);
  });
  app.openapi(deny, async (c) => {
    const body = c.req.valid("json");
    return c.json(await denyAction(deps.db, c.req.valid("param").id, approver(c), deps.clock, { note: body.note, args_hash: body.args_hash }), 200);
  });
  app.openapi(edit, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const current = await getAction(deps.db, id);
    const { args } = parseAction(current.action, body.args);
    const spec = ACTIONS[current.action];
    const facts = await responseTargetFacts(deps.db, { kind: spec.target, value: spec.targetOf(args) });
    const result = await editAndApprove(deps.db, id, approver(c), { args: body.args, note: body.note, facts: { criticality: facts.criticality, environment: facts.environment, do_not_touch: facts.do_not_touch } }, { policy: policy(), clock: deps.clock });
    return c.json(result, 201);
  });
  app.openapi(confirm, async (c) => {
    const body = c.req.valid("json");
    return c.json(await confirmAction(deps.db, c.req.valid("param").id, approver(c), body, deps.clock), 200);
  });
  app.openapi(rollback, async (c) => {
    const body = c.req.valid("json");
    return c.json(await requestRollback(deps.db, c.req.valid("param").id, actorOf(c), body.rationale, { policy: policy(), clock: deps.clock }), 201);
  });
  app.openapi(policyGet, async (c) => c.json(policy(), 200));
  app.openapi(policyCheck, async (c) => {
    const body = c.req.valid("json");
    const spec = ACTIONS[body.action];
    const looked = body.asset ? await responseTargetFacts(deps.db, { kind: spec.target === "account" ? "account" : "host", value: body.asset }) : null;
    const verdict = evaluatePolicy(policy(), {
      action: body.action,
      criticality: body.criticality ?? looked?.criticality ?? null,
      environment: body.environment ?? looked?.environment ?? null,
      do_not_touch: body.do_not_touch ?? looked?.do_not_touch ?? false,
      confidence: body.confidence ?? null,
      at: body.at ?? deps.clock.now().toISOString(),
    });
    return c.json(verdict, 200);
  });
}
