import { describe, expect, it } from "vitest";
import { analyse, analysisId } from "./analyse.js";
import type { AlertFacts, CaseFacts } from "./facts.js";
import { commandLineShape } from "./false-positives.js";

let n = 0;
function alert(patch: Partial<AlertFacts> = {}): AlertFacts {
  n++;
  return {
    id: `a-${n}`,
    source: "sysmon",
    rule_id: "proc-1",
    time: "2026-03-01T00:00:00.000Z",
    host: "WS-1",
    host_ips: ["10.0.0.1"],
    user: "jdoe",
    process: "updater.exe",
    parent: "explorer.exe",
    command_line: `updater.exe /run ${n}`,
    asset_known: true,
    indicators: [],
    ...patch,
  };
}

function kase(id: number, patch: Partial<CaseFacts> = {}, alerts: AlertFacts[] = [alert()]): CaseFacts {
  return {
    case_id: `TORA-20260301-${String(id).padStart(4, "0")}`,
    status: "closed",
    verdict: "false_positive",
    suppression_id: null,
    tora: {
      verdict: "CLOSED",
      alert_type: "process_creation",
      likely_false_positive: true,
      suppression_candidate: true,
      forced_escalation: false,
      completeness: "complete",
      missing_fields: [],
      blocking_fields: [],
      precedent_closure: false,
    },
    vera: null,
    alerts,
    ...patch,
  };
}

const now = new Date("2026-03-02T00:00:00.000Z");
const run = (cases: CaseFacts[]) =>
  analyse(cases, { shift: "night", since: "2026-03-01T00:00:00.000Z", until: now.toISOString(), now, counts: { cases: cases.length, tora_decisions: cases.length, vera_decisions: 0 } });

const escalated = (id: number, resolution: "CONFIRMED" | "REFINED" | "REFUTED", alerts?: AlertFacts[]): CaseFacts =>
  kase(
    id,
    {
      verdict: null,
      status: "in_progress",
      tora: { ...kase(0).tora!, verdict: "ESCALATED", likely_false_positive: false, alert_type: "dns_malicious_lookup" },
      vera: { resolution, verdict: resolution === "REFUTED" ? "CLOSED" : "ESCALATE_TO_ARIA", missing_telemetry: [] },
    },
    alerts ?? [alert({ rule_id: "dns-1", process: null, parent: null, command_line: null })],
  );

