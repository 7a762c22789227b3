import { z } from "zod";
import {
  Alert,
  ConflictError,
  Decision,
  Enrichment,
  NotFoundError,
  Suppression,
  type Case,
  type CaseStatus,
  type Clock,
  type RunFailure,
  type ToraOutput,
} from "../../core/index.js";
import { addComment, appendAudit, canTransition, getCase, lockAuditChain, transitionCase, updateCaseTriage } from "../../cases/index.js";
import { enqueue, fromJson, type Db, type DecisionsTable, type Executor, type HandlerEntry } from "../../store/index.js";
import { guard, parseOrThrow } from "../guardrails/apply.js";
import { TORA_ACTOR, transitionFor } from "../guardrails/decision.js";
import { recordDecision } from "../stage/decision.js";
import { commitStagedEffects } from "../stage/effects.js";
import { commitFailedRun, recordAppliedFallback } from "../stage/failure.js";
import { modelStageOptions, type CrewStageOptions } from "../stage/options.js";
import { heldByCrew } from "../stage/held.js";
import { agentRunRecord, appendTrace, runCrewAgent, type CrewRun } from "../stage/run.js";
import { renderToraComment } from "./comment.js";
import { DETERMINISTIC_ANALYST, triageDeterministic } from "./deterministic.js";
import { completeToraProposal, toraAgentSpec, TORA_PROMPT_VERSION, type ToraProposal } from "./model.js";
import { unenrichedEnrichment, type ToraAlertInput, type ToraInput } from "./schema.js";

export const TRIAGE_JOB = "case.triage";
export const INVESTIGATE_JOB = "case.investigate";
export const JOURNAL_JOB = "journal.post";
/** `attempt` counts model runs on the case: a retry after a failed run carries the next number. */
export const TriagePayload = z.object({ case_id: z.string().min(1), attempt: z.number().int().min(1).default(1) });

/** Tag a case carries while its last model run failed (dropped when a decision lands). */
export const MODEL_FAILED_TAG = "tora:model-failed";
/** Tag of a case whose TORA decision was the deterministic escalation applied after a failed model run. */
export const DECIDED_WITHOUT_MODEL_TAG = "tora:decided-without-model";
/** The analyst recorded for such a decision. */
export const FALLBACK_ANALYST = `${DETERMINISTIC_ANALYST} (model failed)`;

function inTransaction<T>(ex: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  return ex.isTransaction ? work(ex) : ex.transaction().execute(work);
}

function rowToDecision(row: DecisionsTable): Decision {
  return Decision.parse({ ...row, tier: Number(row.tier), schema_version: Number(row.schema_version), duration_ms: Number(row.duration_ms), output: fromJson(row.output, {}) });
}

/** TORA's decision on a case, if it has triaged it. A failed model run is not a decision (it lives in agent_runs). */
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

