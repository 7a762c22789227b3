import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { parseJson } from "../core/index.js";
import { accessLog } from "./access-log.js";
import { authenticateRequest } from "./auth/middleware.js";
import { SIGNATURE_HEADER } from "./auth/signature.js";
import type { AppEnv, ServerDeps } from "./context.js";
import { errorJson, handleError, validationHook } from "./errors.js";
import { registerAlertRoutes } from "./routes/alerts.js";
import { registerAuditRoutes } from "./routes/audit.js";
import { registerCaseRoutes } from "./routes/cases.js";
import { registerConnectorRoutes } from "./routes/connectors.js";
import { registerContextRoutes } from "./routes/context.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerJournalRoutes } from "./routes/journal.js";
import { registerMcpRoutes } from "./routes/mcp.js";
import { registerResponseRoutes } from "./routes/response.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerTokenRoutes } from "./routes/tokens.js";
import { isSenderWebhook, registerWebhookRoutes } from "./routes/webhooks.js";
import { applyOperationIds } from "./operations.js";
import { nightshiftVersion } from "./version.js";

export type { ServerDeps } from "./context.js";

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const OPENAPI_PATH = "/api/docs";

/** The routes that also accept a webhook signature instead of a token: posting alerts and raw events. */
const WEBHOOK_PATHS = new Set(["/api/v1/alerts", "/api/v1/events"]);
function isAlertWebhook(c: Context<AppEnv>): boolean {
  return c.req.method === "POST" && WEBHOOK_PATHS.has(c.req.path);
}

export function createHttpApp(deps: ServerDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(handleError);
  app.use("*", accessLog());
  app.notFound((c) => errorJson(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.use("*", secureHeaders());
  app.use("*", bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => errorJson(c, 413, "request body larger than 10 MB") }));
  const apiAuth = authenticateRequest(deps, { acceptsSignature: isAlertWebhook });
  // Sender webhooks check the sender's own credential in their route (an HMAC, a header, basic auth).
  // The OpenAPI document is public: it describes the API, never data (client generators fetch it without a token).
  app.use("/api/*", (c, next) => (isSenderWebhook(c) || (c.req.method === "GET" && c.req.path === OPENAPI_PATH) ? next() : apiAuth(c, next)));
  // JSON bodies keep big integers exact (a 64-bit id read as a double would merge two alerts): every
  // route's validator reads the body through c.req.json(), which this replaces for the request.
  app.use("/api/*", (c, next) => {
    c.req.json = async <T>() => parseJson(await c.req.text()) as T;
    return next();
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A token from `nightshift token create --role viewer|analyst|admin` or POST /api/v1/tokens",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "webhookSignature", {
    type: "apiKey",
    in: "header",
    name: SIGNATURE_HEADER,
    description:
      "sha256=<hex HMAC-SHA256 of the raw body with webhook_secret>; with X-Nightshift-Timestamp (epoch seconds, within 5 minutes) the HMAC covers `${timestamp}.${body}`",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "journalCookie", {
    type: "apiKey",
    in: "cookie",
    name: "nightshift_token",
    description: "Set by GET /login?token=…; accepted by the journal only",
  });

  registerHealthRoutes(app, deps);
  registerAlertRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerConnectorRoutes(app, deps);
  registerContextRoutes(app, deps);
  registerCaseRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerJournalRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerMcpRoutes(app, deps);
  registerResponseRoutes(app, deps);
  applyOperationIds(app);

  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "Nightshift API",
      version: nightshiftVersion(),
      description:
        "Alerts in, cases out. Roles: viewer reads; analyst also ingests alerts and works cases; admin also manages tokens.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [{ url: "/", description: "The Nightshift server that serves this document" }],
    security: [{ bearerAuth: [] }],
  });
  return app;
}
