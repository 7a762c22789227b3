import type { Incident, AlertTruth, ContainmentAction } from "./schema.js";
import type { AlertObservation, CaseObservation, ReplayObservation } from "./replay.js";

/*
 * Scoring is pure: what became of each alert and case (a ReplayObservation) against the pack's answer key.
 * Definitions (also in src/lab/README.md):
 * - an alert is escalated when its case's TORA verdict is ESCALATED (whatever VERA did next);
 * - a malicious incident is caught when one of its alerts is escalated, and closed when it has alerts and
 *   every one of them ends in a closed or suppressed case;
 * - a contained malicious alert or incident (its expected TORA verdict is CLOSED: a true positive a control
 *   already stopped, such as a quarantined phish nobody clicked) is counted apart: closing it is right, so
 *   it is in neither the recalls nor malicious_incidents_closed;
 * - a case is malicious when one of its alerts is; its expected verdict per tier is the strongest expected
 *   verdict of its alerts (ESCALATED > INSUFFICIENT_CONTEXT > CLOSED; ESCALATE_TO_ARIA > HOLD > CLOSED).
 */

export const TORA_LABELS = ["ESCALATED", "INSUFFICIENT_CONTEXT", "CLOSED", "NONE"] as const;
export const VERA_LABELS = ["ESCALATE_TO_ARIA", "HOLD", "CLOSED", "NONE"] as const;
const TORA_RANK: Record<string, number> = { CLOSED: 1, INSUFFICIENT_CONTEXT: 2, ESCALATED: 3 };
const VERA_RANK: Record<string, number> = { CLOSED: 1, HOLD: 2, ESCALATE_TO_ARIA: 3 };

export type Row = Record<string, number>;
/** Cases counted by truth (malicious / benign) and by expected verdict, against the verdict the tier gave. */
export interface TierMatrix {
  unit: "case";
  labels: readonly string[];
  by_truth: { malicious: Row; benign: Row };
  by_expected: Record<string, Row>;
  /** Cases whose verdict is the expected one, and cases with an expectation. */
  agreed: number;
  judged: number;
}

export interface IncidentResult {
  id: string;
  title: string;
  alerts: number;
  caught: boolean;
  closed: boolean;
  /** The most urgent priority among the cases holding its alerts. */
  priority: string | null;
  techniques_named: boolean | null;
}

export interface Counts {
  alerts: number;
  malicious_alerts: number;
  benign_alerts: number;
  malicious_alerts_escalated: number;
  malicious_alerts_closed: number;
  benign_alerts_closed: number;
  cases: number;
  escalated_cases: number;
  escalated_cases_malicious: number;
  malicious_incidents: number;
  incidents_caught: number;
  malicious_incidents_closed: number;
  contained_alerts: number;
  contained_incidents: number;
  contained_incidents_closed: number;
  containment_expected: number;
  containment_missing: number;
  containment_wrong: number;
  hypotheses: { malicious: Row; benign: Row };
  crew_ms: number;
  tokens_in: number;
  tokens_out: number;
  wall_ms: number;
}

export interface PackScore {
  counts: Counts;
  incidents: IncidentResult[];
  tiers: { tora: TierMatrix; vera: TierMatrix };
  containment: { missing: (ContainmentAction & { incident: string })[]; wrong: (ContainmentAction & { case: string; why: string })[] };
  silent_logs: number[];
}

function emptyRow(labels: readonly string[]): Row {
  return Object.fromEntries(labels.map((l) => [l, 0]));
}

export function emptyMatrix(labels: readonly string[]): TierMatrix {
  return { unit: "case", labels, by_truth: { malicious: emptyRow(labels), benign: emptyRow(labels) }, by_expected: {}, agreed: 0, judged: 0 };
}

function expectedTora(t: AlertTruth, incidents: Map<string, Incident>): string {
  return t.tora ?? (t.incident ? incidents.get(t.incident)?.tora : undefined) ?? (t.malicious ? "ESCALATED" : "CLOSED");
}

function expectedVera(t: AlertTruth, incidents: Map<string, Incident>): string {
  return t.vera ?? (t.incident ? incidents.get(t.incident)?.vera : undefined) ?? (t.malicious ? "ESCALATE_TO_ARIA" : "CLOSED");
}

function strongest(values: string[], rank: Record<string, number>): string {
  return values.reduce((best, v) => ((rank[v] ?? 0) > (rank[best] ?? 0) ? v : best), values[0]!);
}

function count(matrix: TierMatrix, malicious: boolean, expected: string, actual: string) {
  matrix.by_truth[malicious ? "malicious" : "benign"][actual]! += 1;
  const row = (matrix.by_expected[expected] ??= emptyRow(matrix.labels));
  row[actual]! += 1;
  matrix.judged += 1;
  if (expected === actual) matrix.agreed += 1;
}

