import { CREW_SCHEMA_VERSION, Decision, newId, type Actor, type AgentName, type Clock, type TraceStep } from "../../core/index.js";
import { appendAudit } from "../../cases/index.js";
import { fromJson, toJson, type DecisionsTable, type Executor } from "../../store/index.js";

export interface DecisionRecord {
  agent: AgentName;
  tier: number;
  actor: Actor;
  caseId: string;
  verdict: string;
  /** The guarded output, stored whole: the decision is data before anything acts on it. */
  output: { reasoning_trace: TraceStep[] };
  analyst: string;
  durationMs: number;
  createdAt: string;
  /** What the `<agent>.decision` audit entry says beside the decision id. */
  audit: Record<string, unknown>;
}

/**
 * Stores a decision and audits it — one `<agent>.step` entry per reasoning step, then `<agent>.decision` —
 * in the caller's transaction. Every tier records its decisions this one way, so the audit trail reads the
 * same across tiers.
 */
export async function recordDecision(trx: Executor, record: DecisionRecord, clock: Clock): Promise<Decision> {
  const decision: Decision = {
    id: newId(),
    case_id: record.caseId,
    agent: record.agent,
    tier: record.tier,
    schema_version: CREW_SCHEMA_VERSION,
    verdict: record.verdict,
    output: record.output as unknown as Record<string, unknown>,
    analyst: record.analyst,
    duration_ms: record.durationMs,
    created_at: record.createdAt,
  };
  await trx
    .insertInto("decisions")
    .values({ ...decision, output: toJson(record.output) })
    .execute();
  const prefix = record.agent.toLowerCase();
  for (const step of record.output.reasoning_trace)
    await appendAudit(
      trx,
      {
        actor: record.actor,
        action: `${prefix}.step`,
        caseId: record.caseId,
        data: { decision_id: decision.id, step: step.step, name: step.name, outcome: step.outcome, findings: step.findings },
      },
      clock,
    );
  await appendAudit(trx, { actor: record.actor, action: `${prefix}.decision`, caseId: record.caseId, data: { decision_id: decision.id, ...record.audit } }, clock);
  return decision;
}

/** The decision read model: a stored row as the Decision it was recorded as. */
export function rowToDecision(row: DecisionsTable): Decision {
  return Decision.parse({ ...row, tier: Number(row.tier), schema_version: Number(row.schema_version), duration_ms: Number(row.duration_ms), output: fromJson(row.output, {}) });
}

/** An agent's (first) decision on a case, if it has decided on it. A failed model run is not a decision (it lives in agent_runs). */
export async function getDecision(ex: Executor, caseId: string, agent: AgentName): Promise<Decision | null> {
  const row = await ex.selectFrom("decisions").selectAll().where("case_id", "=", caseId).where("agent", "=", agent).orderBy("created_at").orderBy("id").executeTakeFirst();
  return row ? rowToDecision(row) : null;
}
