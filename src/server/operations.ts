import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context.js";

/**
 * The OpenAPI operationId of every route, by `METHOD path`: stable names that client generators turn into
 * method names. A new route needs one here (app.test.ts fails otherwise); never rename one, clients use it.
 */
export const OPERATION_IDS: Readonly<Record<string, string>> = {
  "GET /healthz": "getLiveness",
  "GET /readyz": "getReadiness",
  "GET /api/v1/health": "getHealth",
  "POST /api/v1/alerts": "ingestAlerts",
  "GET /api/v1/alerts": "listAlerts",
  "GET /api/v1/alerts/{id}": "getAlert",
  "POST /api/v1/events": "ingestEvents",
  "GET /api/v1/events": "searchEvents",
  "GET /api/v1/events/around": "getEventsAround",
  "GET /api/v1/events/process-tree": "getProcessTree",
  "GET /api/v1/connectors": "listConnectors",
  "GET /api/v1/context/gaps": "getContextGaps",
  "GET /api/v1/cases": "listCases",
  "GET /api/v1/cases/{id}": "getCase",
  "PATCH /api/v1/cases/{id}": "updateCase",
  "POST /api/v1/cases/{id}/transition": "transitionCase",
  "GET /api/v1/cases/{id}/comments": "listCaseComments",
  "POST /api/v1/cases/{id}/comments": "addCaseComment",
  "GET /api/v1/cases/{id}/similar": "listSimilarCases",
  "GET /api/v1/cases/{id}/audit": "listCaseAudit",
  "GET /api/v1/cases/{id}/decisions": "listCaseDecisions",
  "GET /api/v1/cases/{id}/runs": "listCaseRuns",
  "GET /api/v1/runs": "listRuns",
  "GET /api/v1/runs/{id}": "getRun",
  "GET /api/v1/audit": "listAudit",
  "GET /api/v1/audit/verify": "verifyAudit",
  "POST /api/v1/tokens": "createToken",
  "GET /api/v1/tokens": "listTokens",
  "DELETE /api/v1/tokens/{id}": "revokeToken",
  "GET /journal/{path}": "getJournalFile",
  "GET /": "redirectToJournal",
  "GET /login": "loginToJournal",
  "POST /api/v1/webhooks/{sender}": "receiveSenderWebhook",
  "GET /api/v1/response/actions": "listResponseActions",
  "GET /api/v1/response/actions/{id}": "getResponseAction",
  "POST /api/v1/response/actions/{id}/approve": "approveResponseAction",
  "POST /api/v1/response/actions/{id}/deny": "denyResponseAction",
  "POST /api/v1/response/actions/{id}/edit": "editResponseAction",
  "POST /api/v1/response/actions/{id}/confirm": "confirmResponseAction",
  "POST /api/v1/response/actions/{id}/rollback": "rollbackResponseAction",
  "GET /api/v1/response/policy": "getResponsePolicy",
  "POST /api/v1/response/policy/check": "checkResponsePolicy",
};

/** Sets each registered route's operationId from OPERATION_IDS (a route already naming its own keeps it). */
export function applyOperationIds(app: OpenAPIHono<AppEnv>): void {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const route = definition.route;
    route.operationId ??= OPERATION_IDS[`${route.method.toUpperCase()} ${route.path}`];
  }
}
