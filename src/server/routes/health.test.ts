import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { ENRICH_JOB, fixedClock } from "../../core/index.js";
import { enqueue } from "../../store/index.js";
import { createTestClient, type TestClient } from "../testing.js";

describe(`health routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock: fixedClock("2026-11-24T10:00:00Z") });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("answers the liveness probe without a token", async () => {
    const res = await client.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("reports the store kind, queue counts and version to any role, and nothing to anonymous callers", async () => {
    expect((await client.request("/api/v1/health")).status).toBe(401);
    await enqueue(env.store.db, ENRICH_JOB, { alert_id: "a" });
    await enqueue(env.store.db, ENRICH_JOB, { alert_id: "b" });
    for (const role of ["viewer", "analyst", "admin"] as const) {
      const res = await client.request("/api/v1/health", { as: role });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { store: string; queue: Record<string, number>; version: string };
      expect(body.store).toBe(testStoreKind());
      expect(body.queue).toEqual({ queued: 2 });
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });
});
