import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { ValidationError, fixedClock } from "../core/index.js";
import { AlertExportLine, CaseExportLine, attachAlert, exportAlerts, exportCases, transitionCase } from "./index.js";
import { storedAlert, type AlertFixture } from "./test-alerts.js";

const ana = { kind: "human", name: "ana" } as const;
const vera = { kind: "agent", name: "VERA" } as const;

async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe(`NDJSON export (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let clock: ReturnType<typeof fixedClock>;
  beforeEach(async () => {
    env = await openTestEnvironment();
    clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function grouped(f: AlertFixture) {
    const alert = await storedAlert(env.store.db, f);
    return { alert, caseId: (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId };
  }

  /** One alert per outcome, received a minute apart in the order listed. */
  async function scenario() {
    const at = (minute: number) => `2026-11-24T08:${String(minute).padStart(2, "0")}:00.000Z`;
    const open = await grouped({ host: "open", received_at: at(1), origin: { via: "file", file: "alerts.ndjson", record: 7 } });
    const escalated = await grouped({ host: "escalated", received_at: at(2) });
    const held = await grouped({ host: "held", received_at: at(3) });
    const closed = await grouped({ host: "closed", received_at: at(4) });
    const suppressed = await grouped({ host: "suppressed", received_at: at(5) });
    const loose = await storedAlert(env.store.db, { host: "loose", received_at: at(6), source_id: null });
    await transitionCase(env.store.db, escalated.caseId, { to: "in_progress", actor: vera, assignee: vera }, clock);
    await transitionCase(env.store.db, held.caseId, { to: "on_hold", actor: vera, needsHumanVerification: true }, clock);
    await transitionCase(env.store.db, closed.caseId, { to: "closed", actor: ana, verdict: "true_positive", rationale: "confirmed" }, clock);
    await transitionCase(
      env.store.db,
      suppressed.caseId,
      { to: "closed", actor: vera, verdict: "false_positive", rationale: "backup job", suppressionId: "sup-7", crewVerdict: "CLOSED" },
      clock,
    );
    return { open, escalated, held, closed, suppressed, loose };
  }

  it("writes one line per alert with what became of it", async () => {
    const s = await scenario();
    const lines = await collect(exportAlerts(env.store.db, { pageSize: 2 }));
    for (const line of lines) AlertExportLine.strict().parse(line);
    expect(lines.map((l) => l.id)).toEqual([s.open, s.escalated, s.held, s.closed, s.suppressed].map((x) => x.alert.id).concat(s.loose.id));
    expect(lines.map((l) => l.outcome)).toEqual(["open", "escalated", "held", "closed", "suppressed", "open"]);
    expect(lines[0]).toMatchObject({
      id: s.open.alert.id,
      source_id: s.open.alert.source_id,
      source: { name: "suricata", file: "alerts.ndjson", record: 7 },
      time: s.open.alert.time,
      received_at: "2026-11-24T08:01:00.000Z",
      title: "Malicious DNS lookup",
      severity: "medium",
      rule_id: "dns-malicious",
      case_id: s.open.caseId,
      case_status: "new",
      case_verdict: null,
    });
    expect(lines[3]).toMatchObject({ case_status: "closed", case_verdict: "true_positive" });
    expect(lines[4]).toMatchObject({ case_status: "closed", case_verdict: "false_positive", case_crew_verdict: "CLOSED" });
    expect(lines[5]).toMatchObject({ source_id: null, source: { name: "suricata", file: null, record: null }, case_id: null, case_status: null, case_verdict: null });
  });

  it("exports alerts received since a time, or whose case changed since then", async () => {
    const s = await scenario();
    const since = clock.now().toISOString();
    const late = await storedAlert(env.store.db, { host: "late", received_at: "2026-11-24T23:00:00.000Z" });
    await transitionCase(env.store.db, s.open.caseId, { to: "in_progress", actor: ana }, clock);
    // The open alert was received long before `since` but its case changed after; the late one arrived after.
    const lines = await collect(exportAlerts(env.store.db, { since }));
    expect(lines.map((l) => [l.id, l.outcome])).toEqual([
      [s.open.alert.id, "escalated"],
      [late.id, "open"],
    ]);
    const byReceipt = await collect(exportAlerts(env.store.db, { since: "2026-11-24T08:06:00Z" }));
    // At the boundary counts: the loose alert was received at exactly 08:06.
    expect(byReceipt.map((l) => l.id)).toContain(s.loose.id);
    expect(byReceipt).toHaveLength(7);
    expect(await collect(exportAlerts(env.store.db, { since: "2099-01-01T00:00:00+02:00" }))).toEqual([]);
    await expect(collect(exportAlerts(env.store.db, { since: "yesterday" }))).rejects.toBeInstanceOf(ValidationError);
  });

  it("writes one line per case with exactly the contract's fields", async () => {
    const s = await scenario();
    const extra = await storedAlert(env.store.db, { host: "escalated", time: "2026-11-24T09:10:00Z" });
    await attachAlert(env.store.db, extra, { windowMinutes: 60 }, clock);
    const lines = await collect(exportCases(env.store.db, { pageSize: 2 }));
    for (const line of lines) CaseExportLine.strict().parse(line);
    expect(Object.keys(lines[0]!).sort()).toEqual(
      [
        "id", "title", "status", "verdict", "verdict_rationale", "crew_verdict", "outcome", "priority", "severity", "confidence",
        "assignee", "tags", "attack", "alert_ids", "observables", "created_at", "updated_at", "acknowledged_at", "escalated_at",
        "resolved_at", "closed_at",
      ].sort(),
    );
    expect(lines.map((l) => l.id)).toEqual([s.open, s.escalated, s.held, s.closed, s.suppressed].map((x) => x.caseId));
    expect(lines.map((l) => l.outcome)).toEqual(["open", "escalated", "held", "closed", "suppressed"]);
    expect(lines[1]).toMatchObject({ assignee: vera, alert_ids: [s.escalated.alert.id, extra.id], observables: [{ type: "host", value: "escalated", role: "target" }] });
    expect(lines[1]!.escalated_at).not.toBeNull();
    expect(lines[3]).toMatchObject({ verdict: "true_positive", verdict_rationale: "confirmed", status: "closed" });
    expect(lines[3]!.closed_at).not.toBeNull();
  });

  it("exports ATT&CK tactics by canonical name with their ids, however the alerts' sources spelt them", async () => {
    const { caseId } = await grouped({ host: "mixed" });
    const spelt = { tactics: ["defense-evasion", "Command And Control", "Command and Control", "command_and_control", "TA0011", "Custom Tactic"], techniques: [] };
    await env.store.db.updateTable("cases").set({ attack: JSON.stringify(spelt) }).where("id", "=", caseId).execute();
    const [line] = await collect(exportCases(env.store.db, {}));
    expect(line!.attack).toEqual({ tactics: ["Defense Evasion", "Command and Control", "Custom Tactic"], tactic_ids: ["TA0005", "TA0011"], techniques: [] });
  });

  it("exports cases updated since a time", async () => {
    const s = await scenario();
    const since = clock.now().toISOString();
    await transitionCase(env.store.db, s.open.caseId, { to: "on_hold", actor: ana }, clock);
    expect((await collect(exportCases(env.store.db, { since }))).map((l) => [l.id, l.outcome])).toEqual([[s.open.caseId, "held"]]);
    expect(await collect(exportCases(env.store.db, { since: "2099-01-01T00:00:00Z" }))).toEqual([]);
  });
});
