import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { ENRICH_JOB, fixedClock } from "../../core/index.js";
import { enqueue, openStore } from "../../store/index.js";
import { createHttpApp } from "../app.js";
import { createTestClient, type TestClient } from "../testing.js";

interface ReadinessBody {
  status: string;
  checks: Record<"database" | "queue", { ok: boolean; error?: string; queued?: number; oldest_queued_seconds?: number }>;
}

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

  it("answers the readiness probe without a token: the database answers and the queue can be read, with its lag", async () => {
    await enqueue(env.store.db, ENRICH_JOB, { alert_id: "a" }, { clock: fixedClock("2026-11-24T10:00:00Z") });
    await enqueue(env.store.db, ENRICH_JOB, { alert_id: "later" }, { clock: fixedClock("2026-11-24T11:00:00Z") });
    const clock = fixedClock("2026-11-24T10:05:00Z");
    const app = createHttpApp({ db: env.store.db, config: env.config, clock });
    const res = await app.request("/readyz");
    expect(res.status).toBe(200);
    const body = (await res.json()) as ReadinessBody;
    expect(body.status).toBe("ready");
    expect(body.checks.database.ok).toBe(true);
    // The job due at 11:00 is not yet due: the lag is the 10:00 job's five minutes.
    expect(body.checks.queue).toMatchObject({ ok: true, queued: 1, oldest_queued_seconds: 300 });
  });

  it("is not ready (503) when the work queue cannot be read, and says which check failed", async () => {
    await env.store.db.schema.dropTable("jobs").execute();
    const res = await client.request("/readyz");
    expect(res.status).toBe(503);
    const body = (await res.json()) as ReadinessBody;
    expect(body.status).toBe("not_ready");
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.queue.ok).toBe(false);
    expect(body.checks.queue.error).toMatch(/jobs/);
  });

  it("is not ready (503) when the database is gone, while liveness still answers", async () => {
    const other = await openStore(env.config);
    await other.close();
    const app = createHttpApp({ db: other.db, config: env.config, clock: fixedClock("2026-11-24T10:00:00Z") });
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    const body = (await res.json()) as ReadinessBody;
    expect(body.checks.database.ok).toBe(false);
    expect(body.checks.queue.ok).toBe(false);
    expect((await app.request("/healthz")).status).toBe(200);
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
