import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJsonDocuments } from "../../test/support/shared.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { DETECT_JOB, ValidationError, fixedClock } from "../core/index.js";
import { createDetector, type Detector } from "../detect/index.js";
import { loadDetectionState, saveDetectionState } from "../events/index.js";
import { ingestEvents, listAlerts } from "../ingest/index.js";
import { enqueue, fromJson, runUntilIdle, type Db } from "../store/index.js";
import { configuredDetector, createConfiguredDetector, detectionHandlers, DETECTION_STATE_ID } from "./detection.js";
import { TWIN_EVENTS, testRuleDir } from "./testing.js";

const CLOCK = fixedClock("2026-11-24T10:00:00.000Z");

async function jobsOf(db: Db, kind: string) {
  const rows = await db.selectFrom("jobs").select(["payload", "status", "last_error"]).where("kind", "=", kind).orderBy("id").execute();
  return rows.map((row) => ({ payload: fromJson<unknown>(row.payload, null), status: row.status, last_error: row.last_error }));
}

describe(`detection stage (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let rules: ReturnType<typeof testRuleDir>;
  let twins: Record<string, unknown>[];
  beforeEach(async () => {
    env = await openTestEnvironment();
    rules = testRuleDir(["certutilDecode", "explicitCredentialLogon"]);
    twins = [
      ...(await readJsonDocuments(TWIN_EVENTS.certutilDecode.file())),
      ...(await readJsonDocuments(TWIN_EVENTS.explicitCredentialLogon.file())),
    ];
  });
  afterEach(async () => {
    await env.cleanup();
    rules.remove();
  });

  const detector = () => createDetector({ ruleDirs: [rules.dir] });

  it("runs the rules over stored events and queues their alerts for enrichment, once", async () => {
    const queued: number[] = [];
    const handlers = detectionHandlers({ detector, clock: CLOCK, onAlertsQueued: (n) => queued.push(n) });
    const { ids } = await ingestEvents(env.store.db, twins, { origin: { file: "api" }, clock: CLOCK });
    expect(await runUntilIdle(env.store.db, { handlers, clock: CLOCK })).toEqual({ processed: 1, failed: 0 });
    expect(queued).toEqual([2]);

    const alerts = await listAlerts(env.store.db);
    expect(alerts).toHaveLength(2);
    for (const twin of Object.values(TWIN_EVENTS)) {
      const alert = alerts.find((a) => a.rule?.id === twin.ruleId);
      expect(alert, twin.ruleId).toBeDefined();
      expect(alert!.rule).toMatchObject({ author: twin.author, source: "sigma" });
      expect(alert!.attack?.techniques).toContain(twin.technique);
      expect(alert!.source).toBe("sigma");
      expect(alert!.origin.via).toBe("detect");
      expect(alert!.stage).toBe("received");
      expect(ids.some((id) => alert!.source_id === `${twin.ruleId}:${id}`)).toBe(true);
    }
    const enrich = await jobsOf(env.store.db, "alert.enrich");
    expect(enrich.map((job) => (job.payload as { alert_id: string }).alert_id).sort()).toEqual(alerts.map((a) => a.id).sort());
    expect(await loadDetectionState(env.store.db, DETECTION_STATE_ID)).not.toBeNull();

    // The same events detected again (a retried or re-queued job) queue nothing new.
    await enqueue(env.store.db, DETECT_JOB, { ids }, { clock: CLOCK });
    expect(await runUntilIdle(env.store.db, { handlers, clock: CLOCK })).toEqual({ processed: 1, failed: 0 });
    expect(queued).toEqual([2, 0]);
    expect(await listAlerts(env.store.db)).toHaveLength(2);
    expect(await jobsOf(env.store.db, "alert.enrich")).toHaveLength(2);
  });

  it("leaves no alerts and no state change when a job fails halfway", async () => {
    const real = await detector();
    let calls = 0;
    const restored: unknown[] = [];
    const failing: Detector = {
      ...real,
      process(event, source, now) {
        if (++calls === 2) throw new Error("detector broke on the second event");
        return real.process(event, source, now);
      },
      saveState: () => ({ version: 1, calls }),
      restoreState: (state) => void restored.push(state),
    };
    await saveDetectionState(env.store.db, DETECTION_STATE_ID, { version: 1, before: true }, CLOCK.now().toISOString());
    await ingestEvents(env.store.db, twins, { origin: { file: "api" }, clock: CLOCK });
    const errors: unknown[] = [];
    const stats = await runUntilIdle(env.store.db, {
      handlers: detectionHandlers({ detector: async () => failing, clock: CLOCK }),
      clock: CLOCK,
      onError: (_job, error) => errors.push(error),
    });
    expect(stats).toEqual({ processed: 0, failed: 1 });
    expect(String(errors[0])).toMatch(/second event/);
    expect(calls).toBe(2);
    expect(restored).toEqual([{ version: 1, before: true }]);
    expect(await listAlerts(env.store.db)).toEqual([]);
    expect(await jobsOf(env.store.db, "alert.enrich")).toEqual([]);
    expect(await loadDetectionState(env.store.db, DETECTION_STATE_ID)).toEqual({ version: 1, before: true });
    const [job] = await jobsOf(env.store.db, DETECT_JOB.kind);
    expect(job).toMatchObject({ status: "queued", last_error: expect.stringMatching(/second event/) });
  });

  it("refuses a malformed job payload", async () => {
    // @ts-expect-error -- a payload of the wrong shape is a type error; the worker refuses it all the same
    await enqueue(env.store.db, DETECT_JOB, { ids: "not-a-list" }, { clock: CLOCK });
    const errors: unknown[] = [];
    await runUntilIdle(env.store.db, { handlers: detectionHandlers({ detector, clock: CLOCK }), clock: CLOCK, onError: (_j, e) => errors.push(e) });
    expect(String(errors[0])).toMatch(/invalid events\.detect payload/);
  });
});

describe("the configured detector", () => {
  it("loads the configured rule folders (without the built-in pack when turned off), once per configuration", async () => {
    const rules = testRuleDir(["certutilDecode", "explicitCredentialLogon", "userCreation"]);
    try {
      const env = await openTestEnvironment({ detect: { rules: [rules.dir], builtin_rules: false, placeholders: {}, logsources: [], correlation: { lateness_seconds: 3600 } } });
      try {
        const detector = await createConfiguredDetector(env.config);
        expect(detector.rulesLoaded).toBe(3);
        const lazy = configuredDetector(env.config);
        expect(lazy()).toBe(lazy());
        expect((await lazy()).rulesLoaded).toBe(3);
      } finally {
        await env.cleanup();
      }
    } finally {
      rules.remove();
    }
  });

  it("names a configured rule folder that does not exist", async () => {
    const env = await openTestEnvironment({ detect: { rules: ["/no/such/rules"], builtin_rules: false, placeholders: {}, logsources: [], correlation: { lateness_seconds: 3600 } } });
    try {
      const error = await createConfiguredDetector(env.config).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([{ path: "detect.rules[0]", message: "/no/such/rules is not a directory" }]);
    } finally {
      await env.cleanup();
    }
  });
});
