import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { caseHandlers, getCase, listAudit, transitionCase, verifyAuditChain } from "../src/cases/index.js";
import { contextHandlers, listSuppressions, loadContext } from "../src/context/index.js";
import { Alert, ENRICH_JOB, fixedClock, type Clock } from "../src/core/index.js";
import { crewHandlers, getToraDecision } from "../src/crew/tora/handler.js";
import { decideProposal, listProposals, runNova } from "../src/nova/index.js";
import { enqueue, runUntilIdle } from "../src/store/index.js";
import { insertAlertRow } from "./support/alerts.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "./support/store.js";

/** A recurring benign updater on one workstation: the shape NOVA should learn to suppress. */
function updater(n: number, time: string): Alert {
  return Alert.parse({
    schema_version: 1,
    id: `upd-${n}`,
    source: "sysmon",
    source_id: null,
    time,
    received_at: time,
    title: "Process creation: OneDriveSetup.exe",
    severity: "low",
    subtype: "process_creation",
    rule: { id: "proc-updater-001", title: "Updater spawned from user profile" },
    attack: { tactics: ["execution"], techniques: ["T1059"] },
    host: { name: "WS-042", ip: ["10.1.2.42"] },
    user: { name: "jdoe" },
    src: { ip: "10.1.2.42" },
    dst: null,
    network: null,
    process: { name: "OneDriveSetup.exe", command_line: `OneDriveSetup.exe /update /restart /session ${1000 + n}`, parent_name: "OneDrive.exe", signed: true, signer: "Microsoft Corporation" },
    email: null,
    observables: [],
    raw: null,
    unmapped: {},
    origin: { via: "api" },
  });
}

describe(`NOVA learns a suppression from a shift (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function shift(alerts: Alert[], clock: Clock): Promise<string[]> {
    for (const alert of alerts) {
      await insertAlertRow(env.store.db, alert, { stage: "received" });
      await enqueue(env.store.db, ENRICH_JOB, { alert_id: alert.id });
      const stats = await runUntilIdle(env.store.db, {
        handlers: {
          ...contextHandlers({ historyWindowHours: 24, suppressionMaxAgeDays: 90, clock }),
          ...caseHandlers({ windowMinutes: 60, clock }),
          ...crewHandlers({ clock }),
        },
        clock,
      });
      expect(stats.failed).toBe(0);
    }
    const rows = await env.store.db.selectFrom("alerts").select(["id", "case_id"]).where("id", "in", alerts.map((a) => a.id)).execute();
    return alerts.map((a) => rows.find((r) => r.id === a.id)!.case_id!);
  }

  it("proposes a suppression for a recurring false positive; once accepted the next identical alert closes citing it", async () => {
    const clock = fixedClock("2026-03-02T00:00:00.000Z", 100);
    await loadContext(
      env.store.db,
      {
        assets: [{ hostname: "WS-042", ips: ["10.1.2.42"], criticality: "low", environment: "corporate", crown_jewel_adjacent: false, owner: "it", network_segment: "office", patch_level: "2026-02", edr_present: true }],
        identities: [{ username: "jdoe", user_type: "human", privilege_level: "standard" }],
      },
      { clock: fixedClock("2026-01-01T00:00:00.000Z") },
    );
    // Four alerts of the same shape, hours apart (four cases), each judged a false positive by an analyst.
    const first = await shift([0, 1, 2, 3].map((n) => updater(n, `2026-03-01T0${2 * n}:00:00.000Z`)), clock);
    expect(new Set(first).size).toBe(4);
    for (const caseId of first) {
      const c = (await getCase(env.store.db, caseId))!;
      if (c.status === "closed") continue;
      await transitionCase(env.store.db, caseId, { to: "closed", actor: { kind: "human", name: "alice" }, verdict: "false_positive", rationale: "OneDrive updating itself" }, clock);
    }
    for (const caseId of first) expect((await getCase(env.store.db, caseId))!.suppression_id).toBeNull();

    const analysis = await runNova(env.store.db, { since: "2026-03-01T00:00:00.000Z", shift: "night" }, clock);
    expect(analysis.id).toMatch(/^NOVA-night-\d{8}$/);
    const pattern = analysis.patterns.find((p) => p.type === "recurring_false_positive")!;
    expect(pattern.evidence.sort()).toEqual([...first].sort());
    const proposal = analysis.proposals.find((p) => p.kind === "suppression")!;
    expect(proposal.suppression!.scope).toMatchObject({ rule_id: "proc-updater-001", host: "ws-042", process_name: "onedrivesetup.exe", parent_name: "onedrive.exe", command_line_contains: "OneDriveSetup.exe /update /restart /session" });
    expect((await listProposals(env.store.db, { status: "proposed" })).map((p) => p.id)).toContain(proposal.id);

    // A viewer cannot decide; nothing changes.
    await expect(decideProposal(env.store.db, proposal.id, "accept", { name: "wallboard", role: "viewer" }, clock)).rejects.toThrow(/analyst or admin/);
    expect(await listSuppressions(env.store.db)).toEqual([]);

    const accepted = await decideProposal(env.store.db, proposal.id, "accept", { name: "bob", role: "analyst" }, clock);
    expect(accepted).toMatchObject({ status: "accepted", decided_by: "bob", suppression_id: `SUP-${proposal.id}` });
    await expect(decideProposal(env.store.db, proposal.id, "reject", { name: "bob", role: "analyst" }, clock)).rejects.toThrow(/already accepted/);
    const audit = (await listAudit(env.store.db, {})).filter((e) => e.action.startsWith("nova."));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "nova.proposal.accepted", actor: { kind: "human", name: "bob" }, data: { proposal_id: proposal.id, suppression_id: `SUP-${proposal.id}` } });
    expect((await verifyAuditChain(env.store.db)).ok).toBe(true);

    // The next identical alert (another session number), after the acceptance: closed, citing the suppression.
    const [next] = await shift([updater(9, "2026-03-02T06:00:00.000Z")], clock);
    const c = (await getCase(env.store.db, next!))!;
    expect(c).toMatchObject({ status: "closed", suppression_id: `SUP-${proposal.id}` });
    const decision = await getToraDecision(env.store.db, next!);
    expect(decision?.verdict).toBe("CLOSED");
    expect(JSON.stringify(decision?.output)).toContain(`SUP-${proposal.id}`);

    // A second run proposes the same suppression no more.
    const again = await runNova(env.store.db, { since: "2026-03-01T00:00:00.000Z", shift: "night" }, clock);
    expect(again.id).toMatch(/^NOVA-night\.2-\d{8}$/);
    expect(again.proposals.filter((p) => p.kind === "suppression")).toEqual([]);
  });
});
