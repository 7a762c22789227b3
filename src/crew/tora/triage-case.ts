import { z } from "zod";
import {
  Alert,
  CREW_SCHEMA_VERSION,
  ConflictError,
  Decision,
  Enrichment,
  NotFoundError,
  Suppression,
  newId,
  type CaseStatus,
  type Clock,
  type ToraOutput,
} from "../../core/index.js";
import { addComment, appendAudit, canTransition, getCase, lockAuditChain, transitionCase, updateCaseTriage } from "../../cases/index.js";
import { enqueue, fromJson, toJson, type DecisionsTable, type Executor, type HandlerEntry } from "../../store/index.js";
import { parseOrThrow } from "../guardrails/apply.js";
import { TORA_ACTOR, transitionFor } from "../guardrails/decision.js";
import { renderToraComment } from "./comment.js";
import { DETERMINISTIC_ANALYST, triageDeterministic } from "./deterministic.js";
import { unenrichedEnrichment, type ToraAlertInput } from "./schema.js";

export const TRIAGE_JOB = "case.triage";
export const JOURNAL_JOB = "journal.post";
export const TriagePayload = z.object({ case_id: z.string().min(1) });

function inTransaction<T>(ex: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  return ex.isTransaction ? work(ex) : ex.transaction().execute(work);
}

function rowToDecision(row: DecisionsTable): Decision {
  return Decision.parse({ ...row, tier: Number(row.tier), schema_version: Number(row.schema_version), duration_ms: Number(row.duration_ms), output: fromJson(row.output, {}) });
}

/** TORA's decision on a case, if it has triaged it. */
export async function getToraDecision(ex: Executor, caseId: string): Promise<Decision | null> {
  const row = await ex
    .selectFrom("decisions")
    .selectAll()
    .where("case_id", "=", caseId)
    .where("agent", "=", "TORA")
    .orderBy("created_at")
    .orderBy("id")
    .executeTakeFirst();
  return row ? rowToDecision(row) : null;
}

/**
 * The triage stage: TORA decides on a case, the decision is stored, then applied through the case
 * workflow (triage fields, transition, comment, audit) and handed to the journal — all in the caller's
 * transaction. A case TORA already decided on is not triaged again: the earlier decision is returned.
 */
