import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { insertAlertRow } from "../../test/support/alerts.js";
import { fixedClock } from "../core/index.js";
import { attachAlert, type GroupingOptions } from "./index.js";
import { makeAlert, type AlertFixture } from "./test-alerts.js";

const options: GroupingOptions = { windowMinutes: 240, incidentMinutes: 60, incidentSpanMinutes: 120 };

/** An enrichment whose precedent says analysts judged this shape benign `benign` times (and malicious `malicious`). */
function precedent(benign: number, malicious = 0) {
  const shape = { by: "host", source: "wazuh", rule: "r", value: "mail", benign, stale_benign: 0, malicious, last_benign_at: null, last_malicious_at: null };
  return { precedent: { max_age_days: 90, shapes: [shape] } };
}

describe(`incident grouping and analyst precedent (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function attach(f: AlertFixture, enrichment?: unknown) {
    const alert = makeAlert({ host: "mail", ...f });
    await insertAlertRow(env.store.db, alert, { stage: "enriched", enrichment });
    return attachAlert(env.store.db, alert, options, clock);
  }

  it("keeps telemetry judged benign by analysts out of a burst of new rules on its host, and lets no incident grow from it", async () => {
    // A first sight of a rule nobody judged: the anchor of an incident.
    const pam = await attach({ rule: { id: "pam", title: "PAM session opened" }, time: "2026-11-24T09:00:00Z" });
    // Dovecot logins, judged benign 16,797 times: not a step of that incident.
    const dovecot = await attach({ rule: { id: "dovecot", title: "Dovecot authentication success" }, time: "2026-11-24T09:05:00Z" }, precedent(16_797));
    expect(dovecot.created).toBe(true);
    // A rule judged benign only four times has no precedent yet: the burst takes it.
    const rare = await attach({ rule: { id: "ssh", title: "sshd login" }, time: "2026-11-24T09:06:00Z" }, precedent(4));
    expect(rare).toMatchObject({ caseId: pam.caseId, joined: "incident" });
    // Nor one ever judged malicious.
    const once = await attach({ rule: { id: "su", title: "su to root" }, time: "2026-11-24T09:07:00Z" }, precedent(300, 1));
    expect(once).toMatchObject({ caseId: pam.caseId, joined: "incident" });

    // On another host, benign telemetry arrives first: a new rule after it starts its own case.
    const clam = await attach({ host: "mx", rule: { id: "clamav", title: "ClamAV update" }, time: "2026-11-24T09:00:00Z" }, precedent(858));
    const fresh = await attach({ host: "mx", rule: { id: "new", title: "New event type" }, time: "2026-11-24T09:02:00Z" });
    expect(fresh.created).toBe(true);
    expect(fresh.caseId).not.toBe(clam.caseId);
  });

  it("still follows the kill chain: benign precedent never keeps a later attack step out of its incident", async () => {
    const a = makeAlert({ host: "web", rule: { id: "scan", title: "Scan" }, time: "2026-11-24T09:00:00Z" });
    a.attack.tactics = ["reconnaissance"];
    await insertAlertRow(env.store.db, a, { stage: "enriched" });
    const scan = await attachAlert(env.store.db, a, options, clock);
    const b = makeAlert({ host: "web", rule: { id: "upload", title: "Upload" }, time: "2026-11-24T09:20:00Z" });
    b.attack.tactics = ["persistence"];
    await insertAlertRow(env.store.db, b, { stage: "enriched", enrichment: precedent(40) });
    expect(await attachAlert(env.store.db, b, options, clock)).toMatchObject({ caseId: scan.caseId, joined: "incident" });
  });
});