const sameTarget = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const sameAction = (a: ContainmentAction, b: ContainmentAction) => a.action === b.action && sameTarget(a.target, b.target);

function namesTechnique(caseTechniques: string[], wanted: string): boolean {
  const parent = wanted.split(".")[0]!;
  return caseTechniques.some((t) => t === wanted || t === parent || t.split(".")[0] === parent);
}

const PRIORITY_ORDER = ["P1", "P2", "P3", "P4"];

/** Scores one replayed pack against its answer key. */
export function scorePack(observation: ReplayObservation, incidents: Map<string, Incident>): PackScore {
  const cases = new Map(observation.cases.map((c) => [c.id, c]));
  const caseOf = (a: AlertObservation): CaseObservation | undefined => (a.caseId ? cases.get(a.caseId) : undefined);
  const isClosed = (a: AlertObservation) => a.outcome === "closed" || a.outcome === "suppressed";
  const escalated = (a: AlertObservation) => caseOf(a)?.tora === "ESCALATED";

  const counts: Counts = {
    ...emptyCounts(),
    alerts: observation.alerts.length,
    cases: observation.cases.length,
    hypotheses: { malicious: emptyRow(["CONFIRMED", "REFINED", "REFUTED"]), benign: emptyRow(["CONFIRMED", "REFINED", "REFUTED"]) },
    crew_ms: observation.cases.reduce((s, c) => s + c.durationMs, 0),
    tokens_in: observation.cases.reduce((s, c) => s + c.tokensIn, 0),
    tokens_out: observation.cases.reduce((s, c) => s + c.tokensOut, 0),
    wall_ms: observation.wallMs,
  };

  // Alerts, and the alerts of each case and each incident.
  const byCase = new Map<string, AlertObservation[]>();
  const byIncident = new Map<string, AlertObservation[]>();
  const byContained = new Map<string, AlertObservation[]>();
  for (const a of observation.alerts) {
    if (a.truth.malicious && expectedTora(a.truth, incidents) === "CLOSED") {
      counts.contained_alerts++;
      const incident = a.truth.incident ?? `alert:${a.id}`;
      byContained.set(incident, [...(byContained.get(incident) ?? []), a]);
    } else if (a.truth.malicious) {
      counts.malicious_alerts++;
      if (escalated(a)) counts.malicious_alerts_escalated++;
      if (isClosed(a)) counts.malicious_alerts_closed++;
      const incident = a.truth.incident ?? `alert:${a.id}`;
      byIncident.set(incident, [...(byIncident.get(incident) ?? []), a]);
    } else {
      counts.benign_alerts++;
      if (isClosed(a)) counts.benign_alerts_closed++;
    }
    if (a.caseId) byCase.set(a.caseId, [...(byCase.get(a.caseId) ?? []), a]);
  }
  for (const incident of incidents.values())
    if (incident.malicious && incident.tora !== "CLOSED" && !byIncident.has(incident.id)) byIncident.set(incident.id, []);
  for (const [id, alerts] of byContained) {
    if (byIncident.has(id)) continue;
    counts.contained_incidents++;
    if (alerts.every(isClosed)) counts.contained_incidents_closed++;
  }

  // Tiers, per case.
  const tora = emptyMatrix(TORA_LABELS);
  const vera = emptyMatrix(VERA_LABELS);
  for (const c of observation.cases) {
    const alerts = byCase.get(c.id) ?? [];
    if (alerts.length === 0) continue;
    const malicious = alerts.some((a) => a.truth.malicious);
    count(tora, malicious, strongest(alerts.map((a) => expectedTora(a.truth, incidents)), TORA_RANK), c.tora ?? "NONE");
    if (c.tora === "ESCALATED") {
      counts.escalated_cases++;
      if (malicious) counts.escalated_cases_malicious++;
      count(vera, malicious, strongest(alerts.map((a) => expectedVera(a.truth, incidents)), VERA_RANK), c.vera ?? "NONE");
      if (c.hypothesis) counts.hypotheses[malicious ? "malicious" : "benign"][c.hypothesis] = (counts.hypotheses[malicious ? "malicious" : "benign"][c.hypothesis] ?? 0) + 1;
    }
  }

  // Incidents: caught, closed, priority, techniques, containment.
  const results: IncidentResult[] = [];
  const missing: PackScore["containment"]["missing"] = [];
  const wrong: PackScore["containment"]["wrong"] = [];
  for (const [id, alerts] of byIncident) {
    const declared = incidents.get(id);
    const caseIds = [...new Set(alerts.map((a) => a.caseId).filter((x): x is string => !!x))];
    const holding = caseIds.map((cid) => cases.get(cid)).filter((c): c is CaseObservation => !!c);
    const caught = alerts.some(escalated);
    const closed = alerts.length > 0 && alerts.every(isClosed);
    counts.malicious_incidents++;
    if (caught) counts.incidents_caught++;
    if (closed) counts.malicious_incidents_closed++;
    const priorities = holding.map((c) => c.priority).filter((p): p is string => !!p).sort((a, b) => PRIORITY_ORDER.indexOf(a) - PRIORITY_ORDER.indexOf(b));
    const techniques = declared?.techniques ?? [];
    const named = techniques.length ? techniques.some((t) => holding.some((c) => namesTechnique(c.techniques, t))) : null;
    const recommended = holding.flatMap((c) => c.recommendations.map((r) => ({ ...r, case: c.id })));
    for (const want of declared?.containment ?? []) {
      counts.containment_expected++;
      if (!recommended.some((r) => sameAction(r, want))) {
        counts.containment_missing++;
        missing.push({ ...want, incident: id });
      }
    }
    for (const r of recommended)
      if ((declared?.forbidden ?? []).some((f) => sameAction(f, r))) wrong.push({ action: r.action, target: r.target, case: r.case, why: `forbidden for incident ${id}` });
    results.push({ id, title: declared?.title ?? id, alerts: alerts.length, caught, closed, priority: priorities[0] ?? null, techniques_named: named });
  }
  // Recommendations on cases that hold only benign alerts are wrong, as are forbidden ones of benign incidents.
  for (const c of observation.cases) {
    const alerts = byCase.get(c.id) ?? [];
    if (alerts.length === 0 || alerts.some((a) => a.truth.malicious)) continue;
    const forbidden = [...new Set(alerts.map((a) => a.truth.incident).filter((x): x is string => !!x))].flatMap((i) => incidents.get(i)?.forbidden ?? []);
    for (const r of c.recommendations)
      wrong.push({ ...r, case: c.id, why: forbidden.some((f) => sameAction(f, r)) ? "forbidden, and the case is benign" : "the case is benign" });
  }
  counts.containment_wrong = wrong.length;

  return { counts, incidents: results, tiers: { tora, vera }, containment: { missing, wrong }, silent_logs: observation.silentLogs };
}