export async function triageCase(ex: Executor, caseId: string, clock: Clock): Promise<Decision> {
  const { case_id } = parseOrThrow(TriagePayload, { case_id: caseId }, "case id", "");
  return inTransaction(ex, async (trx) => {
    // The audit chain's lock first, as every writer of the chain does (src/cases/audit.ts).
    await lockAuditChain(trx);
    const existing = await getToraDecision(trx, case_id);
    if (existing) return existing;
    const current = await getCase(trx, case_id);
    if (!current) throw new NotFoundError(`case ${case_id}`);

    const started = clock.now();
    const rows = await trx.selectFrom("alerts").select(["id", "doc", "enrichment"]).where("case_id", "=", case_id).orderBy("time").orderBy("id").execute();
    if (rows.length === 0) throw new ConflictError(`case ${case_id} has no alerts to triage`);
    const alerts: ToraAlertInput[] = rows.map((row) => {
      const alert = parseOrThrow(Alert, fromJson(row.doc, null), `stored alert ${row.id}`, "alert");
      const enrichment = Enrichment.safeParse(fromJson(row.enrichment, null));
      return { alert, enrichment: enrichment.success ? enrichment.data : unenrichedEnrichment(alert, started.toISOString()) };
    });
    // The enrichment says whether each suppression was in force at the alert's time; the records say
    // whether it still stands now (a human may have withdrawn it or shortened its expiry since).
    const suppressionIds = [...new Set(alerts.map((a) => a.enrichment.history.suppression_match?.id).filter((id): id is string => !!id))];
    const suppressions = suppressionIds.length
      ? (await trx.selectFrom("suppressions").select("doc").where("id", "in", suppressionIds).execute()).map((r) => Suppression.parse(fromJson(r.doc, null)))
      : [];

    const output: ToraOutput = triageDeterministic({ caseId: case_id, alerts, now: started.toISOString(), suppressions });
    const finished = clock.now();
    output.nova_feed.duration_ms = Math.max(0, finished.getTime() - started.getTime());

    const decision: Decision = {
      id: newId(),
      case_id,
      agent: "TORA",
      tier: 1,
      schema_version: CREW_SCHEMA_VERSION,
      verdict: output.verdict,
      output: output as unknown as Record<string, unknown>,
      analyst: DETERMINISTIC_ANALYST,
      duration_ms: output.nova_feed.duration_ms,
      created_at: finished.toISOString(),
    };
    await trx
      .insertInto("decisions")
      .values({ ...decision, output: toJson(output) })
      .execute();

    for (const step of output.reasoning_trace)
      await appendAudit(
        trx,
        { actor: TORA_ACTOR, action: "tora.step", caseId: case_id, data: { decision_id: decision.id, step: step.step, name: step.name, outcome: step.outcome, findings: step.findings } },
        clock,
      );
    await appendAudit(
      trx,
      {
        actor: TORA_ACTOR,
        action: "tora.decision",
        caseId: case_id,
        data: {
          decision_id: decision.id,
          verdict: output.verdict,
          severity: output.severity,
          confidence: output.confidence,
          priority: output.priority,
          forced_rules: output.forced_escalation.rules.map((r) => r.id),
          disposition: output.false_positive_assessment.disposition,
          suppression_rule_id: output.false_positive_assessment.suppression_rule_id,
          analyst: DETERMINISTIC_ANALYST,
          duration_ms: decision.duration_ms,
        },
      },
      clock,
    );

    const tags = [...new Set([...current.tags, `tora:${output.verdict.toLowerCase()}`, ...(output.forced_escalation.triggered ? ["forced-escalation"] : [])])];
    await updateCaseTriage(
      trx,
      case_id,
      { priority: output.priority, severity: output.severity, confidence: output.confidence, crewVerdict: output.verdict, tags },
      TORA_ACTOR,
      clock,
    );
    await applyTransition(trx, current.status, output, clock);
    await addComment(trx, case_id, { author: TORA_ACTOR, body: renderToraComment(output, current.title) }, clock);
    // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
    await enqueue(trx, JOURNAL_JOB, { decision_id: decision.id }, { dedupeKey: `journal:${decision.id}` });
    return decision;
  });
}

/**
 * TORA moves a case that is still new. One a human already took elsewhere keeps its status: TORA's
 * decision, comment and audit are recorded all the same, and the skip is audited.
 */
async function applyTransition(trx: Executor, from: CaseStatus, output: ToraOutput, clock: Clock): Promise<void> {
  const plan = transitionFor("TORA", output.verdict);
  if (from !== "new" || !canTransition(from, plan.to)) {
    await appendAudit(
      trx,
      { actor: TORA_ACTOR, action: "tora.transition_skipped", caseId: output.case_id, data: { status: from, wanted: plan.to, verdict: output.verdict } },
      clock,
    );
    return;
  }
  const fp = output.false_positive_assessment;
  if (output.verdict === "CLOSED") {
    await transitionCase(
      trx,
      output.case_id,
      {
        to: "closed",
        actor: TORA_ACTOR,
        verdict: fp.disposition,
        rationale: output.rationale,
        crewVerdict: output.verdict,
        ...(fp.suppression_rule_id ? { suppressionId: fp.suppression_rule_id } : {}),
      },
      clock,
    );
    return;
  }
  await transitionCase(
    trx,
    output.case_id,
    { to: plan.to, actor: TORA_ACTOR, assignee: plan.assignee, crewVerdict: output.verdict },
    clock,
  );
}

/** The crew stage's queue handlers: `case.triage` {case_id} runs TORA on a case. */
export function crewHandlers(options: { clock: Clock }): Record<string, HandlerEntry> {
  return {
    [TRIAGE_JOB]: {
      async handle(trx, job) {
        const { case_id } = parseOrThrow(TriagePayload, job.payload, `${TRIAGE_JOB} payload`, "");
        await triageCase(trx, case_id, options.clock);
      },
    },
  };
}
