import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { createTestClient, type TestClient } from "../testing.js";

describe(`token routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock: fixedClock("2026-11-24T10:00:00Z") });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("is for admins only", async () => {
    const routes = [
      { path: "/api/v1/tokens", method: "POST", json: { role: "viewer" } },
      { path: "/api/v1/tokens", method: "GET" },
      { path: "/api/v1/tokens/some-id", method: "DELETE" },
    ];
    for (const route of routes) {
      expect((await client.request(route.path, route)).status, `${route.method} anonymous`).toBe(401);
      expect((await client.request(route.path, { ...route, as: "viewer" })).status, `${route.method} viewer`).toBe(403);
      expect((await client.request(route.path, { ...route, as: "analyst" })).status, `${route.method} analyst`).toBe(403);
    }
    const count = await env.store.db.selectFrom("tokens").select("id").execute();
    expect(count).toHaveLength(3);
  });

  it("creates a token that works at once, lists it without secrets, and revokes it", async () => {
    const created = await client.request("/api/v1/tokens", { method: "POST", as: "admin", json: { role: "analyst", name: "soar" } });
    expect(created.status).toBe(201);
    const { id, token, role } = (await created.json()) as { id: string; token: string; role: string };
    expect(role).toBe("analyst");
    expect(token).toMatch(/^ns_[A-Za-z0-9_-]{43}$/);
    expect((await client.request("/api/v1/health", { token })).status).toBe(200);

    const listed = await client.request("/api/v1/tokens", { as: "admin" });
    const text = await listed.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain("token_hash");
    const { tokens } = JSON.parse(text) as { tokens: { id: string; name: string | null; role: string; revoked_at: string | null }[] };
    expect(tokens).toHaveLength(4);
    expect(tokens.find((t) => t.id === id)).toMatchObject({ name: "soar", role: "analyst", revoked_at: null });

    expect((await client.request(`/api/v1/tokens/${id}`, { method: "DELETE", as: "admin" })).status).toBe(204);
    expect((await client.request("/api/v1/health", { token })).status).toBe(401);
    expect((await client.request("/api/v1/tokens/no-such-token", { method: "DELETE", as: "admin" })).status).toBe(404);

    const audit = await env.store.db.selectFrom("audit_events").select(["action", "actor_name", "data"]).orderBy("seq").execute();
    expect(audit.map((e) => [e.action, e.actor_name])).toEqual([
      ["token.created", "admin-test"],
      ["token.revoked", "admin-test"],
    ]);
    expect(audit.map((e) => e.data).join()).not.toContain(token);
  });

  it("rejects an unknown role field by field", async () => {
    const res = await client.request("/api/v1/tokens", { method: "POST", as: "admin", json: { role: "root" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(["role"]);
  });
});
