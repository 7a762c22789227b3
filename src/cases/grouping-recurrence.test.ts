import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock, type Verdict } from "../core/index.js";
import { attachAlert, getCase, listAudit, transitionCase, verifyAuditChain, type GroupingOptions } from "./index.js";
import { makeAlert, insertAlert, type AlertFixture } from "./test-alerts.js";

const options: GroupingOptions = { windowMinutes: 240 };
const clamav = { id: "clamav-update", title: "ClamAV database update" };

describe(`a repeat of a flood closed as benign (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function attach(f: AlertFixture & { tactics?: string[] }) {
    const { tactics, ...fixture } = f;
    const alert = makeAlert({ rule: clamav, host: "mail", severity: "low", ...fixture });
    if (tactics) alert.attack.tactics = tactics;
    await insertAlert(env.store.db, alert);
    return attachAlert(env.store.db, alert, options, clock);
  }

  async function close(caseId: string, verdict: Verdict) {
    await transitionCase(env.store.db, caseId, { to: "closed", actor: { kind: "agent", name: "TORA" }, verdict, rationale: "lab" }, clock);
  }

  it("joins the closed case, which stays closed, with the join audited", async () => {
    const first = await attach({ time: "2026-11-24T08:00:00Z" });
    await close(first.caseId, "false_positive");
    const hourly = [];
    for (let h = 9; h <= 20; h++) hourly.push(await attach({ time: `2026-11-24T${String(h).padStart(2, "0")}:00:00Z` }));
    for (const r of hourly) expect(r).toMatchObject({ caseId: first.caseId, created: false, joined: "recurrence" });
    const c = (await getCase(env.store.db, first.caseId))!;
    expect(c).toMatchObject({ status: "closed", verdict: "false_positive", outcome: "closed" });
    expect(c.alert_ids).toHaveLength(13);
    const linked = (await listAudit(env.store.db, { caseId: first.caseId })).filter((e) => e.action === "case.alert_linked");
    expect(linked).toHaveLength(12);
    expect(linked[0]!.data).toMatchObject({ recurrence: { status: "closed", verdict: "false_positive" } });
    expect((await verifyAuditChain(env.store.db)).ok).toBe(true);
  });

  it("opens a new case for a repeat that brings anything new: higher severity, a technique, a tactic, a subtype", async () => {
    const first = await attach({ time: "2026-11-24T08:00:00Z", techniques: ["T1071"] });
    await close(first.caseId, "benign_true_positive");
    expect((await attach({ time: "2026-11-24T08:10:00Z", techniques: ["T1071"] })).joined).toBe("recurrence");
    for (const extra of [{ severity: "medium" as const }, { techniques: ["T1071", "T1505.003"] }, { tactics: ["privilege-escalation"] }, { subtype: "webshell" }]) {
      const repeat = await attach({ time: "2026-11-24T08:20:00Z", techniques: ["T1071"], ...extra });
      expect(repeat.caseId, JSON.stringify(extra)).not.toBe(first.caseId);
      expect(repeat.joined).not.toBe("recurrence");
    }
  });

  it("never joins a case closed as an attack, nor one whose flood ended before the window", async () => {
    const attack = await attach({ time: "2026-11-24T08:00:00Z" });
    await close(attack.caseId, "true_positive");
    const after = await attach({ time: "2026-11-24T08:30:00Z" });
    expect(after.created).toBe(true);

    const quiet = await attach({ host: "mx-2", time: "2026-11-24T01:00:00Z" });
    await close(quiet.caseId, "false_positive");
    const late = await attach({ host: "mx-2", time: "2026-11-24T05:01:00Z" });
    expect(late.created).toBe(true);
  });

  it("follows only the latest case of the flood: once an attack case took it, an older benign one takes no more", async () => {
    const benign = await attach({ time: "2026-11-24T08:00:00Z" });
    await close(benign.caseId, "false_positive");
    const bigger = await attach({ time: "2026-11-24T08:30:00Z", severity: "high" });
    expect(bigger.created).toBe(true);
    await close(bigger.caseId, "true_positive");
    const next = await attach({ time: "2026-11-24T08:40:00Z" });
    expect(next.created).toBe(true);
    expect(next.caseId).not.toBe(benign.caseId);
  });
});
