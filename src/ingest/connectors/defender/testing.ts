import type { Fault } from "../fault.js";
import { createServer, type Server } from "node:http";
import { listenOnLoopback, readRequestBody } from "../../../core/index.js";

/**
 * A loopback Microsoft identity platform + Graph security API + MDE API, reproducing the documented
 * requests and responses this connector relies on:
 *
 * - Token: `POST /{tenant}/oauth2/v2.0/token`, form body client_id, client_secret, scope,
 *   grant_type=client_credentials → `{token_type: "Bearer", expires_in, ext_expires_in, access_token}`;
 *   a wrong secret → 401 `{error: "invalid_client", error_description: "AADSTS7000215: …"}`, an unknown
 *   tenant → 400 `{error: "invalid_request", …AADSTS90002…}` (Microsoft identity platform, "OAuth 2.0
 *   client credentials flow", learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
 * - `GET /v1.0/security/alerts_v2` — microsoftgraph/microsoft-graph-docs-contrib
 *   api-reference/v1.0/api/security-list-alerts_v2.md: query parameters `$count, $filter, $skip, $top`
 *   (no `$orderby`), `$filter` on createdDateTime/lastUpdateDateTime among others, "Use
 *   @odata.nextLink for pagination", "The most recent alerts are displayed at the top of the list";
 *   response `{value: [alert…], @odata.nextLink?}` with the alert resource of
 *   api-reference/v1.0/resources/security-alert.md (evidence with @odata.type
 *   #microsoft.graph.security.deviceEvidence, processEvidence, fileEvidence, userEvidence, ipEvidence, urlEvidence).
 * - `GET /v1.0/security/alerts_v2/{id}` — security-alert-get.md: the alert, 404 when unknown.
 * - An expired or revoked bearer token → 401 `{error: {code: "InvalidAuthenticationToken", message}}`.
 * - `GET /api/machines` — learn.microsoft.com/defender-endpoint/api/get-machines: OData `$filter` on
 *   lastSeen (among others), `$top` (max 10,000), `$skip`; response `{@odata.context, value: [machine…]}`
 *   with the Machine resource (id, computerDnsName, firstSeen, lastSeen, osPlatform, version, osBuild,
 *   lastIpAddress, lastExternalIpAddress, healthStatus "Active", riskScore "High", exposureLevel,
 *   machineTags, ipAddresses [{ipAddress, macAddress, operationalStatus: "Up"}], onboardingStatus).
 *
 * Scripted faults are served first, one per request, before authentication.
 */
export type { Fault } from "../fault.js";

export type { OAuthRecordedRequest as RecordedRequest } from "../fault.js";
import type { OAuthRecordedRequest as RecordedRequest } from "../fault.js";

export interface FakeDefenderOptions {
  tenant: string;
  clientId: string;
  clientSecret: string;
  expiresIn?: number;
  alerts?: Record<string, unknown>[];
  machines?: Record<string, unknown>[];
}

export interface FakeDefender {
  url: string;
  alerts: Record<string, unknown>[];
  machines: Record<string, unknown>[];
  faults: Fault[];
  requests: RecordedRequest[];
  /** Tokens issued so far. */
  issued: string[];
  /** The list omits `evidence` (as a $select would): the connector must ask for the detail. */
  listOmitsEvidence: boolean;
  /** The machines list sends `@odata.nextLink` (true) or leaves the client to page with `$skip`. */
  machinesNextLink: boolean;
  /** Makes every token issued so far invalid (a revoked or expired token). */
  revokeTokens(): void;
  /** Refuses every bearer token, even new ones (a missing admin consent shows this way). */
  refuseAllTokens: boolean;
  /** Echo the refused bearer token in the 401 body (a misbehaving proxy: proves redaction). */
  echoToken: boolean;
  /** Alert ids whose detail request answers 404 (deleted or merged since the list). */
  missingDetail: Set<string>;
  /** Leaves the n-th request (1-based) unanswered; resolves when it arrives. */
  hold(n: number): Promise<void>;
  close(): Promise<void>;
}



