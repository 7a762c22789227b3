import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock, type Verdict } from "../core/index.js";
import { attachAlert, getCase, listAudit, transitionCase, verifyAuditChain, type GroupingOptions } from "./index.js";
import { makeAlert, insertAlert, type AlertFixture } from "./test-alerts.js";

const options: GroupingOptions = { windowMinutes: 240 };
const clamav = { id: "clamav-update", title: "ClamAV database update" };

describe(`a repeat of noise closed as benign (${testStoreKind()})`, () => {
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

  it("decides afresh a repeat that a suppression in force covers, so its closure can cite the suppression", async () => {
    const first = await attach({ time: "2026-11-24T08:00:00Z" });
    await close(first.caseId, "false_positive");
    const alert = makeAlert({ rule: clamav, host: "mail", severity: "low", time: "2026-11-24T09:00:00Z" });
    await insertAlert(env.store.db, alert);
    const suppression_match = { id: "SUP-1", reason: "accepted", author: "bob", age_days: 0, in_force: true, expires_at: null };
    await env.store.db.updateTable("alerts").set({ enrichment: JSON.stringify({ history: { suppression_match } }) }).where("id", "=", alert.id).execute();
    const repeat = await attachAlert(env.store.db, alert, options, clock);
    expect(repeat).toMatchObject({ created: true, joined: "new" });
    expect(repeat.caseId).not.toBe(first.caseId);
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

  it("never joins a case closed as an attack, nor one whose rule last fired before the routine period", async () => {
    const attack = await attach({ time: "2026-11-24T08:00:00Z" });
    await close(attack.caseId, "true_positive");
    const after = await attach({ time: "2026-11-24T08:30:00Z" });
    expect(after.created).toBe(true);

    // Beyond the window and the routine period (24 h): judged afresh.
    const quiet = await attach({ host: "mx-2", time: "2026-11-23T05:00:00Z" });
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

  it("keeps a host's routine telemetry, rule by rule judged benign, in one case across quiet spells", async () => {
    const dovecot = { id: "dovecot-auth", title: "Dovecot authentication success" };
    const clam = await attach({ time: "2026-11-24T02:00:00Z" });
    await close(clam.caseId, "false_positive");
    const auth = await attach({ rule: dovecot, time: "2026-11-24T02:05:00Z" });
    expect(auth.created).toBe(true);
    await close(auth.caseId, "false_positive");
    // Hours later, past the flood window but within the routine period: ClamAV joins its own earlier case…
    const clamLater = await attach({ time: "2026-11-24T09:00:00Z" });
    expect(clamLater).toMatchObject({ caseId: clam.caseId, joined: "recurrence" });
    // …and Dovecot, judged benign on this host earlier today, joins the host's live benign case.
    const authLater = await attach({ rule: dovecot, time: "2026-11-24T09:10:00Z" });
    expect(authLater).toMatchObject({ caseId: clam.caseId, joined: "recurrence" });
    // From then on its flood follows it there.
    expect(await attach({ rule: dovecot, time: "2026-11-24T09:20:00Z" })).toMatchObject({ caseId: clam.caseId, joined: "recurrence" });
    // Past the routine period, the rule is judged again.
    expect((await attach({ time: "2026-11-26T09:00:00Z" })).created).toBe(true);
  });

  it("never puts a rule not yet judged on the host, or last judged an attack there, into the host's benign case", async () => {
    const clam = await attach({ time: "2026-11-24T08:00:00Z" });
    await close(clam.caseId, "false_positive");
    const firstSight = await attach({ rule: { id: "new-rule", title: "New event type" }, time: "2026-11-24T08:10:00Z" });
    expect(firstSight.created).toBe(true);
    const elsewhere = await attach({ host: "web", time: "2026-11-24T08:15:00Z" });
    expect(elsewhere.created).toBe(true);

    const exfil = { id: "dns-entropy", title: "High entropy DNS" };
    const attack = await attach({ rule: exfil, time: "2026-11-24T03:00:00Z" });
    await close(attack.caseId, "true_positive");
    const again = await attach({ rule: exfil, time: "2026-11-24T08:20:00Z" });
    expect(again.created).toBe(true);
  });
});
