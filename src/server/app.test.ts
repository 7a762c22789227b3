import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { MAX_BODY_BYTES } from "./app.js";
import { OPERATION_IDS } from "./operations.js";
import { createTestClient, type TestClient } from "./testing.js";

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; license?: { name: string; url?: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, { operationId?: string; security?: Record<string, string[]>[]; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
  security: Record<string, string[]>[];
}

describe(`http app (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock: fixedClock("2026-11-24T10:00:00Z") });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("serves an OpenAPI 3.1 document of every route, readable without a token", async () => {
    const res = await client.request("/api/docs");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDoc;
    expect(await (await client.request("/api/docs", { as: "viewer" })).json()).toEqual(doc);
    expect(doc.info.license).toEqual({ name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" });
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/",
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/audit",
        "/api/v1/audit/verify",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/audit",
        "/api/v1/cases/{id}/comments",
        "/api/v1/cases/{id}/decisions",
        "/api/v1/cases/{id}/runs",
        "/api/v1/cases/{id}/similar",
        "/api/v1/cases/{id}/transition",
        "/api/v1/connectors",
        "/api/v1/context/gaps",
        "/api/v1/events",
        "/api/v1/events/around",
        "/api/v1/events/process-tree",
        "/api/v1/health",
        "/api/v1/response/actions",
        "/api/v1/response/actions/{id}",
        "/api/v1/response/actions/{id}/approve",
        "/api/v1/response/actions/{id}/confirm",
        "/api/v1/response/actions/{id}/deny",
        "/api/v1/response/actions/{id}/edit",
        "/api/v1/response/actions/{id}/rollback",
        "/api/v1/response/policy",
        "/api/v1/response/policy/check",
        "/api/v1/runs",
        "/api/v1/runs/{id}",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/webhooks/{sender}",
        "/healthz",
        "/readyz",
        "/journal/{path}",
        "/login",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/api/v1/cases/{id}"]!).sort()).toEqual(["get", "patch"]);
    expect(doc.paths["/healthz"]!.get!.security).toEqual([]);
    expect(doc.paths["/api/v1/alerts"]!.post!.security).toEqual([{ bearerAuth: [] }, { webhookSignature: [] }]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Case", "StoredAlert", "Error", "AuditEvent", "Decision"]));
  });

  it("names every operation with a unique operationId from OPERATION_IDS, and OPERATION_IDS names no route that is gone", async () => {
    const doc = (await (await client.request("/api/docs")).json()) as OpenApiDoc;
    const seen = new Map<string, string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const key = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, `${key} needs an entry in src/server/operations.ts`).toMatch(/^[a-z][A-Za-z0-9]+$/);
        expect(seen.get(operation.operationId!), `operationId ${operation.operationId} used twice`).toBeUndefined();
        seen.set(operation.operationId!, key);
        expect(OPERATION_IDS[key]).toBe(operation.operationId);
      }
    }
    expect([...seen.values()].sort()).toEqual(Object.keys(OPERATION_IDS).sort());
  });

  it("answers 401 on every documented route without a token, except the public ones", async () => {
    const doc = (await (await client.request("/api/docs", { as: "admin" })).json()) as OpenApiDoc;
    const publicRoutes: string[] = [];
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const url = path.replace("{id}", "TORA-20261124-0001").replace("{path}", "index.html");
        if (operation.security && operation.security.length === 0) {
          publicRoutes.push(`${method} ${path}`);
          continue;
        }
        const res = await client.request(url, { method: method.toUpperCase(), json: method === "get" || method === "delete" ? undefined : {} });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get("www-authenticate"), `${method} ${path}`).toMatch(/^Bearer realm="nightshift"/);
        checked++;
      }
    }
    // Sender webhooks carry no Nightshift token: each sender's own credential is checked in the route.
    expect(publicRoutes.sort()).toEqual(["get /", "get /healthz", "get /login", "get /readyz", "post /api/v1/webhooks/{sender}"]);
    expect(checked).toBeGreaterThanOrEqual(18);
  });

  it("refuses malformed and revoked credentials", async () => {
    const basic = await client.request("/api/v1/health", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const forged = await client.request("/api/v1/health", { token: "ns_not-a-real-token" });
    expect(forged.status).toBe(401);
    const cookieOnApi = await client.request("/api/v1/health", { headers: { cookie: `nightshift_token=${client.tokens.admin}` } });
    expect(cookieOnApi.status).toBe(401);
  });

  it("maps malformed JSON, a wrong content type, an oversized body and an unknown route to JSON errors", async () => {
    const malformed = await client.request("/api/v1/alerts", {
      method: "POST",
      as: "analyst",
      body: '{"title": "half',
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/malformed json/i);

    const text = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", body: "title=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);

    const huge = JSON.stringify({ title: "big", raw: "x".repeat(MAX_BODY_BYTES) });
    const tooBig = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", body: huge, headers: { "content-type": "application/json" } });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toEqual({ error: "request body larger than 10 MB" });
    const stored = await env.store.db.selectFrom("alerts").select("id").execute();
    expect(stored).toEqual([]);

    const nowhere = await client.request("/api/v1/nowhere", { as: "viewer" });
    expect(nowhere.status).toBe(404);
    expect(((await nowhere.json()) as { error: string }).error).toContain("/api/v1/nowhere");
  });

  it("reports field-level issues for a bad query", async () => {
    const res = await client.request("/api/v1/alerts?limit=0&offset=-1", { as: "viewer" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(["limit", "offset"]);
  });
});