describe("NOVA analysis", () => {
  it("names analyses NOVA-<shift>-YYYYMMDD", () => {
    expect(analysisId("night", now)).toBe("NOVA-night-20260302");
  });

  it("shapes command lines without their numbers, GUIDs and case", () => {
    expect(commandLineShape("Up.exe /S 12 {0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}")).toBe(commandLineShape("up.exe  /s 7 {11111111-2222-3333-4444-555555555555}"));
    expect(commandLineShape(null)).toBeNull();
  });

  it("proposes a scoped, expiring suppression for a shape judged benign three times, and not for two", () => {
    expect(run([kase(1), kase(2)]).proposals).toEqual([]);
    const a = run([kase(1), kase(2), kase(3)]);
    expect(a.patterns[0]).toMatchObject({ id: "P1", type: "recurring_false_positive", confidence: "medium", evidence: [kase(1).case_id, kase(2).case_id, kase(3).case_id] });
    expect(a.proposals).toEqual([
      expect.objectContaining({
        id: "NOVA-night-20260302-R1",
        kind: "suppression",
        pattern: "P1",
        suppression: expect.objectContaining({
          scope: { rule_id: "proc-1", host: "ws-1", user: "jdoe", process_name: "updater.exe", parent_name: "explorer.exe", command_line_contains: "updater.exe /run" },
          expires_at: "2026-04-01T00:00:00.000Z",
        }),
      }),
    ]);
  });

  it("never proposes suppressing a shape also judged hostile: it asks an open question instead", () => {
    const a = run([kase(1), kase(2), kase(3), kase(4, { verdict: "true_positive", tora: { ...kase(0).tora!, verdict: "ESCALATED" } })]);
    expect(a.proposals.filter((p) => p.kind === "suppression")).toEqual([]);
    expect(a.patterns[0]).toMatchObject({ type: "recurring_false_positive", confidence: "low" });
    expect(a.open_questions[0]).toMatch(/^P1: .*hostile in TORA-20260301-0004/);
  });

  it("skips cases already closed by a suppression and shapes whose alerts differ by parent", () => {
    expect(run([kase(1), kase(2), kase(3, { suppression_id: "SUP-1" })]).proposals).toEqual([]);
    expect(run([kase(1), kase(2), kase(3, {}, [alert({ parent: "winword.exe" })])]).proposals).toEqual([]);
  });

  it("measures triage calibration per alert type and proposes tuning when VERA mostly refutes", () => {
    const a = run([escalated(1, "REFUTED"), escalated(2, "REFUTED"), escalated(3, "CONFIRMED"), escalated(4, "REFINED")]);
    const cal = a.patterns.find((p) => p.type === "triage_calibration")!;
    expect(cal.details).toMatchObject({ alert_type: "dns_malicious_lookup", investigated: 4, confirmed: 1, refined: 1, refuted: 2, disagreement: 0.75 });
    expect(a.proposals.find((p) => p.kind === "detection_tuning")).toMatchObject({ pattern: cal.id, details: { rules: ["dns-1"] } });
    expect(run([escalated(1, "REFUTED"), escalated(2, "CONFIRMED"), escalated(3, "CONFIRMED")]).proposals).toEqual([]);
  });

  it("links cases sharing an indicator into one campaign, transitively", () => {
    const c2 = (id: number, indicators: string[]) => escalated(id, "CONFIRMED", [alert({ host: `WS-${id}`, host_ips: [`10.0.0.${id}`], indicators })]);
    const a = run([c2(1, ["domain:evil.example"]), c2(2, ["domain:evil.example", "ip:203.0.113.9"]), c2(3, ["ip:203.0.113.9"]), c2(4, ["domain:other.example"])]);
    const campaigns = a.patterns.filter((p) => p.type === "campaign_confirmation");
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]!.details).toMatchObject({ linked_cases: [c2(1, []).case_id, c2(2, []).case_id, c2(3, []).case_id], shared_indicators: ["domain:evil.example", "ip:203.0.113.9"] });
  });

  it("proposes CMDB records for hosts enrichment never found, and flags sources that disagree about a host", () => {
    const a = run([
      kase(1, {}, [alert({ host: "LAB-9", asset_known: false, source: "sysmon", host_ips: ["10.9.9.9"] })]),
      kase(2, {}, [alert({ host: "lab-9", asset_known: false, source: "suricata", host_ips: ["10.7.7.7"] })]),
    ]);
    expect(a.patterns.map((p) => p.type)).toEqual(["context_gap", "telemetry_contradiction"]);
    expect(a.proposals.find((p) => p.kind === "cmdb_record")).toMatchObject({ evidence: [kase(1).case_id, kase(2).case_id], details: { host: "LAB-9", sources: ["suricata", "sysmon"] } });
    expect(a.proposals.find((p) => p.kind === "telemetry_review")!.details).toMatchObject({ addresses: { suricata: ["10.7.7.7"], sysmon: ["10.9.9.9"] } });
  });

  it("asks which source could supply the fields that blocked decisions", () => {
    const stuck = kase(1, { verdict: null, tora: { ...kase(0).tora!, verdict: "INSUFFICIENT_CONTEXT", likely_false_positive: false, blocking_fields: ["asset.criticality"] } });
    expect(run([stuck]).open_questions).toEqual([`asset.criticality blocked 1 decision (${stuck.case_id}): which source could supply it?`]);
  });
});
