import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { createToken } from "./auth/tokens.js";
import { signBody } from "./auth/signature.js";
import { startHttpServer, type HttpServer } from "./serve.js";

const SECRET = "loopback-webhook-secret";

describe(`http server over loopback (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let server: HttpServer | undefined;
  beforeEach(async () => {
    env = await openTestEnvironment({ webhook_secret: SECRET });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await env.cleanup();
  });

  it("listens on a free port and serves health, auth, ingest and docs over real HTTP", async () => {
    const clock = fixedClock("2026-11-24T10:00:00Z");
    server = await startHttpServer({ db: env.store.db, config: env.config, clock }, { host: "127.0.0.1", port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
    const { token } = await createToken(env.store.db, { role: "analyst", name: "loopback" }, clock);

    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(401);

    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const ingested = await fetch(`${server.url}/api/v1/alerts`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify([{ title: "a", source: "x", source_id: "1" }, { title: "b", source: "x", source_id: "2" }]),
    });
    expect(ingested.status).toBe(202);
    expect(((await ingested.json()) as { created: number }).created).toBe(2);

    const body = JSON.stringify({ title: "signed", source: "x", source_id: "3" });
    const signed = await fetch(`${server.url}/api/v1/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-nightshift-signature": signBody(SECRET, body) },
      body,
    });
    expect(signed.status).toBe(202);

    const health = (await (await fetch(`${server.url}/api/v1/health`, { headers: auth })).json()) as { queue: Record<string, number> };
    expect(health.queue.queued).toBe(3);
    const doc = (await (await fetch(`${server.url}/api/docs`, { headers: auth })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/api/v1/alerts");

    const url = server.url;
    await server.close();
    server = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("rejects when the port is taken", async () => {
    const clock = fixedClock("2026-11-24T10:00:00Z");
    server = await startHttpServer({ db: env.store.db, config: env.config, clock }, { host: "127.0.0.1", port: 0 });
    const port = Number(new URL(server.url).port);
    await expect(startHttpServer({ db: env.store.db, config: env.config, clock }, { host: "127.0.0.1", port })).rejects.toThrow(/EADDRINUSE/);
  });
});
