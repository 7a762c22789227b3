import { createServer } from "node:http";
import { listenOnLoopback, readRequestBody } from "../../core/index.js";

/** Loopback fakes of the vendor APIs the connectors call (tests only). */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: unknown;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeApi {
  url: string;
  requests: FakeRequest[];
  /** The next requests matching `match` (method and path prefix, e.g. "POST /api/machines") get these answers first. */
  inject(match: string, ...responses: FakeResponse[]): void;
  /** Tokens issued by the fake's OAuth endpoint; `revoke()` makes the current ones answer 401. */
  tokens: { issued: string[]; revoke(): void };
  close(): Promise<void>;
}

/**
 * A vendor API on 127.0.0.1: `POST /{tenant}/oauth2/v2.0/token` (Entra ID client credentials: a form body,
 * `{token_type, expires_in, access_token}`), bearer checks (401 with Microsoft's error body for an unknown
 * token), injected answers, and `route` for the rest.
 */
export async function startFakeApi(route: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>, options: { bearer?: boolean } = {}): Promise<FakeApi> {
  const requests: FakeRequest[] = [];
  const injected: { match: string; response: FakeResponse }[] = [];
  const issued: string[] = [];
  const valid = new Set<string>();
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readRequestBody(req);
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      let body: unknown = raw;
      try {
        body = raw && String(req.headers["content-type"] ?? "").includes("json") ? JSON.parse(raw) : raw;
      } catch {
        /* keep the text */
      }
      const request: FakeRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, raw, body };
      requests.push(request);
      const reply = (r: FakeResponse) => {
        res.writeHead(r.status, { ...(r.body !== undefined ? { "content-type": "application/json" } : {}), ...r.headers });
        res.end(r.body === undefined ? undefined : typeof r.body === "string" ? r.body : JSON.stringify(r.body));
      };
      if (request.method === "POST" && /\/oauth2\/v2\.0\/token$/.test(request.path)) {
        const form = new URLSearchParams(raw);
        if (form.get("client_secret") !== "s3cret-value") return reply({ status: 401, body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." } });
        const token = `tok-${issued.length + 1}`;
        issued.push(token);
        valid.add(token);
        return reply({ status: 200, body: { token_type: "Bearer", expires_in: 3599, access_token: token } });
      }
      const key = `${request.method} ${request.path}`;
      const index = injected.findIndex((i) => key.startsWith(i.match));
      if (index >= 0) return reply(injected.splice(index, 1)[0]!.response);
      if (options.bearer !== false) {
        const auth = String(req.headers.authorization ?? "");
        if (!valid.has(auth.replace(/^Bearer /, ""))) return reply({ status: 401, body: { error: { code: "Unauthorized", message: "Invalid access token" } } });
      }
      reply(await route(request));
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    requests,
    inject: (match, ...responses) => injected.push(...responses.map((response) => ({ match, response }))),
    tokens: { issued, revoke: () => valid.clear() },
    close: listening.close,
  };
}

/** A ConnectorContext whose sleeps are recorded, not waited. */
export function recordingContext(start = "2026-11-24T10:00:00Z") {
  const slept: number[] = [];
  let now = new Date(start).getTime();
  return {
    slept,
    clock: { now: () => new Date(now) },
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}
