import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sharedPath } from "../../test/support/shared.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { importEventFiles, listAlerts } from "../ingest/index.js";
import { runUntilIdle } from "../store/index.js";
import { createConfiguredDetector, detectionHandlers } from "./detection.js";

const CLOCK = fixedClock("2026-12-01T10:00:00.000Z");
const SAMPLES = sharedPath("data/evtx-samples/DeepBlueCLI");
const BRUTE_FORCE = "cdc468f2-6d21-46b0-a8fb-918a4b6c5ac6";

// `ingest logs psattack-security.evtx smb-password-guessing-security.evtx` stored 3,561 events and raised no
// alert: the later file moved a global clock past every event of the guessing (issue 13 item 1).
describe(`detection stage: stored events judged by their own time (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => env.cleanup());

  it("raises the brute force once when the guessing is imported after a later file, in several batches", async () => {
    const detector = createConfiguredDetector(env.config);
    const handlers = detectionHandlers({ detector: () => detector, clock: CLOCK });
    const files = ["psattack-security.evtx", "smb-password-guessing-security.evtx"].map((file) => path.join(SAMPLES, file));
    const imported = await importEventFiles(env.store.db, files, { clock: CLOCK, batchSize: 500 });
    expect(imported.stored).toBeGreaterThan(3561);
    const run = await runUntilIdle(env.store.db, { handlers, clock: CLOCK });
    expect(run.failed).toBe(0);
    const alerts = (await listAlerts(env.store.db, { limit: 500 })).filter((alert) => alert.rule?.id === BRUTE_FORCE);
    expect(alerts.map((a) => a.time)).toEqual(["2016-09-19T16:50:07.343Z"]);
  });
});
