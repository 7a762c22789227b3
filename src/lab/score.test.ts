import { describe, expect, it } from "vitest";
import type { AlertObservation, CaseObservation, ReplayObservation } from "./replay.js";
import type { Incident } from "./schema.js";
import { headline, scorePack } from "./score.js";

/*
 * A tiny hand-made shift whose right numbers are known:
 * - incident "c2" (malicious): alerts a1, a2 in case C1 (TORA escalated, VERA escalated to ARIA with
 *   isolate_host ws-1 but not block_ioc evil.test), a3 alone in C2 (held);
 * - incident "phish" (malicious): a4 in C3, closed by TORA → the incident ends closed;
 * - incident "missed" (malicious) has no alert at all (detection missed it);
 * - incident "quarantined" (malicious, expected CLOSED: contained by a control): q1 in C7, closed — right,
 *   so it is counted apart and is no failure;
 * - benign: b1 in C4 (closed), b2 in C5 (suppressed), b3 in C6 (TORA escalated, VERA held, and VERA
 *   recommended isolating the DC — wrong twice over: benign case and forbidden).
 */
const incident = (id: string, extra: Partial<Incident> = {}): Incident => ({ id, title: id, malicious: true, techniques: [], containment: [], forbidden: [], ...extra });
const incidents = new Map<string, Incident>([
  ["c2", incident("c2", { techniques: ["T1071.004"], containment: [{ action: "isolate_host", target: "ws-1" }, { action: "block_ioc", target: "evil.test" }] })],
  ["phish", incident("phish")],
  ["missed", incident("missed")],
  ["quarantined", incident("quarantined", { tora: "CLOSED" })],
  ["admin", incident("admin", { malicious: false, forbidden: [{ action: "isolate_host", target: "dc-1" }] })],
]);
const kase = (id: string, extra: Partial<CaseObservation>): CaseObservation => ({
  id,
  outcome: "escalated",
  priority: "P3",
  tora: null,
  vera: null,
  hypothesis: null,
  recommendations: [],
  techniques: [],
  durationMs: 10,
  tokensIn: 0,
  tokensOut: 0,
  ...extra,
});
const alert = (id: string, caseId: string, outcome: AlertObservation["outcome"], malicious: boolean, incidentId?: string): AlertObservation => ({
  id,
  caseId,
  outcome,
  truth: { malicious, ...(incidentId ? { incident: incidentId } : {}) },
});
const observation: ReplayObservation = {
  alerts: [
    alert("a1", "C1", "escalated", true, "c2"),
    alert("a2", "C1", "escalated", true, "c2"),
    alert("a3", "C2", "held", true, "c2"),
    alert("a4", "C3", "closed", true, "phish"),
    alert("b1", "C4", "closed", false),
    alert("b2", "C5", "suppressed", false),
    alert("b3", "C6", "held", false, "admin"),
    alert("q1", "C7", "closed", true, "quarantined"),
  ],
  cases: [
    kase("C1", { tora: "ESCALATED", vera: "ESCALATE_TO_ARIA", hypothesis: "CONFIRMED", priority: "P1", techniques: ["T1071"], recommendations: [{ action: "isolate_host", target: "WS-1" }] }),
    kase("C2", { tora: "INSUFFICIENT_CONTEXT", outcome: "held" }),
    kase("C3", { tora: "CLOSED", outcome: "closed" }),
    kase("C4", { tora: "CLOSED", outcome: "closed" }),
    kase("C5", { tora: "CLOSED", outcome: "suppressed" }),
    kase("C6", { tora: "ESCALATED", vera: "HOLD", hypothesis: "REFUTED", outcome: "held", recommendations: [{ action: "isolate_host", target: "dc-1" }] }),
    kase("C7", { tora: "CLOSED", outcome: "closed" }),
  ],
  wallMs: 100,
  jobs: { processed: 0, failed: 0 },
  analyst: "deterministic",
  silentLogs: [],
  learnFrom: { files: 0, applied: false, note: null },
};

describe("scorePack", () => {
  const score = scorePack(observation, incidents);

  it("counts incidents caught and closed, alert recall and benign closures", () => {
    expect(score.counts).toMatchObject({
      alerts: 8,
      malicious_alerts: 4,
      contained_alerts: 1,
      contained_incidents: 1,
      contained_incidents_closed: 1,
      benign_alerts: 3,
      malicious_alerts_escalated: 2,
      malicious_alerts_closed: 1,
      benign_alerts_closed: 2,
      malicious_incidents: 3,
      incidents_caught: 1,
      malicious_incidents_closed: 1,
      escalated_cases: 2,
      escalated_cases_malicious: 1,
      crew_ms: 70,
    });
    expect(headline(score.counts)).toEqual({
      malicious_incidents_closed: 1,
      incident_recall: 0.3333,
      alert_recall: 0.5,
      benign_auto_closed: 0.6667,
      escalation_precision: 0.5,
      alerts_per_case: 1.14,
    });
    const byId = Object.fromEntries(score.incidents.map((i) => [i.id, i]));
    expect(byId.c2).toMatchObject({ alerts: 3, caught: true, closed: false, priority: "P1", techniques_named: true });
    expect(byId.phish).toMatchObject({ caught: false, closed: true });
    expect(byId.missed).toMatchObject({ alerts: 0, caught: false, closed: false });
  });

  it("fills the per-tier confusion matrices by case, by truth and by expected verdict", () => {
    expect(score.tiers.tora.by_truth.malicious).toEqual({ ESCALATED: 1, INSUFFICIENT_CONTEXT: 1, CLOSED: 2, NONE: 0 });
    expect(score.tiers.tora.by_truth.benign).toEqual({ ESCALATED: 1, INSUFFICIENT_CONTEXT: 0, CLOSED: 2, NONE: 0 });
    expect(score.tiers.tora.by_expected.ESCALATED).toEqual({ ESCALATED: 1, INSUFFICIENT_CONTEXT: 1, CLOSED: 1, NONE: 0 });
    expect(score.tiers.tora.by_expected.CLOSED).toEqual({ ESCALATED: 1, INSUFFICIENT_CONTEXT: 0, CLOSED: 3, NONE: 0 });
    expect(score.tiers.tora).toMatchObject({ agreed: 4, judged: 7 });
    expect(score.tiers.vera.by_truth).toEqual({
      malicious: { ESCALATE_TO_ARIA: 1, HOLD: 0, CLOSED: 0, NONE: 0 },
      benign: { ESCALATE_TO_ARIA: 0, HOLD: 1, CLOSED: 0, NONE: 0 },
    });
    expect(score.counts.hypotheses).toEqual({ malicious: { CONFIRMED: 1, REFINED: 0, REFUTED: 0 }, benign: { CONFIRMED: 0, REFINED: 0, REFUTED: 1 } });
  });

  it("finds missing and wrong containment", () => {
    expect(score.containment.missing).toEqual([{ action: "block_ioc", target: "evil.test", incident: "c2" }]);
    expect(score.containment.wrong).toEqual([{ action: "isolate_host", target: "dc-1", case: "C6", why: "forbidden, and the case is benign" }]);
    expect(score.counts).toMatchObject({ containment_expected: 2, containment_missing: 1, containment_wrong: 1 });
  });
});
