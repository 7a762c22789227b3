import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { GROUP_JOB, NotFoundError, fixedClock } from "../core/index.js";
import { enqueue, runUntilIdle, type Executor } from "../store/index.js";
import { attachAlert, caseHandlers, getCase, groupKeyOf, listAudit, transitionCase, verifyAuditChain } from "./index.js";
import { makeAlert, storedAlert, type AlertFixture } from "./test-alerts.js";

const window = { windowMinutes: 60 };

describe(`alert grouping (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let clock: ReturnType<typeof fixedClock>;
  beforeEach(async () => {
    env = await openTestEnvironment();
    clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function attach(f: AlertFixture) {
    const alert = await storedAlert(env.store.db, f);
    return { alert, ...(await attachAlert(env.store.db, alert, window, clock)) };
  }

  it("keys on source, rule (else title) and primary entity (host, user, source ip, destination domain)", () => {
    const key = (...parts: unknown[]) => JSON.stringify(["source", "suricata", null, ...parts]);
    expect(groupKeyOf(makeAlert({ rule: { id: "R-1", title: "t" }, host: "WS-01" }))).toBe(key("r-1", "host:ws-01"));
    expect(groupKeyOf(makeAlert({ rule: null, title: "Odd Thing", host: null, user: "Bob" }))).toBe(key("odd thing", "user:bob"));
    expect(groupKeyOf(makeAlert({ host: null, src_ip: "10.0.0.5", dst_domain: "evil.test" }))).toBe(key("dns-malicious", "ip:10.0.0.5"));
    expect(groupKeyOf(makeAlert({ host: null, dst_domain: "Evil.Test" }))).toBe(key("dns-malicious", "domain:evil.test"));
    expect(groupKeyOf(makeAlert({ host: null }))).toBe(key("dns-malicious", "-"));
    expect(groupKeyOf(makeAlert({ origin: { via: "webhook", sender: "webhook:prom" } }))).toBe(
      JSON.stringify(["source", "suricata", "webhook:prom", "dns-malicious", "host:ws-01"]),
    );
  });

  it("opens a case from a first alert", async () => {
    const { alert, caseId, created } = await attach({
      severity: "low",
      techniques: ["T1071.004"],
      subtype: "dns_malicious_lookup",
      dst_domain: "Evil.Test",
      user: "bob",
    });
    expect(created).toBe(true);
    expect(caseId).toBe("TORA-20261124-0001");
    const c = (await getCase(env.store.db, caseId))!;
    expect(c).toMatchObject({
      status: "new",
      outcome: "open",
      title: alert.title,
      severity: "low",
      rule_id: "dns-malicious",
      group_key: JSON.stringify(["source", "suricata", null, "dns-malicious", "host:ws-01"]),
      tags: ["suricata", "dns_malicious_lookup"],
      attack: { tactics: [], techniques: ["T1071.004"] },
      alert_ids: [alert.id],
      created_at: "2026-11-24T10:00:00.000Z",
    });
    expect(c.observables).toEqual(
      expect.arrayContaining([
        { type: "host", value: "ws-01", role: "target" },
        { type: "user", value: "bob", role: "actor" },
        { type: "domain", value: "evil.test", role: "dst" },
      ]),
    );
    const row = await env.store.db.selectFrom("alerts").select(["case_id", "stage"]).where("id", "=", alert.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ case_id: caseId, stage: "grouped" });
    const audit = await listAudit(env.store.db, { caseId });
    expect(audit.map((e) => e.action)).toEqual(["case.created"]);
    expect(audit[0]!.data).toMatchObject({ alert_id: alert.id, group_key: JSON.stringify(["source", "suricata", null, "dns-malicious", "host:ws-01"]) });
  });

  it("joins alerts of the same rule and host within the window, in either direction, raising severity", async () => {
    const first = await attach({ time: "2026-11-24T09:00:00Z", severity: "low", techniques: ["T1071.004"] });
    const later = await attach({ time: "2026-11-24T09:50:00Z", severity: "high", techniques: ["T1568.002"] });
    const earlier = await attach({ time: "2026-11-24T08:55:00Z", severity: "medium" });
    expect(later).toMatchObject({ caseId: first.caseId, created: false });
    expect(earlier).toMatchObject({ caseId: first.caseId, created: false });
    const c = (await getCase(env.store.db, first.caseId))!;
    expect(c.severity).toBe("high");
    expect(c.attack.techniques.sort()).toEqual(["T1071.004", "T1568.002"]);
    expect(c.alert_ids).toEqual([earlier.alert.id, first.alert.id, later.alert.id]);
    const audit = await listAudit(env.store.db, { caseId: first.caseId });
    expect(audit.map((e) => e.action)).toEqual(["case.created", "case.alert_linked", "case.alert_linked"]);
    const row = await env.store.db.selectFrom("cases").select("last_alert_at").where("id", "=", first.caseId).executeTakeFirstOrThrow();
    expect(row.last_alert_at).toBe("2026-11-24T09:50:00.000Z");
  });

  it("opens a new case outside the window, for another entity, or when the case is closed", async () => {
    const first = await attach({ time: "2026-11-24T09:00:00Z" });
    const tooLate = await attach({ time: "2026-11-24T10:01:00Z" });
    expect(tooLate).toMatchObject({ created: true, caseId: "TORA-20261124-0002" });
    const otherHost = await attach({ time: "2026-11-24T09:01:00Z", host: "ws-02" });
    expect(otherHost).toMatchObject({ created: true, caseId: "TORA-20261124-0003" });
    // Another rule on the host far from the case's alerts (beyond the incident gap): a case of its own.
    const otherRule = await attach({ time: "2026-11-24T07:30:00Z", rule: { id: "other", title: "Other" } });
    expect(otherRule.created).toBe(true);

    // Within the window of two open cases of the key: the one with the most recent alert wins.
    const between = await attach({ time: "2026-11-24T09:31:00Z" });
    expect(between).toMatchObject({ created: false, caseId: tooLate.caseId });

    // A closed attack takes no more alerts (a closed benign flood does: grouping-recurrence.test.ts).
    for (const { caseId } of [first, tooLate])
      await transitionCase(env.store.db, caseId, { to: "closed", actor: { kind: "human", name: "ana" }, verdict: "true_positive", rationale: "lab" }, clock);
    const afterClose = await attach({ time: "2026-11-24T09:02:00Z" });
    expect(afterClose).toMatchObject({ created: true, caseId: "TORA-20261124-0005" });
  });

  it("joins an on-hold or in-progress case", async () => {
    const first = await attach({});
    await transitionCase(env.store.db, first.caseId, { to: "on_hold", actor: { kind: "agent", name: "VERA" } }, clock);
    expect((await attach({})).caseId).toBe(first.caseId);
  });

  it("is idempotent: an attached alert returns its case and writes nothing more", async () => {
    const first = await attach({ dst_domain: "evil.test" });
    const again = await attachAlert(env.store.db, first.alert, window, clock);
    expect(again).toMatchObject({ caseId: first.caseId, created: false });
    expect(await listAudit(env.store.db)).toHaveLength(1);
    const observables = await env.store.db.selectFrom("observables").selectAll().execute();
    expect(observables).toHaveLength(2);
  });

  it("refuses an alert that is not stored", async () => {
    await expect(attachAlert(env.store.db, makeAlert(), window, clock)).rejects.toBeInstanceOf(NotFoundError);
    expect(await env.store.db.selectFrom("cases").selectAll().execute()).toEqual([]);
  });

  it("numbers cases per UTC day of the clock", async () => {
    const a = await attach({ host: "a" });
    clock.advance(24 * 3600 * 1000);
    const b = await attach({ host: "b" });
    const c = await attach({ host: "c" });
    expect([a.caseId, b.caseId, c.caseId]).toEqual(["TORA-20261124-0001", "TORA-20261125-0001", "TORA-20261125-0002"]);
  });

  /**
   * Runs each task in its own transaction, on PostgreSQL all open at once before any task starts (at most
   * 8: the pool has 10). SQLite runs one transaction at a time on its one connection, so no barrier there.
   */
  async function together<T>(tasks: ((trx: Executor) => Promise<T>)[]): Promise<T[]> {
    if (testStoreKind() === "sqlite") return Promise.all(tasks.map((task) => env.store.db.transaction().execute(task)));
    let arrived = 0;
    let release!: () => void;
    const allOpen = new Promise<void>((resolve) => (release = resolve));
    return Promise.all(
      tasks.map((task) =>
        env.store.db.transaction().execute(async (trx) => {
          await trx.selectFrom("cases").select("id").execute();
          if (++arrived === tasks.length) release();
          await allOpen;
          return task(trx);
        }),
      ),
    );
  }

  it("numbers concurrently created cases without gaps or duplicates", async () => {
    const ids: string[] = [];
    for (let round = 0; round < 3; round++) {
      const alerts = [];
      for (let i = 0; i < 8; i++) alerts.push(await storedAlert(env.store.db, { host: `host-${round}-${i}` }));
      const results = await together(alerts.map((alert) => (trx: Executor) => attachAlert(trx, alert, window, clock)));
      expect(results.every((r) => r.created)).toBe(true);
      ids.push(...results.map((r) => r.caseId));
    }
    expect(ids.sort()).toEqual(Array.from({ length: 24 }, (_, i) => `TORA-20261124-${String(i + 1).padStart(4, "0")}`));
    expect(await verifyAuditChain(env.store.db)).toMatchObject({ ok: true, checked: 24 });
  });

  it("puts concurrent alerts of one group into one case", async () => {
    const alerts = [];
    for (let i = 0; i < 8; i++) alerts.push(await storedAlert(env.store.db, { time: `2026-11-24T09:${String(i).padStart(2, "0")}:00Z` }));
    const results = await together(alerts.map((alert) => (trx: Executor) => attachAlert(trx, alert, window, clock)));
    expect(new Set(results.map((r) => r.caseId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await getCase(env.store.db, results[0]!.caseId))!.alert_ids).toHaveLength(8);
  });

  it("handles alert.group jobs and queues triage once per new case", async () => {
    const handlers = caseHandlers({ windowMinutes: 60, clock });
    const a = await storedAlert(env.store.db, { host: "a" });
    const b = await storedAlert(env.store.db, { host: "a" });
    const c = await storedAlert(env.store.db, { host: "c" });
    for (const alert of [a, b, c]) await enqueue(env.store.db, GROUP_JOB, { alert_id: alert.id });
    await enqueue(env.store.db, GROUP_JOB, { alert_id: "missing" });
    const stats = await runUntilIdle(env.store.db, { handlers, clock });
    expect(stats).toEqual({ processed: 3, failed: 1 });
    const triage = await env.store.db.selectFrom("jobs").select(["payload", "dedupe_key", "status"]).where("kind", "=", "case.triage").orderBy("dedupe_key").execute();
    expect(triage).toEqual([
      { payload: JSON.stringify({ case_id: "TORA-20261124-0001" }), dedupe_key: "triage:TORA-20261124-0001", status: "queued" },
      { payload: JSON.stringify({ case_id: "TORA-20261124-0002" }), dedupe_key: "triage:TORA-20261124-0002", status: "queued" },
    ]);
    expect((await getCase(env.store.db, "TORA-20261124-0001"))!.alert_ids.sort()).toEqual([a.id, b.id].sort());
  });
});