/** Load: the case and what TORA sees of it (alerts with their enrichment, the suppression records behind matches) as of `now`. */
export async function loadToraInput(ex: Executor, caseId: string, now: Date): Promise<{ current: Case; input: ToraInput }> {
  const current = await getCase(ex, caseId);
  if (!current) throw new NotFoundError(`case ${caseId}`);
  const rows = await ex.selectFrom("alerts").select(["id", "doc", "enrichment"]).where("case_id", "=", caseId).orderBy("time").orderBy("id").execute();
  if (rows.length === 0) throw new ConflictError(`case ${caseId} has no alerts to triage`);
  const alerts: ToraAlertInput[] = rows.map((row) => {
    const alert = parseOrThrow(Alert, fromJson(row.doc, null), `stored alert ${row.id}`, "alert");
    const enrichment = Enrichment.safeParse(fromJson(row.enrichment, null));
    return { alert, enrichment: enrichment.success ? enrichment.data : unenrichedEnrichment(alert, now.toISOString()) };
  });
  // The enrichment says whether each suppression was in force at the alert's time; the records say
  // whether it still stands now (a human may have withdrawn it or shortened its expiry since).
  const suppressionIds = [...new Set(alerts.map((a) => a.enrichment.history.suppression_match?.id).filter((id): id is string => !!id))];
  const suppressions = suppressionIds.length
    ? (await ex.selectFrom("suppressions").select("doc").where("id", "in", suppressionIds).execute()).map((r) => Suppression.parse(fromJson(r.doc, null)))
    : [];
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
  await enqueue(trx, JOURNAL_JOB, { decision_id: decision.id }, { dedupeKey: `journal:${decision.id}` });
  if (output.verdict === "ESCALATED") await enqueue(trx, INVESTIGATE_JOB, { case_id }, { dedupeKey: `investigate:${case_id}` });
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

/** What `prepare` hands to `handle`: the model run done outside the transaction, guarded or failed. */
type Prepared =
  | { kind: "decided" }
  | {
      kind: "model";
      caseId: string;
      attempt: number;
      input: ToraInput;
      run: CrewRun<ToraProposal>;
      guarded: { output: ToraOutput; adjustments: string[] } | null;
      failure: RunFailure | null;
    };

function fallbackSummary(output: ToraOutput): string {
  return `${output.verdict} · ${output.priority} · severity ${output.severity} · confidence ${output.confidence}${output.forced_escalation.triggered ? ` (forced: ${output.forced_escalation.rules.map((r) => r.id).join(", ")})` : ""}`;
}

/** The deterministic analyst's decision on the same input, or null when it cannot decide. */
function safeFallback(input: ToraInput): ToraOutput | null {
  try {
    return triageDeterministic(input);
  } catch {
    return null;
  }
}

/** The guarded model output, or the failure that stops it (an output the guardrails cannot read is an invalid one). */
function guardProposal(run: CrewRun<ToraProposal>, input: ToraInput): { guarded: { output: ToraOutput; adjustments: string[] } | null; failure: RunFailure | null } {
  if (!run.outcome.ok) return { guarded: null, failure: run.outcome.failure };
  try {
    const proposal = completeToraProposal(run.outcome.output, input, run.finishedAt.getTime() - run.startedAt.getTime());
    return { guarded: guard(proposal, input), failure: null };
  } catch (error) {
    return { guarded: null, failure: { kind: "invalid_output", message: `the guardrails rejected the output: ${error instanceof Error ? error.message : String(error)}`, retryable: false } };
  }
}

/**
 * The crew stage's queue handler for `case.triage` {case_id, attempt?}. Without a model it is the
 * deterministic stage. With one, `prepare` runs TORA on the model outside any transaction, and `handle`
 * commits: the guarded decision with the run and its staged effects, or — on any failure — the hold,
 * comment, audit, failed run with the deterministic fallback beside it, and the retry (stage/failure.ts).
 */
export function toraHandlers(options: ToraHandlerOptions): Record<string, HandlerEntry> {
  const { clock } = options;
  if (!options.model) {
    return {
      [TRIAGE_JOB]: {
        async handle(trx, job) {
          const { case_id } = parseOrThrow(TriagePayload, job.payload, `${TRIAGE_JOB} payload`, "");
          await triageCase(trx, case_id, clock);
        },
      },
    };
  }
  const { model, runAgent, tools, retry, saveRun, queueClock } = modelStageOptions({ ...options, model: options.model }, "toraHandlers");

  async function prepare(db: Db, payload: unknown): Promise<Prepared> {
    const { case_id, attempt } = parseOrThrow(TriagePayload, payload, `${TRIAGE_JOB} payload`, "");
    if (await getToraDecision(db, case_id)) return { kind: "decided" };
    const { input } = await loadToraInput(db, case_id, clock.now());
    const spec = toraAgentSpec(input, tools, { maxSteps: options.maxSteps ?? 12 });
    const run = await runCrewAgent(runAgent, spec, { db, model, clock });
    return { kind: "model", caseId: case_id, attempt, input, run, ...guardProposal(run, input) };
  }

  async function commit(trx: Executor, p: Extract<Prepared, { kind: "model" }>): Promise<void> {
    await lockAuditChain(trx);
    // A decision that landed meanwhile (another worker, a human-run triage) stands; this run is dropped.
    if (await getToraDecision(trx, p.caseId)) return;
    const current = await getCase(trx, p.caseId);
    if (!current) throw new NotFoundError(`case ${p.caseId}`);
    const trace = p.run.outcome.trace;
    const meta = { agent: "TORA" as const, tier: 1, caseId: p.caseId, promptVersion: TORA_PROMPT_VERSION, attempt: p.attempt };

    if (p.failure || !p.guarded) {
      const failure = p.failure ?? { kind: "other" as const, message: "no output", retryable: true };
      // crew.md step 4: the deterministic decision is applied in the safe direction only — an escalation
      // reaches VERA and the humans at once; anything else waits on hold for the retry.
      const fallback = safeFallback(p.input);
      if (fallback?.verdict === "ESCALATED") {
        const output: ToraOutput = {
          ...fallback,
          rationale: `Decided without the model (the TORA model run failed: ${failure.kind}); the deterministic escalation is applied in the safe direction. ${fallback.rationale}`,
        };
        const decision = await commitToraDecision(
          trx,
          current,
          output,
          { analyst: FALLBACK_ANALYST, durationMs: output.nova_feed.duration_ms, runId: p.run.runId, createdAt: p.run.finishedAt, tags: [DECIDED_WITHOUT_MODEL_TAG] },
          clock,
        );
        await recordAppliedFallback(trx, {
          meta,
          actor: TORA_ACTOR,
          run: p.run,
          failure,
          decisionId: decision.id,
          output: output,
          fallbackSummary: fallbackSummary(output),
          clock,
          saveRun,
        });
        return;
      }
      await commitFailedRun(trx, {
        meta,
        actor: TORA_ACTOR,
        run: p.run,
        failure,
        fallback: () => triageDeterministic(p.input),
        summarise: fallbackSummary,
        failedTag: MODEL_FAILED_TAG,
        retry,
        retryJob: { kind: TRIAGE_JOB, payload: (attempt) => ({ case_id: p.caseId, attempt }), dedupeKey: (attempt) => `triage:${p.caseId}:attempt-${attempt}` },
        clock,
        queueClock,
        saveRun,
      });
      return;
    }

    const { output, adjustments } = p.guarded;
    const decision = await commitToraDecision(
      trx,
      current,
      output,
      { analyst: p.run.outcome.analyst, durationMs: output.nova_feed.duration_ms, runId: p.run.runId, adjustments, createdAt: p.run.finishedAt },
      clock,
    );
    const fullTrace = adjustments.length ? appendTrace(trace, "guardrail", { adjustments, verdict: output.verdict }, p.run.finishedAt) : trace;
    await saveRun(trx, agentRunRecord(p.run, { ...meta, failure: null, decisionId: decision.id, fallback: null }), p.run.input, fullTrace);
    await commitStagedEffects(trx, { effects: p.run.staged, caseId: p.caseId, agent: "TORA", actor: TORA_ACTOR, runId: p.run.runId, clock, ...(options.applyEffects ? { apply: options.applyEffects } : {}) });
  }

  return {
    [TRIAGE_JOB]: {
      prepare: (db, job) => prepare(db, job.payload),
      async handle(trx, job, prepared) {
        const p = prepared as Prepared | undefined;
        if (!p || p.kind === "decided") {
          const { case_id } = parseOrThrow(TriagePayload, job.payload, `${TRIAGE_JOB} payload`, "");
          // Already decided (the common case) or prepared by nobody: the deterministic stage is idempotent.
          if (p?.kind === "decided" || !(await getToraDecision(trx, case_id))) await triageCase(trx, case_id, clock);
          return;
        }
        await commit(trx, p);
      },
    },
  };
}

/** The deterministic stage's handlers (kept for callers that predate the model options). */
export function crewHandlers(options: { clock: Clock }): Record<string, HandlerEntry> {
  return toraHandlers({ clock: options.clock });
}