/** `createdDateTime ge 2026-11-24T10:00:00.000Z` (one comparison, the connector's only use of $filter). */
function filterOf(expression: string | undefined): { field: string; op: string; value: number } | null {
  if (!expression) return null;
  const match = /^\s*(\w+)\s+(ge|gt|le|lt|eq)\s+(\S+)\s*$/.exec(expression);
  if (!match) throw new Error(`unsupported $filter: ${expression}`);
  const value = Date.parse(match[3]!.replace(/^'|'$/g, ""));
  if (!Number.isFinite(value)) throw new Error(`not a DateTimeOffset: ${match[3]}`);
  return { field: match[1]!, op: match[2]!, value };
}

function passes(record: Record<string, unknown>, filter: ReturnType<typeof filterOf>): boolean {
  if (!filter) return true;
  const v = Date.parse(String(record[filter.field] ?? ""));
  if (!Number.isFinite(v)) return false;
  switch (filter.op) {
    case "ge":
      return v >= filter.value;
    case "gt":
      return v > filter.value;
    case "le":
      return v <= filter.value;
    case "lt":
      return v < filter.value;
    default:
      return v === filter.value;
  }
}

export async function startFakeDefender(options: FakeDefenderOptions): Promise<FakeDefender> {
  const state = {
    alerts: [...(options.alerts ?? [])],
    machines: [...(options.machines ?? [])],
    faults: [] as Fault[],
    requests: [] as RecordedRequest[],
    issued: [] as string[],
    valid: new Set<string>(),
    listOmitsEvidence: false,
    machinesNextLink: true,
    refuseAllTokens: false,
    echoToken: false,
    missingDetail: new Set<string>(),
  };
  const holds = new Map<number, () => void>();
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    const text = await readRequestBody(req);
    const parsedUrl = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(parsedUrl.searchParams.entries());
    const form = req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(text).entries()) : {};
    const path = decodeURIComponent(parsedUrl.pathname);
    state.requests.push({ method: req.method ?? "", path, query, authorization: req.headers.authorization, form });
    const held = holds.get(state.requests.length);
    if (held) return held();
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const fault = state.faults.shift();
    if (fault) return send(fault.status, fault.body ?? { error: { code: "fault", message: `scripted ${fault.status}` } }, fault.headers);

    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (token) {
      if (req.method !== "POST") return send(405, { error: "invalid_request" });
      if (token[1] !== options.tenant)
        return send(400, { error: "invalid_request", error_description: `AADSTS90002: Tenant '${token[1]}' not found.`, error_codes: [90002] });
      if (form.grant_type !== "client_credentials" || !form.scope?.endsWith("/.default"))
        return send(400, { error: "invalid_request", error_description: "AADSTS900144: The request body must contain the following parameter: 'grant_type'." });
      if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret)
        return send(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.", error_codes: [7000215] });
      const accessToken = `eyJ0eXAiOiJKV1Qi.fake-${state.issued.length + 1}-${Math.random().toString(36).slice(2, 10)}`;
      state.issued.push(accessToken);
      state.valid.add(accessToken);
      return send(200, { token_type: "Bearer", expires_in: options.expiresIn ?? 3599, ext_expires_in: options.expiresIn ?? 3599, access_token: accessToken });
    }

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer || !state.valid.has(bearer) || state.refuseAllTokens) {
      const message = `Access token has expired or is not yet valid.${state.echoToken ? ` Token: ${bearer}` : ""}`;
      return send(401, { error: { code: "InvalidAuthenticationToken", message, innerError: { date: "2026-11-24T10:00:00" } } });
    }

    const page = (records: Record<string, unknown>[], sortField: string, nextLink: boolean, context: string, shape: (r: Record<string, unknown>) => Record<string, unknown>) => {
      let filter: ReturnType<typeof filterOf>;
      try {
        filter = filterOf(query.$filter);
      } catch (error) {
        return send(400, { error: { code: "BadRequest", message: (error as Error).message } });
      }
      const hits = records.filter((r) => passes(r, filter)).sort((a, b) => Date.parse(String(b[sortField])) - Date.parse(String(a[sortField])));
      const top = Number(query.$top ?? 100);
      const skip = Number(query.$skip ?? 0);
      const value = hits.slice(skip, skip + top).map(shape);
      const body: Record<string, unknown> = { "@odata.context": `${origin}${context}`, value };
      if (nextLink && skip + top < hits.length) {
        const next = new URL(`${origin}${parsedUrl.pathname}`);
        for (const [k, v] of Object.entries(query)) if (k !== "$skip") next.searchParams.set(k, v);
        next.searchParams.set("$skip", String(skip + top));
        body["@odata.nextLink"] = next.toString();
      }
      return send(200, body);
    };

    if (req.method === "GET" && path === "/v1.0/security/alerts_v2")
      return page(state.alerts, "createdDateTime", true, "/v1.0/$metadata#security/alerts_v2", (alert) => {
        if (!state.listOmitsEvidence) return alert;
        const { evidence: _omitted, ...rest } = alert;
        return rest;
      });
    const one = /^\/v1\.0\/security\/alerts_v2\/([^/]+)$/.exec(path);
    if (req.method === "GET" && one) {
      const alert = state.missingDetail.has(one[1]!) ? undefined : state.alerts.find((a) => a.id === one[1]);
      return alert ? send(200, { "@odata.context": `${origin}/v1.0/$metadata#security/alerts_v2/$entity`, ...alert }) : send(404, { error: { code: "NotFound", message: "Alert not found" } });
    }
    if (req.method === "GET" && path === "/api/machines") return page(state.machines, "lastSeen", state.machinesNextLink, "/api/$metadata#Machines", (m) => m);
    send(404, { error: { code: "NotFound", message: `no handler for ${req.method} ${path}` } });
  });
  const loopback = await listenOnLoopback(server);
  origin = loopback.url;
  return {
    url: origin,
    get alerts() {
      return state.alerts;
    },
    get machines() {
      return state.machines;
    },
    faults: state.faults,
    requests: state.requests,
    issued: state.issued,
    get listOmitsEvidence() {
      return state.listOmitsEvidence;
    },
    set listOmitsEvidence(value: boolean) {
      state.listOmitsEvidence = value;
    },
    get machinesNextLink() {
      return state.machinesNextLink;
    },
    set machinesNextLink(value: boolean) {
      state.machinesNextLink = value;
    },
    revokeTokens: () => state.valid.clear(),
    get refuseAllTokens() {
      return state.refuseAllTokens;
    },
    set refuseAllTokens(value: boolean) {
      state.refuseAllTokens = value;
    },
    get echoToken() {
      return state.echoToken;
    },
    set echoToken(value: boolean) {
      state.echoToken = value;
    },
    missingDetail: state.missingDetail,
    hold: (n) => new Promise<void>((resolve) => holds.set(n, resolve)),
    close: loopback.close,
  };
}

