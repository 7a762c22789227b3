import {
  Alert,
  INVESTIGATE_JOB,
  JOURNAL_POST_JOB,
  TRIAGE_JOB,
  ConflictError,
  Enrichment,
  NotFoundError,
  type Case,
  type CaseStatus,
  type Clock,
  type Decision,
  type ToraOutput,
} from "../../core/index.js";
import { addComment, appendAudit, canTransition, getCase, heldByCrew, listCaseAlertRows, lockAuditChain, TORA_ACTOR, transitionCase, transitionFor, updateCaseTriage } from "../../cases/index.js";
import { getSuppressions } from "../../context/index.js";
import { enqueue, fromJson, inTransaction, type Executor, type Handlers } from "../../store/index.js";
import { guard, parseOrThrow } from "../guardrails/apply.js";
import { getDecision, recordDecision } from "../stage/decision.js";
import type { CrewStageOptions } from "../stage/options.js";
import { defineCrewStage, type CrewStage } from "../stage/stage.js";
import { renderToraComment } from "./comment.js";
import { DETERMINISTIC_ANALYST, triageDeterministic } from "./deterministic.js";
import { completeToraProposal, toraAgentSpec, TORA_PROMPT_VERSION, type ToraProposal } from "./model.js";
import { unenrichedEnrichment, type ToraAlertInput, type ToraInput } from "./schema.js";

/** `attempt` counts model runs on the case: a retry after a failed run carries the next number. */
export const TriagePayload = TRIAGE_JOB.payload;

/** Tag a case carries while its last model run failed (dropped when a decision lands). */
export const MODEL_FAILED_TAG = "tora:model-failed";
/** Tag of a case whose TORA decision was the deterministic escalation applied after a failed model run. */
export const DECIDED_WITHOUT_MODEL_TAG = "tora:decided-without-model";
/** The analyst recorded for such a decision. */
export const FALLBACK_ANALYST = `${DETERMINISTIC_ANALYST} (model failed)`;

/** TORA's decision on a case, if it has triaged it. A failed model run is not a decision (it lives in agent_runs). */
export function getToraDecision(ex: Executor, caseId: string): Promise<Decision | null> {
  return getDecision(ex, caseId, "TORA");
}

/** Load: the case and what TORA sees of it (alerts with their enrichment, the suppression records behind matches) as of `now`. */
export async function loadToraInput(ex: Executor, caseId: string, now: Date): Promise<{ current: Case; input: ToraInput }> {
  const current = await getCase(ex, caseId);
  if (!current) throw new NotFoundError(`case ${caseId}`);
  const rows = await listCaseAlertRows(ex, caseId);
  if (rows.length === 0) throw new ConflictError(`case ${caseId} has no alerts to triage`);
  const alerts: ToraAlertInput[] = rows.map((row) => {
    const alert = parseOrThrow(Alert, fromJson(row.doc, null), `stored alert ${row.id}`, "alert");
    const enrichment = Enrichment.safeParse(fromJson(row.enrichment, null));
    return { alert, enrichment: enrichment.success ? enrichment.data : unenrichedEnrichment(alert, now.toISOString()) };
  });
  // The enrichment says whether each suppression was in force at the alert's time; the records say
  // whether it still stands now (a human may have withdrawn it or shortened its expiry since).
  const suppressionIds = [...new Set(alerts.map((a) => a.enrichment.history.suppression_match?.id).filter((id): id is string => !!id))];
  const suppressions = await getSuppressions(ex, suppressionIds);
  return { current, input: { caseId, alerts, now: now.toISOString(), suppressions } };
}

/** Decide, without a model: the deterministic analyst (its output already went through the guardrails). */
export function decideDeterministic(input: ToraInput, clock: Clock, started: Date): { output: ToraOutput; durationMs: number; finished: Date } {
  const output = triageDeterministic(input);
  const finished = clock.now();
  output.nova_feed.duration_ms = Math.max(0, finished.getTime() - started.getTime());
  return { output, durationMs: output.nova_feed.duration_ms, finished };
}

