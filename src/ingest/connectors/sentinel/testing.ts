import { createServer, type Server } from "node:http";
import { listenOnLoopback, readRequestBody } from "../../../core/index.js";

/**
 * A loopback Microsoft identity platform + Azure Resource Manager serving Microsoft Sentinel's documented
 * REST API (Microsoft.SecurityInsights):
 *
 * - Token: `POST /{tenant}/oauth2/v2.0/token` (client credentials, scope `https://management.azure.com/.default`)
 *   → `{token_type: "Bearer", expires_in, access_token}`; a wrong secret → 401 `{error: "invalid_client"}`.
 * - Incidents - List: `GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/
 *   workspaces/{w}/providers/Microsoft.SecurityInsights/incidents?api-version&$filter&$orderby&$top&$skipToken`
 *   → `{value: [Incident], nextLink?}` (nextLink carries `$skipToken`).
 * - Incidents - List Alerts: `POST …/incidents/{incidentId}/alerts?api-version` → `{value: [SecurityAlert]}`.
 * - A revoked bearer token → 401 `{error: {code: "ExpiredAuthenticationToken", message}}`; throttling → 429
 *   with `Retry-After` (ARM), scripted as faults served before authentication.
 */
export type { Fault } from "../fault.js";
import type { Fault } from "../fault.js";

export type { OAuthRecordedRequest as RecordedRequest } from "../fault.js";
import type { OAuthRecordedRequest as RecordedRequest } from "../fault.js";

export interface FakeSentinel {
  url: string;
  incidents: Record<string, unknown>[];
  /** Alerts by incident name. */
  alerts: Map<string, Record<string, unknown>[]>;
  faults: Fault[];
  requests: RecordedRequest[];
  issued: string[];
  revokeTokens(): void;
  close(): Promise<void>;
}

export const WORKSPACE_PATH = "/subscriptions/sub-1/resourceGroups/soc-rg/providers/Microsoft.OperationalInsights/workspaces/soc-ws/providers/Microsoft.SecurityInsights/incidents";

export function incident(name: string, modified: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `${WORKSPACE_PATH}/${name}`,
    name,
    type: "Microsoft.SecurityInsights/Incidents",
    etag: `"${name}-etag"`,
    properties: {
      title: `Incident ${name}`,
      description: "Multistage attack",
      severity: "High",
      status: "New",
      incidentNumber: Number(name.replace(/\D/g, "") || 1),
      incidentUrl: `https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident${WORKSPACE_PATH}/${name}`,
      createdTimeUtc: modified,
      lastModifiedTimeUtc: modified,
      firstActivityTimeUtc: modified,
      lastActivityTimeUtc: modified,
      owner: { assignedTo: null, userPrincipalName: null },
      additionalData: { alertsCount: 1, tactics: ["InitialAccess"], techniques: [], alertProductNames: ["Azure Sentinel"] },
      ...extra,
    },
  };
}

export function securityAlert(name: string, start: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `/subscriptions/sub-1/resourceGroups/soc-rg/providers/Microsoft.OperationalInsights/workspaces/soc-ws/providers/Microsoft.SecurityInsights/entities/${name}`,
    name,
    type: "Microsoft.SecurityInsights/Entities",
    kind: "SecurityAlert",
    properties: {
      alertDisplayName: `Suspicious sign-in ${name}`,
      description: "Sign-in from an anonymous IP address",
      severity: "Medium",
      status: "New",
      alertType: "ScheduledRule_anon_ip",
      productName: "Azure Sentinel",
      vendorName: "Microsoft",
      providerAlertId: `p-${name}`,
      systemAlertId: name,
      compromisedEntity: "bob@corp.example",
      confidenceScore: 0.8,
      tactics: ["InitialAccess", "CommandAndControl"],
      techniques: ["T1078", "T1071.001"],
      startTimeUtc: start,
      endTimeUtc: start,
      timeGenerated: start,
      ...extra,
    },
  };
}

export async function startFakeSentinel(options: { tenant: string; clientId: string; clientSecret: string }): Promise<FakeSentinel> {
  const state = { incidents: [] as Record<string, unknown>[], alerts: new Map<string, Record<string, unknown>[]>(), faults: [] as Fault[], requests: [] as RecordedRequest[], issued: [] as string[], valid: new Set<string>() };
  const server: Server = createServer(async (req, res) => {
    const text = await readRequestBody(req);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams.entries());
    const form = req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(text).entries()) : {};
    const path = decodeURIComponent(url.pathname);
    state.requests.push({ method: req.method ?? "", path, query, authorization: req.headers.authorization, form });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const fault = state.faults.shift();
    if (fault) return send(fault.status, fault.body ?? { error: { code: "fault", message: `scripted ${fault.status}` } }, fault.headers);
    if (req.method === "POST" && path === `/${options.tenant}/oauth2/v2.0/token`) {
      if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret)
        return send(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." });
      const token = `eyJ0eXAi.sentinel-${state.issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      state.issued.push(token);
      state.valid.add(token);
      return send(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
    }
    const bearer = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
    if (!state.valid.has(bearer)) return send(401, { error: { code: "ExpiredAuthenticationToken", message: "The access token expiry UTC time is earlier than current UTC time." } });
    if (!query["api-version"]) return send(400, { error: { code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests." } });
    if (req.method === "GET" && path === WORKSPACE_PATH) {
      const filter = /^properties\/lastModifiedTimeUtc ge (\S+)$/.exec(query.$filter ?? "");
      if (query.$filter && !filter) return send(400, { error: { code: "BadRequest", message: `unsupported $filter ${query.$filter}` } });
      if (query.$orderby && query.$orderby !== "properties/lastModifiedTimeUtc asc") return send(400, { error: { code: "BadRequest", message: "unsupported $orderby" } });
      const from = filter ? Date.parse(filter[1]!) : -Infinity;
      const modified = (i: Record<string, unknown>) => Date.parse(String((i.properties as Record<string, unknown>).lastModifiedTimeUtc));
      const matching = state.incidents.filter((i) => modified(i) >= from).sort((a, b) => modified(a) - modified(b));
      const skip = Number(query.$skipToken ?? 0);
      const top = Number(query.$top ?? 50);
      const page = matching.slice(skip, skip + top);
      const next = skip + top < matching.length ? new URL(url.toString().replace("http://127.0.0.1", origin)) : null;
      next?.searchParams.set("$skipToken", String(skip + top));
      return send(200, { value: page, ...(next ? { nextLink: next.toString() } : {}) });
    }
    const alertsPath = new RegExp(`^${WORKSPACE_PATH}/([^/]+)/alerts$`).exec(path);
    if (req.method === "POST" && alertsPath) {
      const name = alertsPath[1]!;
      if (!state.incidents.some((i) => i.name === name)) return send(404, { error: { code: "NotFound", message: `incident ${name} not found` } });
      return send(200, { value: state.alerts.get(name) ?? [] });
    }
    return send(404, { error: { code: "NotFound", message: `${req.method} ${path}` } });
  });
  const listening = await listenOnLoopback(server);
  const origin = listening.url;
  return {
    url: listening.url,
    incidents: state.incidents,
    alerts: state.alerts,
    faults: state.faults,
    requests: state.requests,
    issued: state.issued,
    revokeTokens: () => state.valid.clear(),
    close: listening.close,
  };
}
