import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENRICH_JOB, Enrichment, fixedClock } from "../core/index.js";
import { enqueue, fromJson, runUntilIdle } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { contextHandlers, loadContext } from "./index.js";
import { buildAlert, insertAlert } from "./testing.js";

const options = { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-11T12:05:00Z") };

describe(`alert.enrich handler (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
    await loadContext(env.store.db, {
      assets: [{ hostname: "ws-01", ips: ["10.0.0.11"], criticality: "high", environment: "production" }],
    });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const jobs = () => env.store.db.selectFrom("jobs").select(["kind", "payload", "status"]).orderBy("created_at").orderBy("kind").execute();

  it("writes a valid enrichment, moves the alert to enriched and queues alert.group exactly once", async () => {
    const db = env.store.db;
    const alert = await insertAlert(db, buildAlert({ host: { name: "WS-01", ip: [] } }));
    await enqueue(db, ENRICH_JOB, { alert_id: alert.id });
    const handlers = contextHandlers(options);

    expect(await runUntilIdle(db, { handlers })).toEqual({ processed: 1, failed: 0 });
    const row = await db.selectFrom("alerts").select(["stage", "enrichment"]).where("id", "=", alert.id).executeTakeFirstOrThrow();
    expect(row.stage).toBe("enriched");
    const enrichment = Enrichment.parse(fromJson(row.enrichment, null));
    expect(enrichment.asset?.criticality).toBe("high");
    expect(enrichment.event.id).toBe(alert.id);

    await enqueue(db, ENRICH_JOB, { alert_id: alert.id });
    expect(await runUntilIdle(db, { handlers })).toEqual({ processed: 1, failed: 0 });
    const again = await db.selectFrom("alerts").select(["stage", "enrichment"]).where("id", "=", alert.id).executeTakeFirstOrThrow();
    expect(again).toEqual(row);

    const group = (await jobs()).filter((j) => j.kind === "alert.group");
    expect(group).toHaveLength(1);
    expect(fromJson(group[0]!.payload, null)).toEqual({ alert_id: alert.id });
    expect(group[0]!.status).toBe("queued");
  });

  it("never moves an alert that is already past enrichment back, even when forced", async () => {
    const db = env.store.db;
    const alert = await insertAlert(db, buildAlert({ host: { name: "ws-01", ip: [] } }), { stage: "grouped" });
    await enqueue(db, ENRICH_JOB, { alert_id: alert.id, force: true });
    await runUntilIdle(db, { handlers: contextHandlers(options) });
    const row = await db.selectFrom("alerts").select(["stage", "enrichment"]).where("id", "=", alert.id).executeTakeFirstOrThrow();
    expect(row.stage).toBe("grouped");
    expect(row.enrichment).not.toBeNull();
  });

  it("fails the job, writing nothing, for an unknown alert or a bad payload", async () => {
    const db = env.store.db;
    await enqueue(db, ENRICH_JOB, { alert_id: "missing" });
    // @ts-expect-error -- a payload of the wrong shape is a type error; the worker refuses it all the same
    await enqueue(db, ENRICH_JOB, { id: 1 });
    const errors: string[] = [];
    const stats = await runUntilIdle(db, { handlers: contextHandlers(options), onError: (_job, error) => errors.push(String(error)) });
    expect(stats).toEqual({ processed: 0, failed: 2 });
    expect(errors).toEqual([expect.stringContaining("alert missing not found"), expect.stringContaining("invalid alert.enrich payload")]);
    expect((await jobs()).filter((j) => j.kind === "alert.group")).toEqual([]);
  });
});