export interface CommitMeta {
  analyst: string;
  durationMs: number;
  /** The model run behind the decision (recorded in the decision's audit). */
  runId?: string | null;
  /** What the guardrails changed in a model's proposal (audited). */
  adjustments?: string[];
  createdAt: Date;
  /** Tags added with the decision (e.g. DECIDED_WITHOUT_MODEL_TAG). */
  tags?: string[];
}

/**
 * Commit: the decision row, `tora.step` ×4 and `tora.decision` audit, triage fields, the transition, the
 * comment, and the hand-offs (`journal.post`; `case.investigate` for an escalation) — in the caller's
 * transaction. `output` must already have passed the guardrails.
 */
export async function commitToraDecision(trx: Executor, current: Case, output: ToraOutput, meta: CommitMeta, clock: Clock): Promise<Decision> {
  const case_id = current.id;
  const decision = await recordDecision(
    trx,
    {
      agent: "TORA",
      tier: 1,
      actor: TORA_ACTOR,
      caseId: case_id,
      verdict: output.verdict,
      output,
      analyst: meta.analyst,
      durationMs: meta.durationMs,
      createdAt: meta.createdAt.toISOString(),
      audit: {
        verdict: output.verdict,
        severity: output.severity,
        confidence: output.confidence,
        priority: output.priority,
        forced_rules: output.forced_escalation.rules.map((r) => r.id),
        disposition: output.false_positive_assessment.disposition,
        suppression_rule_id: output.false_positive_assessment.suppression_rule_id,
        analyst: meta.analyst,
        duration_ms: meta.durationMs,
        ...(meta.runId ? { run_id: meta.runId } : {}),
        ...(meta.adjustments?.length ? { guardrail_adjustments: meta.adjustments } : {}),
      },
    },
    clock,
  );

  const held = current.status === "on_hold" && (await heldByCrew(trx, case_id, "TORA"));
  const tags = [
    ...new Set([
      ...current.tags.filter((t) => t !== MODEL_FAILED_TAG),
      `tora:${output.verdict.toLowerCase()}`,
      ...(output.forced_escalation.triggered ? ["forced-escalation"] : []),
      ...(output.nova_feed.precedent_closure ? ["precedent-closure"] : []),
      ...(output.nova_feed.sample_for_review ? ["sample-for-review"] : []),
      ...(meta.tags ?? []),
    ]),
  ];
  await updateCaseTriage(
    trx,
    case_id,
    { priority: output.priority, severity: output.severity, confidence: output.confidence, crewVerdict: output.verdict, tags },
    TORA_ACTOR,
    clock,
  );
  await applyTransition(trx, current.status, held, output, clock);
  await addComment(trx, case_id, { author: TORA_ACTOR, body: renderToraComment(output, current.title) }, clock);
  // Queue bookkeeping runs on real time (the worker claims by it), whatever the domain clock says.
  await enqueue(trx, JOURNAL_POST_JOB, { decision_id: decision.id });
  if (output.verdict === "ESCALATED") await enqueue(trx, INVESTIGATE_JOB, { case_id });
  return decision;
}

/**
 * The triage stage without a model: TORA decides on a case, the decision is stored, then applied through
 * the case workflow and handed on — all in the caller's transaction. A case TORA already decided on is not
 * triaged again: the earlier decision is returned.
 */
export async function triageCase(ex: Executor, caseId: string, clock: Clock): Promise<Decision> {
  const { case_id } = parseOrThrow(TriagePayload, { case_id: caseId }, "case id", "");
  return inTransaction(ex, async (trx) => {
    // The audit chain's lock first, as every writer of the chain does (src/cases/audit.ts).
    await lockAuditChain(trx);
    const existing = await getToraDecision(trx, case_id);
    if (existing) return existing;
    const started = clock.now();
    const { current, input } = await loadToraInput(trx, case_id, started);
    const { output, durationMs, finished } = decideDeterministic(input, clock, started);
    return commitToraDecision(trx, current, output, { analyst: DETERMINISTIC_ANALYST, durationMs, createdAt: finished }, clock);
  });
}

