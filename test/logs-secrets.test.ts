import { createHmac } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApp, serveApp, type App, type RunningService } from "../src/app/index.js";
import { createLogger, listenOnLoopback, setLogger, type Logger } from "../src/core/index.js";
import { startScriptedServer, type ScriptedServer } from "../src/crew/model/scripted-server.js";
import { createToken } from "../src/server/auth/tokens.js";
import { cliEnvironment } from "./support/environment.js";
import { testStoreKind } from "./support/store.js";

/** Planted secrets: every one of them is used by the running service, and none may reach a log line or a trace. */
const SECRETS = {
  webhook: "whsec-planted-7c1e9a55b2d04f",
  model: "sk-planted-model-key-3f9d2b7a",
  connectorPassword: "es-planted-password-81b3",
  senderToken: "hook-planted-token-5e0c4d2f",
  audit: "audit-planted-key-0123456789abcdef0123456789",
};

const lines: string[] = [];
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${lines.slice(-8).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`structured logs never carry a secret (${testStoreKind()})`, () => {

  let previous: Logger;
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let model: ScriptedServer;
  let elastic: Awaited<ReturnType<typeof listenOnLoopback>>;
  let app: App;
  let service: RunningService;
  let token: string;
  const responses: { id: string | null; path: string }[] = [];

  beforeAll(async () => {
    previous = setLogger(
      createLogger({
        level: "debug",
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
            done();
          },
        }),
      }),
    );
    environment = await cliEnvironment();
    // The model rejects the key and quotes it back, as some providers do: the failure is logged and traced.
    model = await startScriptedServer({ model: "scripted", apiKey: SECRETS.model });
    model.script(() => ({ kind: "error", status: 401, body: { error: { message: `Incorrect API key provided: ${SECRETS.model}` } } }));
    // An Elasticsearch that refuses the connector and echoes the Authorization header it was sent.
    elastic = await listenOnLoopback(
      createServer((req, res) => {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { reason: `unable to authenticate with ${req.headers.authorization}` } }));
      }),
    );
    // Connectors and webhook senders resolve `${NAME}` from the process environment.
    process.env.ES_PASSWORD = SECRETS.connectorPassword;
    process.env.HOOK_TOKEN = SECRETS.senderToken;
    const env = { ...environment.env };
    app = await openApp({
      env,
      overrides: {
        port: 0,
        webhook_secret: SECRETS.webhook,
        audit_key: SECRETS.audit,
        crew: {
          model: { base_url: model.url, model: "scripted", api_key: SECRETS.model, timeout_ms: 5000 },
          tiers: {},
          max_steps: { tora: 4, vera: 4 },
          retry: { max_attempts: 1, base_seconds: 1, max_seconds: 1 },
        },
        connectors: {
          sources: [{ name: "es", kind: "elastic", enabled: true, interval_seconds: 1, url: elastic.url, username: "svc", password: "${ES_PASSWORD}" }],
        },
        webhooks: { senders: [{ name: "hook", template: "alertmanager", enabled: true, auth: { type: "token", value: "Bearer ${HOOK_TOKEN}" } }] },
      },
    });
    // serveApp registers the secrets of the configuration it serves; the environment's come from `env` here.
    service = await serveApp(app);
    token = (await createToken(app.store.db, { role: "analyst", name: "logs-test" })).token;

    // A fresh connection per request (no keep-alive reuse racing the server's idle timeout on a loaded machine).
    const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string; redirect?: string } = {}) =>
      new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${service.url}${path}`, { method: init.method ?? "GET", headers: init.headers ?? {}, agent: false }, (res) => {
          responses.push({ id: (res.headers["x-request-id"] as string | undefined) ?? null, path: path.split("?")[0]! });
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end(init.body);
      });
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    await call("/api/v1/alerts", { method: "POST", headers: auth, body: JSON.stringify({ title: "Beacon", source: "edr", source_id: "e-1", severity: "high", host: "ws-1" }) });
    await call("/api/v1/cases", { headers: auth });
    await call(`/login?token=${token}`, { redirect: "manual" });
    await call("/api/v1/cases", { headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
    const body = JSON.stringify({ title: "Signed", source: "siem", source_id: "s-1", severity: "medium", host: "ws-2" });
    const signature = `sha256=${createHmac("sha256", SECRETS.webhook).update(body).digest("hex")}`;
    await call("/api/v1/alerts", { method: "POST", headers: { "content-type": "application/json", "x-nightshift-signature": signature }, body });
    await call("/api/v1/webhooks/hook", {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.senderToken}`, "content-type": "application/json" },
      body: JSON.stringify({ alerts: [{ status: "firing", labels: { alertname: "Disk" }, annotations: {}, startsAt: "2026-11-24T08:00:00Z", fingerprint: "f1" }] }),
    });
    await call("/api/v1/health", { headers: { authorization: `Bearer ${SECRETS.webhook}`, "x-request-id": "proxy-id-42" } });
    await until(async () => model.requests.length > 0, "a model request");
    await until(async () => lines.some((l) => l.includes('"connector run failed"')), "the connector's failure");
    await until(async () => lines.some((l) => l.includes('"job failed"')) || (await app.store.db.selectFrom("agent_runs").select("id").executeTakeFirst()) !== undefined, "a crew run");
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await app?.close();
    await model?.close();
    await elastic?.close();
    await environment?.cleanup();
    setLogger(previous);
    delete process.env.ES_PASSWORD;
    delete process.env.HOOK_TOKEN;
  });

  it("writes JSON lines with a level, a time, and an access line per request carrying its request id", () => {
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of parsed) {
      expect(["trace", "debug", "info", "warn", "error", "fatal"]).toContain(line.level);
      expect(typeof line.time).toBe("string");
    }
    const access = parsed.filter((l) => l.msg === "request");
    for (const response of responses) {
      expect(response.id).toBeTruthy();
      expect(access.some((l) => l.req_id === response.id && l.path === response.path), response.path).toBe(true);
    }
    expect(responses.find((r) => r.path === "/api/v1/health")!.id).toBe("proxy-id-42");
    expect(access.find((l) => l.path === "/login")).not.toHaveProperty("query");
    expect(parsed.some((l) => l.msg === "serving")).toBe(true);
  });

  it("never writes a planted secret or an API token in the logs", () => {
    const text = lines.join("\n");
    expect(text.length).toBeGreaterThan(0);
    for (const [name, secret] of Object.entries(SECRETS)) expect(text.includes(secret), name).toBe(false);
    expect(text.includes(token)).toBe(false);
    expect(text.includes(token.slice(3, 30))).toBe(false);
    expect(text.includes(Buffer.from(`svc:${SECRETS.connectorPassword}`).toString("base64"))).toBe(false);
  });

  async function secretsIn(tables: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (const table of tables) {
      const rows = JSON.stringify(await app.store.db.selectFrom(table as "alerts").selectAll().execute());
      for (const [name, secret] of Object.entries(SECRETS)) if (rows.includes(secret)) found.push(`${name} in ${table}`);
      if (rows.includes(token)) found.push(`token in ${table}`);
    }
    return found;
  }

  it("never stores a planted secret in the tables of record: alerts, jobs, decisions, connector state", async () => {
    expect(await secretsIn(["decisions", "connector_state", "alerts", "jobs", "tokens"])).toEqual([]);
  });

  // A provider error that quotes the model API key (as OpenAI's "Incorrect API key provided: sk-…" does) was
  // stored verbatim in the run's failure, its trace and the audit chain; the runtime now redacts the settings'
  // key and secret headers from what the provider says before recording it.
  it("never stores the model API key in the crew's runs, traces or audit events", async () => {
    expect(await secretsIn(["agent_runs", "trace_entries", "audit_events"])).toEqual([]);
  });
});