export function share(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((numerator / denominator) * 10_000) / 10_000;
}

/** The headline shares of a set of counts (one pack's, or the sum over packs). */
export function headline(c: Counts) {
  return {
    malicious_incidents_closed: c.malicious_incidents_closed,
    incident_recall: share(c.incidents_caught, c.malicious_incidents),
    alert_recall: share(c.malicious_alerts_escalated, c.malicious_alerts),
    benign_auto_closed: share(c.benign_alerts_closed, c.benign_alerts),
    escalation_precision: share(c.escalated_cases_malicious, c.escalated_cases),
    alerts_per_case: c.cases ? Math.round((c.alerts / c.cases) * 100) / 100 : null,
  };
}

function addRows(a: Row, b: Row): Row {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function addMatrices(a: TierMatrix, b: TierMatrix): TierMatrix {
  const by_expected: Record<string, Row> = { ...a.by_expected };
  for (const [k, row] of Object.entries(b.by_expected)) by_expected[k] = addRows(by_expected[k] ?? emptyRow(a.labels), row);
  return {
    unit: "case",
    labels: a.labels,
    by_truth: { malicious: addRows(a.by_truth.malicious, b.by_truth.malicious), benign: addRows(a.by_truth.benign, b.by_truth.benign) },
    by_expected,
    agreed: a.agreed + b.agreed,
    judged: a.judged + b.judged,
  };
}

/** Every count at zero: the start of a pack's tally and of the sum over packs. */
export function emptyCounts(): Counts {
  return {
    alerts: 0,
    malicious_alerts: 0,
    benign_alerts: 0,
    malicious_alerts_escalated: 0,
    malicious_alerts_closed: 0,
    benign_alerts_closed: 0,
    cases: 0,
    escalated_cases: 0,
    escalated_cases_malicious: 0,
    malicious_incidents: 0,
    incidents_caught: 0,
    malicious_incidents_closed: 0,
    contained_alerts: 0,
    contained_incidents: 0,
    contained_incidents_closed: 0,
    containment_expected: 0,
    containment_missing: 0,
    containment_wrong: 0,
    hypotheses: { malicious: {}, benign: {} },
    crew_ms: 0,
    tokens_in: 0,
    tokens_out: 0,
    wall_ms: 0,
  };
}

export function addCounts(a: Counts, b: Counts): Counts {
  const out = { ...a } as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === "number") out[k] = (a[k as keyof Counts] as number) + v;
  }
  out.hypotheses = { malicious: addRows(a.hypotheses.malicious, b.hypotheses.malicious), benign: addRows(a.hypotheses.benign, b.hypotheses.benign) };
  return out as unknown as Counts;
}