/**
 * TORA moves a case that is still new, or one the crew itself put on hold after a failed model run. One a
 * human took elsewhere keeps its status: TORA's decision, comment and audit are recorded all the same, and
 * the skip is audited.
 */
async function applyTransition(trx: Executor, from: CaseStatus, heldByTora: boolean, output: ToraOutput, clock: Clock): Promise<void> {
  const plan = transitionFor("TORA", output.verdict);
  if (heldByTora && from === plan.to) return;
  if (!(from === "new" || heldByTora) || !canTransition(from, plan.to)) {
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
  await transitionCase(trx, output.case_id, { to: plan.to, actor: TORA_ACTOR, assignee: plan.assignee, crewVerdict: output.verdict }, clock);
}

export type ToraHandlerOptions = CrewStageOptions;

function fallbackSummary(output: ToraOutput): string {
  return `${output.verdict} · ${output.priority} · severity ${output.severity} · confidence ${output.confidence}${output.forced_escalation.triggered ? ` (forced: ${output.forced_escalation.rules.map((r) => r.id).join(", ")})` : ""}`;
}

/** TORA as an instance of the one crew stage (src/crew/stage/stage.ts): what is TORA's own. */
function toraStage(clock: Clock): CrewStage<ToraInput, ToraOutput, ToraProposal> {
  return {
    agent: "TORA",
    tier: 1,
    actor: TORA_ACTOR,
    job: TRIAGE_JOB,
    promptVersion: TORA_PROMPT_VERSION,
    defaultMaxSteps: 12,
    failedTag: MODEL_FAILED_TAG,
    decided: getToraDecision,
    deterministic: (trx, caseId) => triageCase(trx, caseId, clock),
    load: async (ex, caseId) => (await loadToraInput(ex, caseId, clock.now())).input,
    spec: (input, tools, maxSteps) => toraAgentSpec(input, tools, { maxSteps }),
    check: (proposal, input, durationMs) => guard(completeToraProposal(proposal, input, durationMs), input),
    fallback: triageDeterministic,
    escalates: (output) => output.verdict === "ESCALATED",
    summarise: fallbackSummary,
    async commitFallback(trx, current, fallback, run, failure) {
      const output: ToraOutput = {
        ...fallback,
        rationale: `Decided without the model (the TORA model run failed: ${failure.kind}); the deterministic escalation is applied in the safe direction. ${fallback.rationale}`,
      };
      const meta = { analyst: FALLBACK_ANALYST, durationMs: output.nova_feed.duration_ms, runId: run.runId, createdAt: run.finishedAt, tags: [DECIDED_WITHOUT_MODEL_TAG] };
      return { decision: await commitToraDecision(trx, current, output, meta, clock), output };
    },
    async commitProposal(trx, current, { output, adjustments }, run) {
      const meta = { analyst: run.outcome.analyst, durationMs: output.nova_feed.duration_ms, runId: run.runId, adjustments, createdAt: run.finishedAt };
      return { decision: await commitToraDecision(trx, current, output, meta, clock), effects: run.staged };
    },
  };
}

/**
 * The crew stage's queue handler for `case.triage` {case_id, attempt?}: without a model the deterministic
 * stage, with one the model run prepared outside the transaction and committed (or its failure path) —
 * the shape every crew stage shares (src/crew/stage/stage.ts).
 */
export function toraHandlers(options: ToraHandlerOptions): Handlers {
  return defineCrewStage(toraStage(options.clock), options, "toraHandlers");
}

/** The deterministic stage's handlers (kept for callers that predate the model options). */
export function crewHandlers(options: { clock: Clock }): Handlers {
  return toraHandlers({ clock: options.clock });
}