let counter = 0;

/** A Graph security alert (v2) shaped as the documented example: device, file, process, user, IP and URL evidence. */
export function graphAlert(created: string, overrides: { id?: string; severity?: string; device?: string; mitre?: string[]; evidence?: unknown[] } = {}): Record<string, unknown> {
  counter++;
  const id = overrides.id ?? `da6375512276775608${String(counter).padStart(2, "0")}_-96144${String(counter).padStart(4, "0")}`;
  const sha256 = "8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec";
  const mdeDeviceId = "73e7e2de709dff64ef64b1d0c30e67fab63279db";
  return {
    "@odata.type": "#microsoft.graph.security.alert",
    id,
    providerAlertId: id,
    incidentId: "28282",
    status: "new",
    severity: overrides.severity ?? "medium",
    classification: null,
    determination: null,
    serviceSource: "microsoftDefenderForEndpoint",
    detectionSource: "antivirus",
    detectorId: "e0da400f-affd-43ef-b1d5-afc2eb6f2756",
    tenantId: "b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c",
    title: "Suspicious execution of hidden file",
    description: "A hidden file has been launched. This activity could indicate a compromised host.",
    category: "DefenseEvasion",
    assignedTo: null,
    alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=b3c1b5fc`,
    incidentWebUrl: "https://security.microsoft.com/incidents/28282?tid=b3c1b5fc",
    mitreTechniques: overrides.mitre ?? ["T1564.001"],
    createdDateTime: created,
    lastUpdateDateTime: created,
    resolvedDateTime: null,
    firstActivityDateTime: created,
    lastActivityDateTime: created,
    comments: [],
    evidence: overrides.evidence ?? [
      {
        "@odata.type": "#microsoft.graph.security.deviceEvidence",
        createdDateTime: created,
        verdict: "unknown",
        remediationStatus: "none",
        mdeDeviceId,
        deviceDnsName: overrides.device ?? "WS-042.corp.example.com",
        osPlatform: "Windows10",
        osBuild: 22424,
        healthStatus: "active",
        riskScore: "medium",
        ipInterfaces: ["10.20.30.42", "fe80::1c2b:3a4d:5e6f:7081", "not-an-ip"],
        loggedOnUsers: [{ accountName: "jdoe", domainName: "CORP" }],
        roles: ["compromised"],
        tags: ["Test Machine"],
      },
      {
        "@odata.type": "#microsoft.graph.security.fileEvidence",
        createdDateTime: created,
        verdict: "unknown",
        detectionStatus: "detected",
        mdeDeviceId,
        roles: [],
        fileDetails: { sha1: "5f1e8acedc065031aad553b710838eb366cfee9a", sha256, fileName: "MsSense.exe", filePath: "C:\\Program Files\\temp", fileSize: 6136392 },
      },
      {
        "@odata.type": "#microsoft.graph.security.processEvidence",
        createdDateTime: created,
        verdict: "unknown",
        processId: 4780,
        parentProcessId: 668,
        processCommandLine: '"MsSense.exe"',
        detectionStatus: "detected",
        mdeDeviceId,
        roles: [],
        imageFile: { sha1: "5f1e8acedc065031aad553b710838eb366cfee9a", sha256, fileName: "MsSense.exe", filePath: "C:\\Program Files\\temp" },
        parentProcessImageFile: { sha1: null, sha256: null, fileName: "services.exe", filePath: "C:\\Windows\\System32" },
        userAccount: { accountName: "SYSTEM", domainName: "NT AUTHORITY", userSid: "S-1-5-18", userPrincipalName: null, displayName: "System" },
      },
      {
        "@odata.type": "#microsoft.graph.security.userEvidence",
        createdDateTime: created,
        verdict: "suspicious",
        roles: [],
        userAccount: { accountName: "jdoe", domainName: "CORP", userSid: "S-1-5-21-1-2-3-1104", userPrincipalName: "jdoe@corp.example.com", displayName: "Jane Doe" },
      },
      { "@odata.type": "#microsoft.graph.security.ipEvidence", createdDateTime: created, verdict: "malicious", roles: ["attacker"], ipAddress: "203.0.113.7", countryLetterCode: "NL" },
      { "@odata.type": "#microsoft.graph.security.urlEvidence", createdDateTime: created, verdict: "suspicious", roles: [], url: "http://evil.example.net/payload" },
    ],
    systemTags: [],
  };
}

/** An MDE machine shaped as the documented List machines response. */
export function mdeMachine(dns: string, lastSeen: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    id: `1e5bc9d7e413ddd7902c2932e418702b84d0c${String(counter).padStart(3, "0")}`,
    computerDnsName: dns,
    firstSeen: "2026-01-02T14:55:03.7791856Z",
    lastSeen,
    osPlatform: "Windows10",
    version: "22H2",
    osProcessor: "x64",
    lastIpAddress: "10.166.113.46",
    lastExternalIpAddress: "167.220.203.175",
    osBuild: 19045,
    healthStatus: "Active",
    rbacGroupId: 140,
    rbacGroupName: "The-A-Team",
    riskScore: "High",
    exposureLevel: "Medium",
    isAadJoined: true,
    aadDeviceId: "80fe8ff8-2624-418e-9591-41f0491218f9",
    machineTags: ["Tag1", "Tag2"],
    onboardingStatus: "Onboarded",
    ipAddresses: [
      { ipAddress: "10.166.113.47", macAddress: "8CEC4B897E73", operationalStatus: "Up" },
      { ipAddress: "2a01:110:68:4:59e4:3916:3b3e:4f96", macAddress: "8CEC4B897E73", operationalStatus: "Up" },
      { ipAddress: "127.0.0.1", macAddress: "", operationalStatus: "Up" },
    ],
    ...overrides,
  };
}
