import { triageCalibration } from "./calibration.js";
import { linkCampaigns } from "./campaigns.js";
import type { CaseFacts } from "./facts.js";
import { recurringFalsePositives } from "./false-positives.js";
import { missingAssets, telemetryContradictions } from "./gaps.js";
import { Analysis, type Pattern, type Proposal } from "./schema.js";

export interface AnalyseOptions {
  shift: string;
  since: string;
  until: string;
  /** The time of the analysis: a suppression proposal expires `suppressionExpiryDays` after it. */
  now: Date;
  /** A shape judged benign this many times becomes a suppression proposal (default 3). */
  minRecurrence?: number;
  suppressionExpiryDays?: number;
  /** VERA refuted at least this share of an alert type's hypotheses (and at least twice): a tuning proposal (default 0.5). */
  refutationThreshold?: number;
  counts: Analysis["counts"];
}

const DAY_MS = 86_400_000;
const list = (ids: string[], n = 5) => `${ids.slice(0, n).join(", ")}${ids.length > n ? ` and ${ids.length - n} more` : ""}`;

/** `NOVA-<shift>-YYYYMMDD`, the date of the analysis. */
export function analysisId(shift: string, now: Date): string {
  return `NOVA-${shift.replace(/[^A-Za-z0-9_.-]/g, "-")}-${now.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/**
 * The deterministic cross-tier analysis (crew.md, NOVA): numbered patterns with evidence, confidence and what
 * would confirm them; open questions; proposals for a human. Works on facts only, never a single case's detail.
 */
export function analyse(cases: CaseFacts[], options: AnalyseOptions): Analysis {
  const id = analysisId(options.shift, options.now);
  const patterns: Pattern[] = [];
  const proposals: Proposal[] = [];
  const questions: string[] = [];
  const pattern = (p: Omit<Pattern, "id" | "details"> & { details?: Pattern["details"] }): string => {
    const pid = `P${patterns.length + 1}`;
    patterns.push({ ...p, id: pid, details: p.details ?? {} });
    return pid;
  };
  const propose = (p: Omit<Proposal, "id" | "details"> & { details?: Proposal["details"] }) =>
    proposals.push({ ...p, id: `${id}-R${proposals.length + 1}`, details: p.details ?? {} });

  const expiresAt = new Date(options.now.getTime() + (options.suppressionExpiryDays ?? 30) * DAY_MS).toISOString();
  for (const fp of recurringFalsePositives(cases, { minCases: options.minRecurrence ?? 3, expiresAt })) {
    const what = [fp.sample.rule_id && `rule ${fp.sample.rule_id}`, fp.sample.process && `process ${fp.sample.process}`, fp.sample.host && `on ${fp.sample.host}`]
      .filter(Boolean)
      .join(" ");
    const pid = pattern({
      type: "recurring_false_positive",
      title: `${what || fp.key} judged benign in ${fp.cases.length} cases${fp.hostile.length ? `, but hostile in ${fp.hostile.length}` : ""}`,
      evidence: fp.cases,
      confidence: fp.hostile.length ? "low" : fp.cases.length >= 5 && fp.analyst_judged > 0 ? "high" : "medium",
      what_would_confirm: "An analyst reviewing a sample of these cases finds the same benign cause, and no case of this shape is later judged malicious.",
      details: { key: fp.key, analyst_judged: fp.analyst_judged, hostile: fp.hostile },
    });
    if (fp.draft) propose({ kind: "suppression", pattern: pid, summary: `Suppress ${what || fp.key} until ${fp.draft.expires_at.slice(0, 10)}`, evidence: fp.cases, suppression: fp.draft });
    else if (fp.hostile.length) questions.push(`${pid}: the shape ${what || fp.key} was judged benign in ${list(fp.cases)} but hostile in ${list(fp.hostile)} — what tells them apart?`);
  }

  for (const cal of triageCalibration(cases)) {
    if (!cal.refined.length && !cal.refuted.length) continue;
    const pid = pattern({
      type: "triage_calibration",
      title: `VERA refuted ${cal.refuted.length} and refined ${cal.refined.length} of ${cal.investigated} TORA hypotheses for ${cal.alert_type}`,
      evidence: [...cal.refuted, ...cal.refined].sort(),
      confidence: cal.investigated >= 5 ? "high" : cal.investigated >= 3 ? "medium" : "low",
      what_would_confirm: `More ${cal.alert_type} escalations investigated by VERA with the same resolution; analyst dispositions agreeing with VERA.`,
      details: { alert_type: cal.alert_type, investigated: cal.investigated, confirmed: cal.confirmed.length, refined: cal.refined.length, refuted: cal.refuted.length, disagreement: cal.disagreement, rules: cal.rules },
    });
    if (cal.refuted.length >= 2 && cal.refuted.length / cal.investigated >= (options.refutationThreshold ?? 0.5))
      propose({
        kind: "detection_tuning",
        pattern: pid,
        summary: `Tune ${cal.rules.join(", ") || cal.alert_type}: VERA refuted ${cal.refuted.length} of ${cal.investigated} escalations`,
        evidence: cal.refuted,
        details: { alert_type: cal.alert_type, rules: cal.rules },
      });
  }

  for (const campaign of linkCampaigns(cases)) {
    pattern({
      type: campaign.hostile ? "campaign_confirmation" : "infrastructure_reuse",
      title: `${campaign.cases.length} cases share ${campaign.shared.length} indicator${campaign.shared.length === 1 ? "" : "s"} (${list(campaign.shared, 3)})`,
      evidence: campaign.cases,
      confidence: campaign.shared.length >= 2 ? "high" : "medium",
      what_would_confirm: "The shared indicators resolving to the same operator (intel attribution, hosting, certificates) or VERA's timelines joining the cases.",
      details: { linked_cases: campaign.cases, shared_indicators: campaign.shared, hostile: campaign.hostile },
    });
  }

  const missing = missingAssets(cases);
  if (missing.length) {
    const pid = pattern({
      type: "context_gap",
      title: `${missing.length} host${missing.length === 1 ? "" : "s"} seen in alerts without a CMDB record`,
      evidence: [...new Set(missing.flatMap((m) => m.cases))].sort(),
      confidence: "high",
      what_would_confirm: "The hosts found in the inventory or DHCP leases; an owner naming their role and criticality.",
      details: { hosts: missing.map((m) => m.host) },
    });
    for (const m of missing.slice(0, 20))
      propose({ kind: "cmdb_record", pattern: pid, summary: `Add ${m.host} to the CMDB (seen in ${m.cases.length} case${m.cases.length === 1 ? "" : "s"})`, evidence: m.cases, details: { ...m } });
  }

  for (const t of telemetryContradictions(cases)) {
    const pid = pattern({
      type: "telemetry_contradiction",
      title: `Sources disagree about ${t.host}'s address: ${Object.entries(t.addresses).map(([s, ips]) => `${s} ${ips.join("/")}`).join(" vs ")}`,
      evidence: t.cases,
      confidence: "medium",
      what_would_confirm: "DHCP leases or the EDR's own inventory for the host at the alerts' times; one source's host naming being wrong.",
      details: { host: t.host, addresses: t.addresses },
    });
    propose({ kind: "telemetry_review", pattern: pid, summary: `Reconcile how ${Object.keys(t.addresses).join(" and ")} name ${t.host}`, evidence: t.cases, details: { ...t } });
  }

  const blocking = new Map<string, string[]>();
  for (const c of cases) for (const f of c.tora?.blocking_fields ?? []) blocking.set(f, [...(blocking.get(f) ?? []), c.case_id]);
  for (const [field, ids] of [...blocking.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0])).slice(0, 3))
    questions.push(`${field} blocked ${ids.length} decision${ids.length === 1 ? "" : "s"} (${list(ids)}): which source could supply it?`);
  const precedent = cases.filter((c) => c.tora?.precedent_closure).map((c) => c.case_id);
  if (precedent.length) questions.push(`${precedent.length} case${precedent.length === 1 ? " was" : "s were"} closed on analyst precedent on a sensitive asset (${list(precedent)}): has a human sampled them?`);

  return Analysis.parse({
    schema_version: 1,
    id,
    shift: options.shift,
    since: options.since,
    until: options.until,
    analyst: "deterministic",
    counts: options.counts,
    patterns,
    open_questions: questions,
    proposals,
  });
}
