import type { CaseFacts } from "./facts.js";

/** How VERA resolved TORA's hypotheses for one alert type. */
export interface Calibration {
  alert_type: string;
  investigated: number;
  confirmed: string[];
  refined: string[];
  refuted: string[];
  /** (refined + refuted) / investigated, 0–1. */
  disagreement: number;
  rules: string[];
}

/** Per alert type, how often VERA confirmed, refined or refuted TORA (crew.md: VERA does not re-triage). */
export function triageCalibration(cases: CaseFacts[]): Calibration[] {
  const byType = new Map<string, Calibration>();
  for (const c of cases) {
    if (!c.tora || !c.vera) continue;
    const type = c.tora.alert_type;
    const cal = byType.get(type) ?? { alert_type: type, investigated: 0, confirmed: [], refined: [], refuted: [], disagreement: 0, rules: [] };
    cal.investigated++;
    ({ CONFIRMED: cal.confirmed, REFINED: cal.refined, REFUTED: cal.refuted })[c.vera.resolution].push(c.case_id);
    for (const a of c.alerts) if (a.rule_id && !cal.rules.includes(a.rule_id)) cal.rules.push(a.rule_id);
    byType.set(type, cal);
  }
  return [...byType.values()]
    .map((cal) => ({ ...cal, disagreement: (cal.refined.length + cal.refuted.length) / cal.investigated, rules: cal.rules.sort() }))
    .sort((a, b) => b.investigated - a.investigated || a.alert_type.localeCompare(b.alert_type));
}
