import type { OpenAPIHono } from "@hono/zod-openapi";
import { createHttpApp } from "./app.js";
import { createToken, type Role } from "./auth/tokens.js";
import type { AppEnv, ServerDeps } from "./context.js";

/** An in-process client for tests (here and end to end): the app, one token per role, and a request helper. */
export interface TestClient {
  app: OpenAPIHono<AppEnv>;
  tokens: Record<Role, string>;
  request(
    path: string,
    options?: { method?: string; as?: Role | null; token?: string; json?: unknown; body?: string; headers?: Record<string, string> },
  ): Promise<Response>;
}

export async function createTestClient(deps: ServerDeps): Promise<TestClient> {
  const app = createHttpApp(deps);
  const tokens = {} as Record<Role, string>;
  for (const role of ["viewer", "analyst", "admin"] as const) tokens[role] = (await createToken(deps.db, { role, name: `${role}-test` }, deps.clock)).token;
  return {
    app,
    tokens,
    request(path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token ?? (options.as ? tokens[options.as] : undefined);
      if (token) headers.authorization = `Bearer ${token}`;
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] ??= "application/json";
      }
      return Promise.resolve(app.request(path, { method: options.method ?? "GET", headers, body }));
    },
  };
}
