import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { ValidationError, fixedClock } from "../core/index.js";
import { attachAlert, getCase, type GroupingOptions } from "./index.js";
import { continuesKillChain, tacticStage } from "./kill-chain.js";
import { makeAlert, insertAlert, type AlertFixture } from "./test-alerts.js";

const options: GroupingOptions = { windowMinutes: 240, incidentMinutes: 60, incidentSpanMinutes: 120 };

describe(`incident grouping: scope, entities, kill chain (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function attach(f: AlertFixture & { tactics?: string[] }, opts: GroupingOptions = options) {
    const { tactics, ...fixture } = f;
    const alert = makeAlert(fixture);
    if (tactics) alert.attack.tactics = tactics;
    await insertAlert(env.store.db, alert);
    return attachAlert(env.store.db, alert, opts, clock);
  }

  it("never groups two sources' alerts by a bare rule id, nor two senders' alerts of one source", async () => {
    const rule = { id: "rule-3", title: "Rule 3" };
    const elastic = await attach({ source: "elastic", rule, host: "web-01" });
    const opensearch = await attach({ source: "opensearch", rule, host: "web-01" });
    expect(opensearch.created).toBe(true);
    expect(opensearch.caseId).not.toBe(elastic.caseId);
    const prom = await attach({ source: "monitor", rule, origin: { via: "webhook", sender: "webhook:prom" } });
    const other = await attach({ source: "monitor", rule, origin: { via: "webhook", sender: "webhook:intruder" } });
    expect(other.caseId).not.toBe(prom.caseId);
    expect((await getCase(env.store.db, elastic.caseId))!.alert_ids).toHaveLength(1);
  });

  it("groups across sources only by a declared cross-source key", async () => {
    const crossSource = [{ name: "perimeter", sources: ["Suricata", "zeek"] }];
    const a = await attach({ source: "suricata", host: "fw-01" }, { ...options, crossSource });
    const b = await attach({ source: "zeek", host: "fw-01", time: "2026-11-24T09:05:00Z" }, { ...options, crossSource });
    const c = await attach({ source: "wazuh", host: "fw-01", time: "2026-11-24T09:06:00Z" }, { ...options, crossSource });
    expect(b).toMatchObject({ caseId: a.caseId, joined: "rule" });
    expect(c.caseId).not.toBe(a.caseId);
  });

  it("refuses a source declared in two cross-source groups", async () => {
    const crossSource = [
      { name: "a", sources: ["suricata", "zeek"] },
      { name: "b", sources: ["ZEEK", "wazuh"] },
    ];
    await expect(attach({}, { ...options, crossSource })).rejects.toBeInstanceOf(ValidationError);
    expect(await env.store.db.selectFrom("cases").selectAll().execute()).toEqual([]);
  });

  it("makes one case of a flood of one rule, and one incident of different rules on one host within the hour", async () => {
    const scan = [];
    for (let i = 0; i < 30; i++)
      scan.push(await attach({ rule: { id: "scan", title: "Port scan" }, time: new Date(Date.parse("2026-11-24T09:00:00Z") + i * 60_000).toISOString() }));
    expect(new Set(scan.map((r) => r.caseId)).size).toBe(1);
    const webshell = await attach({ rule: { id: "webshell", title: "Webshell" }, time: "2026-11-24T09:40:00Z" });
    const revshell = await attach({ rule: { id: "revshell", title: "Reverse shell" }, time: "2026-11-24T10:10:00Z" });
    expect(webshell).toMatchObject({ caseId: scan[0]!.caseId, joined: "incident" });
    expect(revshell).toMatchObject({ caseId: scan[0]!.caseId, joined: "incident" });
    // Another webshell alert later follows its rule into the incident, even past the incident span.
    const again = await attach({ rule: { id: "webshell", title: "Webshell" }, time: "2026-11-24T12:30:00Z" });
    expect(again).toMatchObject({ caseId: scan[0]!.caseId, joined: "rule" });
    expect((await getCase(env.store.db, scan[0]!.caseId))!.alert_ids).toHaveLength(33);
  });

  it("keeps an attack out of a long-running stream of noise on the same host", async () => {
    let noise;
    for (let h = 0; h < 6; h++)
      noise = await attach({ rule: { id: "clamav-update", title: "ClamAV database update" }, host: "mail", time: `2026-11-24T0${h}:30:00Z` });
    const attack = await attach({ rule: { id: "dns-exfil", title: "DNS exfiltration" }, host: "mail", time: "2026-11-24T05:45:00Z" });
    expect(attack.created).toBe(true);
    expect(attack.caseId).not.toBe(noise!.caseId);
  });

  it("keeps a host's routine rule out of a new incident on it", async () => {
    const routine = { id: "web-400", title: "Web server 400 error" };
    await attach({ rule: routine, host: "web", time: "2026-11-24T02:00:00Z" });
    const scan = await attach({ rule: { id: "nmap", title: "Nmap scan" }, host: "web", time: "2026-11-24T08:00:00Z" });
    const again = await attach({ rule: routine, host: "web", time: "2026-11-24T08:10:00Z" });
    const exploit = await attach({ rule: { id: "sqli", title: "SQL injection" }, host: "web", time: "2026-11-24T08:20:00Z" });
    expect(again.caseId).not.toBe(scan.caseId);
    expect(exploit).toMatchObject({ caseId: scan.caseId, joined: "incident" });
  });

  it("lets the next kill-chain steps join an older incident, not unrelated alerts", async () => {
    await attach({ rule: { id: "brute", title: "SSH brute force" }, host: "db-01", time: "2026-11-24T06:00:00Z", tactics: ["credential-access"] });
    const brute = await attach({ rule: { id: "brute", title: "SSH brute force" }, host: "db-01", time: "2026-11-24T08:50:00Z", tactics: ["credential-access"] });
    const c2 = await attach({ rule: { id: "c2", title: "Beacon" }, host: "db-01", time: "2026-11-24T09:10:00Z", tactics: ["Command and Control"] });
    expect(c2).toMatchObject({ caseId: brute.caseId, joined: "incident" });
    const plain = await attach({ rule: { id: "update", title: "Package update" }, host: "db-01", time: "2026-11-24T09:15:00Z" });
    expect(plain.created).toBe(true);
  });

  it("orders tactics by id and by any spelling of their name", () => {
    expect(tacticStage("TA0011")).toBe(tacticStage("command-and-control"));
    expect(tacticStage("Command And Control")).toBe(tacticStage("command_and_control"));
    expect(tacticStage("made-up")).toBeNull();
    expect(continuesKillChain(["initial-access"], ["execution"])).toBe(true);
    expect(continuesKillChain(["impact"], ["reconnaissance"])).toBe(false);
    expect(continuesKillChain([], ["execution"])).toBe(false);
  });
});
