import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, issuesOf, logger } from "../core/index.js";

export const Issue = z.object({ path: z.string(), message: z.string() });
export const ErrorBody = z
  .object({ error: z.string(), issues: z.array(Issue).optional() })
  .openapi("Error", { description: "Every error: a message, and for a 400 the offending fields." });
export type ErrorBody = z.infer<typeof ErrorBody>;

const ERROR_DESCRIPTIONS = {
  400: "The request is invalid; `issues` names each offending field and nothing was changed",
  401: "No valid bearer token (or webhook signature)",
  403: "The token's role may not do this",
  404: "Not found",
  409: "The request conflicts with the current state (for example an illegal case transition)",
  413: "The body is larger than 10 MB",
  415: "The body is not JSON",
} as const;
type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** OpenAPI response entries for the errors a route can return. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const out = {} as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorBody } } }>;
  for (const status of statuses)
    out[status] = { description: ERROR_DESCRIPTIONS[status], content: { "application/json": { schema: ErrorBody } } };
  return out;
}

export function errorJson(c: Context, status: ContentfulStatusCode, error: string, issues?: ErrorBody["issues"]) {
  return c.json(issues ? { error, issues } : { error }, status);
}

/** Domain errors become their HTTP status; anything unexpected is a 500 that hides its details. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ValidationError) return errorJson(c, 400, error.message, error.issues);
  if (error instanceof ZodError) return errorJson(c, 400, "invalid request", issuesOf(error));
  if (error instanceof NotFoundError) return errorJson(c, 404, error.message);
  if (error instanceof ConflictError) return errorJson(c, 409, error.message);
  if (error instanceof ForbiddenError) return errorJson(c, 403, error.message);
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const message = status === 413 ? "request body larger than 10 MB" : error.message || "request refused";
    return errorJson(c, status, message);
  }
  logger().error({ req_id: c.get("requestId") as string | undefined, method: c.req.method, path: c.req.path, err: error }, "request failed");
  return errorJson(c, 500, "internal error");
}

/** zod-openapi's validation hook: a failed request schema is a 400 listing each field. */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: ZodError }),
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const where = result.target === "json" ? "body" : result.target;
  return errorJson(c, 400, `invalid request ${where}`, issuesOf(result.error));
}

/** An OpenAPI security requirement satisfied by any one of the named schemes. */
export function anyOf(...schemes: string[]): Record<string, string[]>[] {
  return schemes.map((scheme) => ({ [scheme]: [] }));
}
