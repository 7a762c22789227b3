import { Alert, ToraOutput, VeraOutput, Verdict } from "../core/index.js";
import { alertObservables } from "../cases/index.js";
import { fromJson, type Executor } from "../store/index.js";
import type { AlertFacts, CaseFacts } from "./facts.js";

const CHUNK = 500;

function chunks<T>(values: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(values.slice(i, i + CHUNK));
  return out;
}

/** An alert reduced to facts; its enrichment says whether the CMDB knew the host. */
export function alertFacts(alert: Alert, enrichment: unknown): AlertFacts {
  const hostIps = new Set((alert.host?.ip ?? []).map((ip) => ip.toLowerCase()));
  const indicators = alertObservables(alert)
    .filter((o) => o.type === "domain" || o.type === "url" || o.type === "file_hash" || (o.type === "ip" && o.role === "dst" && !hostIps.has(o.value)))
    .map((o) => `${o.type}:${o.value}`);
  const asset = enrichment && typeof enrichment === "object" && "asset" in enrichment ? (enrichment as { asset: unknown }).asset : undefined;
  return {
    id: alert.id,
    source: alert.source,
    rule_id: alert.rule?.id ?? null,
    time: alert.time,
    host: alert.host?.name ?? null,
    host_ips: [...hostIps].sort(),
    user: alert.user?.name ?? null,
    process: alert.process?.name ?? null,
    parent: alert.process?.parent_name ?? null,
    command_line: alert.process?.command_line ?? null,
    asset_known: !alert.host?.name || asset === undefined ? null : asset !== null,
    indicators: [...new Set(indicators)].sort(),
  };
}

/**
 * Every case TORA decided on in [since, until) with its outcome, TORA's and VERA's latest `nova_feed` and
 * decision, and its alerts. A decision that no longer parses against the crew contract is left out of the
 * tier it belongs to (the case still counts), never guessed.
 */
export async function collectFacts(ex: Executor, window: { since: string; until: string }): Promise<{ cases: CaseFacts[]; tora: number; vera: number }> {
  const toraRows = await ex
    .selectFrom("decisions")
    .select(["case_id", "output"])
    .where("agent", "=", "TORA")
    .where("created_at", ">=", window.since)
    .where("created_at", "<", window.until)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const tora = new Map<string, ToraOutput | null>();
  for (const row of toraRows) {
    const parsed = ToraOutput.safeParse(fromJson(row.output, {}));
    tora.set(row.case_id, parsed.success ? parsed.data : null);
  }
  const ids = [...tora.keys()].sort();
  const vera = new Map<string, VeraOutput | null>();
  const caseRows = new Map<string, { status: string; verdict: string | null; suppression_id: string | null }>();
  const alerts = new Map<string, AlertFacts[]>();
  for (const part of chunks(ids)) {
    const veraRows = await ex.selectFrom("decisions").select(["case_id", "output"]).where("agent", "=", "VERA").where("case_id", "in", part).orderBy("created_at").orderBy("id").execute();
    for (const row of veraRows) {
      const parsed = VeraOutput.safeParse(fromJson(row.output, {}));
      vera.set(row.case_id, parsed.success ? parsed.data : null);
    }
    for (const row of await ex.selectFrom("cases").select(["id", "status", "verdict", "suppression_id"]).where("id", "in", part).execute()) caseRows.set(row.id, row);
    const alertRows = await ex.selectFrom("alerts").select(["case_id", "doc", "enrichment"]).where("case_id", "in", part).orderBy("time").orderBy("id").execute();
    for (const row of alertRows) {
      const alert = Alert.safeParse(fromJson(row.doc, {}));
      if (!alert.success || !row.case_id) continue;
      alerts.set(row.case_id, [...(alerts.get(row.case_id) ?? []), alertFacts(alert.data, fromJson(row.enrichment, null))]);
    }
  }

  const cases: CaseFacts[] = [];
  for (const id of ids) {
    const row = caseRows.get(id);
    if (!row) continue;
    const t = tora.get(id);
    const v = vera.get(id);
    const verdict = Verdict.safeParse(row.verdict);
    cases.push({
      case_id: id,
      status: row.status,
      verdict: verdict.success ? verdict.data : null,
      suppression_id: row.suppression_id,
      tora: t
        ? {
            verdict: t.verdict,
            alert_type: t.nova_feed.alert_type,
            likely_false_positive: t.false_positive_assessment.likely_false_positive,
            suppression_candidate: t.nova_feed.suppression_candidate,
            forced_escalation: t.nova_feed.forced_escalation,
            completeness: t.nova_feed.context_completeness,
            missing_fields: t.nova_feed.missing_fields,
            blocking_fields: t.insufficient_context_package?.blocking_fields ?? [],
            precedent_closure: t.nova_feed.precedent_closure ?? false,
          }
        : null,
      vera: v ? { resolution: v.tora_hypothesis_resolution.status, verdict: v.verdict, missing_telemetry: v.nova_feed.missing_telemetry } : null,
      alerts: alerts.get(id) ?? [],
    });
  }
  return { cases, tora: toraRows.length, vera: [...vera.values()].filter(Boolean).length };
}
