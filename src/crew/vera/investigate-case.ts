import { z } from "zod";
import {
  Decision,
  NotFoundError,
  newId,
  type Clock,
  type ContainmentUrgency,
  type Priority,
  type RunFailure,
  type VeraOutput,
} from "../../core/index.js";
import { addComment, appendAudit, assignCase, flagForHumanVerification, getCase, lockAuditChain, transitionCase, updateCaseTriage } from "../../cases/index.js";
import { enqueue, fromJson, toJson, type Db, type DecisionsTable, type Executor, type HandlerEntry } from "../../store/index.js";
import { parseOrThrow } from "../guardrails/apply.js";
import { ARIA_ACTOR, SOC_QUEUE, VERA_ACTOR, transitionFor } from "../guardrails/decision.js";
import { guardVera, scopeOf } from "../guardrails/vera.js";
import { recordDecision } from "../stage/decision.js";
import { commitStagedEffects } from "../stage/effects.js";
import { commitFailedRun, recordAppliedFallback } from "../stage/failure.js";
import { modelStageOptions, type CrewStageOptions } from "../stage/options.js";
import { heldByCrew } from "../stage/held.js";
import { agentRunRecord, appendTrace, runCrewAgent, type CrewRun } from "../stage/run.js";
import type { StagedEffect } from "../tools/tool.js";
import { JOURNAL_JOB } from "../tora/triage-case.js";
import { loadVeraInput } from "./augment.js";
import { renderVeraComment } from "./comment.js";
import { DETERMINISTIC_VERA, investigateDeterministic } from "./deterministic.js";
import { completeVeraProposal, DEFAULT_VERA_MAX_STEPS, veraAgentSpec, VERA_PROMPT_VERSION, type VeraProposal } from "./model.js";
import type { VeraInput } from "./schema.js";

export const INVESTIGATE_JOB = "case.investigate";
/** `attempt` counts model runs on the case: a retry after a failed run carries the next number. */
export const InvestigatePayload = z.object({ case_id: z.string().min(1), attempt: z.number().int().min(1).default(1) });

/** Tag a case carries while VERA's last model run failed (dropped when her decision lands). */
export const VERA_MODEL_FAILED_TAG = "vera:model-failed";

/** An analyst: deterministic today, a model run later; both return a proposal the guardrails check. */
export type VeraAnalyst = (input: VeraInput, now: string) => VeraOutput | Promise<VeraOutput>;

export const URGENCY_PRIORITY: Record<ContainmentUrgency, Priority> = { immediate: "P1", within_shift: "P2", next_available: "P3" };

function inTransaction<T>(ex: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  return ex.isTransaction ? work(ex) : ex.transaction().execute(work);
}

function rowToDecision(row: DecisionsTable): Decision {
  return Decision.parse({ ...row, tier: Number(row.tier), schema_version: Number(row.schema_version), duration_ms: Number(row.duration_ms), output: fromJson(row.output, {}) });
}

/** VERA's decision on a case, if it has investigated it. */
export async function getVeraDecision(ex: Executor, caseId: string): Promise<Decision | null> {
  const row = await ex.selectFrom("decisions").selectAll().where("case_id", "=", caseId).where("agent", "=", "VERA").orderBy("created_at").orderBy("id").executeTakeFirst();
  return row ? rowToDecision(row) : null;
}

export interface CommitMeta {
  analyst: string;
  runId?: string | null;
  /** The input the analyst saw; read again inside the transaction when not given. */
  input?: VeraInput;
  /** A model run's staged effects: its propose_action effects join the proposals when VERA escalates. */
  staged?: readonly StagedEffect[];
  /** Extra case tags (e.g. `vera:decided-without-model`). */
  tags?: readonly string[];
}

/** A case VERA escalated with her deterministic decision because the model run failed (crew.md: safe direction only). */
export const VERA_DECIDED_WITHOUT_MODEL_TAG = "vera:decided-without-model";
export const VERA_FALLBACK_ANALYST = `${DETERMINISTIC_VERA} (model failed)`;

/**
 * The investigation stage: read the case into VERA's input, let the analyst propose, commit the decision.
 * A case VERA already decided is not investigated again: the earlier decision is returned.
 */
export async function investigateCase(ex: Executor, caseId: string, clock: Clock, analyst: VeraAnalyst = investigateDeterministic): Promise<Decision> {
  const { case_id } = parseOrThrow(InvestigatePayload, { case_id: caseId }, "case id", "");
  const existing = await getVeraDecision(ex, case_id);
  if (existing) return existing;
  const started = clock.now();
  const input = await loadVeraInput(ex, case_id, clock);
  const output = await analyst(input, input.now);
  const finished = clock.now();
  output.nova_feed.duration_ms = Math.max(0, finished.getTime() - started.getTime());
  return commitVeraDecision(ex, case_id, output, { analyst: analyst === investigateDeterministic ? DETERMINISTIC_VERA : "custom", input }, clock);
}

/**
 * Applies one VERA proposal, in the caller's transaction: guardrails, the decision row, `vera.step` ×6 and
 * `vera.decision` audit, the case transition (only while the case is VERA's), ARIA proposals, the comment
 * and the journal hand-off. Idempotent: a case VERA already decided keeps its first decision.
 */
export async function commitVeraDecision(ex: Executor, caseId: string, proposed: VeraOutput, meta: CommitMeta, clock: Clock): Promise<Decision> {
  const { case_id } = parseOrThrow(InvestigatePayload, { case_id: caseId }, "case id", "");
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const existing = await getVeraDecision(trx, case_id);
    if (existing) return existing;
    const current = await getCase(trx, case_id);
    if (!current) throw new NotFoundError(`case ${case_id}`);
    const input = meta.input ?? (await loadVeraInput(trx, case_id, clock));
    const { output, adjustments } = guardVera(proposed, input);
    const decision = await recordDecision(
      trx,
      {
        agent: "VERA",
        tier: 2,
        actor: VERA_ACTOR,
        caseId: case_id,
        verdict: output.verdict,
        output,
        analyst: meta.analyst,
        durationMs: output.nova_feed.duration_ms,
        createdAt: clock.now().toISOString(),
        audit: {
          run_id: meta.runId ?? null,
          analyst: meta.analyst,
          verdict: output.verdict,
          proposed_verdict: proposed.verdict,
          root_cause_confidence: output.root_cause_confidence,
          hypothesis_resolution: output.tora_hypothesis_resolution.status,
          disposition: output.disposition,
          severity: output.severity,
          severity_delta: output.severity_delta.direction,
          urgency: output.containment.urgency,
          recommendations: output.containment.recommendations.map((r) => `${r.action_hint}:${r.target}`),
          adjustments,
          duration_ms: output.nova_feed.duration_ms,
        },
      },
      clock,
    );

    const escalate = output.verdict === "ESCALATE_TO_ARIA";
    // VERA moves only a case that is still hers — in progress with her, or on hold where her own failed
    // model run put it: one a human took over keeps its status and owner.
    const held = current.status === "on_hold" && (await heldByCrew(trx, case_id, "VERA"));
    const ours = held || (current.status === "in_progress" && current.assignee?.kind === "agent" && current.assignee.name === VERA_ACTOR.name);
    const tags = [
      ...new Set([...current.tags.filter((t) => t !== VERA_MODEL_FAILED_TAG), `vera:${output.verdict.toLowerCase()}`, `root-cause:${output.root_cause_confidence.toLowerCase()}`, ...(meta.tags ?? [])]),
    ];
    await updateCaseTriage(
      trx,
      case_id,
      {
        severity: output.severity,
        tags,
        ...(escalate ? { priority: URGENCY_PRIORITY[output.containment.urgency] } : {}),
        ...(ours && (escalate || held) ? { crewVerdict: output.verdict } : {}),
      },
      VERA_ACTOR,
      clock,
    );

    if (!ours) {
      const plan = transitionFor("VERA", output.verdict);
      await appendAudit(
        trx,
        { actor: VERA_ACTOR, action: "vera.transition_skipped", caseId: case_id, data: { status: current.status, assignee: current.assignee, wanted: plan.to, verdict: output.verdict } },
        clock,
      );
    } else if (output.verdict === "CLOSED") {
      await transitionCase(
        trx,
        case_id,
        { to: "closed", actor: VERA_ACTOR, verdict: output.disposition, rationale: `${output.root_cause.description} ${output.tora_hypothesis_resolution.explanation}`.trim(), crewVerdict: output.verdict },
        clock,
      );
    } else if (escalate) {
      if (held) await transitionCase(trx, case_id, { to: "in_progress", actor: VERA_ACTOR, assignee: ARIA_ACTOR, crewVerdict: output.verdict }, clock);
      else await assignCase(trx, case_id, ARIA_ACTOR, VERA_ACTOR, clock);
    } else if (!held) {
      await transitionCase(trx, case_id, { to: "on_hold", actor: VERA_ACTOR, assignee: SOC_QUEUE, needsHumanVerification: true, crewVerdict: output.verdict }, clock);
    } else {
      // Already on hold by VERA's own failed run: HOLD still means a human must verify before anyone closes it.
      await flagForHumanVerification(trx, case_id, VERA_ACTOR, "VERA: HOLD — a human must verify", clock);
    }

    if (escalate) await writeProposals(trx, input, output, decision, meta, decision.created_at);
    await addComment(trx, case_id, { author: VERA_ACTOR, body: renderVeraComment(output, current.title, adjustments) }, clock);
    await enqueue(trx, JOURNAL_JOB, { decision_id: decision.id }, { dedupeKey: `journal:${decision.id}` });
    return decision;
  });
}

/** ESCALATE_TO_ARIA: each recommendation (and each in-scope staged proposal of the run) becomes a proposed action. */
async function writeProposals(trx: Executor, input: VeraInput, output: VeraOutput, decision: Decision, meta: CommitMeta, created: string): Promise<void> {
  const inScope = scopeOf(input);
  const rows: { action: string; target: string; doc: Record<string, unknown> }[] = output.containment.recommendations.map((r) => ({
    action: r.action_hint,
    target: r.target,
    doc: { order: r.order, rationale: r.rationale, urgency: output.containment.urgency, decision_id: decision.id, source: "recommendation" },
  }));
  for (const effect of meta.staged ?? []) {
    if (effect.kind !== "propose_action" || effect.case_id !== input.case_id || !inScope(effect.target)) continue;
    if (rows.some((r) => r.action === effect.action && r.target.toLowerCase() === effect.target.toLowerCase())) continue;
    rows.push({ action: effect.action, target: effect.target, doc: { rationale: effect.rationale, urgency: effect.urgency, decision_id: decision.id, source: "staged" } });
  }
  for (const row of rows)
    await trx
      .insertInto("proposed_actions")
      .values({ id: newId(), case_id: input.case_id, run_id: meta.runId ?? null, proposed_by: "VERA", action: row.action, target: row.target, doc: toJson(row.doc), status: "proposed", created_at: created })
      .execute();
}

export interface VeraHandlerOptions extends CrewStageOptions {
  /** The analyst without a model (the deterministic one by default). */
  analyst?: VeraAnalyst;
}

/** What `prepare` hands to `handle`: the model run done outside the transaction, completed and checked, or failed. */
type Prepared =
  | { kind: "decided" }
  | {
      kind: "model";
      caseId: string;
      attempt: number;
      input: VeraInput;
      run: CrewRun<VeraProposal>;
      /** The completed proposal (unguarded: commitVeraDecision guards it and audits what the guardrails changed). */
      proposal: VeraOutput | null;
      adjustments: string[];
      failure: RunFailure | null;
    };

function fallbackSummary(output: VeraOutput): string {
  return `${output.verdict} · root cause ${output.root_cause_confidence} · TORA's hypothesis ${output.tora_hypothesis_resolution.status} · severity ${output.severity}${
    output.containment.recommendations.length ? ` · ${output.containment.recommendations.map((r) => `${r.action_hint} ${r.target}`).join(", ")}` : ""
  }`;
}

/** The completed proposal, or the failure that stops it (an output the guardrails cannot read is an invalid one). */
function checkProposal(run: CrewRun<VeraProposal>, input: VeraInput): Pick<Extract<Prepared, { kind: "model" }>, "proposal" | "adjustments" | "failure"> {
  if (!run.outcome.ok) return { proposal: null, adjustments: [], failure: run.outcome.failure };
  try {
    const proposal = completeVeraProposal(run.outcome.output, input, run.finishedAt.getTime() - run.startedAt.getTime());
    return { proposal, adjustments: guardVera(proposal, input).adjustments, failure: null };
  } catch (error) {
    return {
      proposal: null,
      adjustments: [],
      failure: { kind: "invalid_output", message: `the guardrails rejected the output: ${error instanceof Error ? error.message : String(error)}`, retryable: false },
    };
  }
}

/**
 * VERA's queue handler for `case.investigate` {case_id, attempt?}. Without a model it is the deterministic
 * stage. With one, `prepare` runs VERA on the model outside any transaction, and `handle` commits: the
 * guarded decision with the run, its in-scope proposals for ARIA and its other staged effects, or — on any
 * failure — the hold, comment, audit, failed run with the deterministic verdict beside it, and the retry.
 */
export function veraHandlers(options: VeraHandlerOptions): Record<string, HandlerEntry> {
  const { clock } = options;
  if (!options.model) {
    return {
      [INVESTIGATE_JOB]: {
        async handle(trx, job) {
          const { case_id } = parseOrThrow(InvestigatePayload, job.payload, `${INVESTIGATE_JOB} payload`, "");
          await investigateCase(trx, case_id, clock, options.analyst);
        },
      },
    };
  }
  const { model, runAgent, tools, retry, saveRun, queueClock } = modelStageOptions({ ...options, model: options.model }, "veraHandlers");

  async function prepare(db: Db, payload: unknown): Promise<Prepared> {
    const { case_id, attempt } = parseOrThrow(InvestigatePayload, payload, `${INVESTIGATE_JOB} payload`, "");
    if (await getVeraDecision(db, case_id)) return { kind: "decided" };
    const input = await loadVeraInput(db, case_id, clock);
    const spec = veraAgentSpec(input, tools, { maxSteps: options.maxSteps ?? DEFAULT_VERA_MAX_STEPS });
    const run = await runCrewAgent(runAgent, spec, { db, model, clock });
    return { kind: "model", caseId: case_id, attempt, input, run, ...checkProposal(run, input) };
  }

  async function commit(trx: Executor, p: Extract<Prepared, { kind: "model" }>): Promise<void> {
    await lockAuditChain(trx);
    // A decision that landed meanwhile (another worker, a human-run investigation) stands; this run is dropped.
    if (await getVeraDecision(trx, p.caseId)) return;
    if (!(await getCase(trx, p.caseId))) throw new NotFoundError(`case ${p.caseId}`);
    const trace = p.run.outcome.trace;
    const meta = { agent: "VERA" as const, tier: 2, caseId: p.caseId, promptVersion: VERA_PROMPT_VERSION, attempt: p.attempt };

    if (p.failure || !p.proposal) {
      const failure = p.failure ?? { kind: "other" as const, message: "no output", retryable: true };
      // crew.md: the deterministic decision is applied in the safe direction only — a hand-off to ARIA goes
      // ahead at once (containment waits for no endpoint); a HOLD or a closure waits on hold for the retry.
      const fallback = guardVera(investigateDeterministic(p.input, p.input.now), p.input).output;
      if (fallback.verdict === "ESCALATE_TO_ARIA") {
        const decision = await commitVeraDecision(
          trx,
          p.caseId,
          fallback,
          { analyst: VERA_FALLBACK_ANALYST, runId: p.run.runId, input: p.input, tags: [VERA_DECIDED_WITHOUT_MODEL_TAG] },
          clock,
        );
        await recordAppliedFallback(trx, {
          meta,
          actor: VERA_ACTOR,
          run: p.run,
          failure,
          decisionId: decision.id,
          output: fallback,
          fallbackSummary: fallbackSummary(fallback),
          clock,
          saveRun,
        });
        return;
      }
      await commitFailedRun(trx, {
        meta,
        actor: VERA_ACTOR,
        run: p.run,
        failure,
        fallback: () => guardVera(investigateDeterministic(p.input, p.input.now), p.input).output,
        summarise: fallbackSummary,
        failedTag: VERA_MODEL_FAILED_TAG,
        retry,
        retryJob: { kind: INVESTIGATE_JOB, payload: (attempt) => ({ case_id: p.caseId, attempt }), dedupeKey: (attempt) => `investigate:${p.caseId}:attempt-${attempt}` },
        clock,
        queueClock,
        saveRun,
      });
      return;
    }

    const proposals = p.run.staged.filter((e): e is Extract<StagedEffect, { kind: "propose_action" }> => e.kind === "propose_action");
    const others = p.run.staged.filter((e) => e.kind !== "propose_action");
    const decision = await commitVeraDecision(trx, p.caseId, p.proposal, { analyst: p.run.outcome.analyst, runId: p.run.runId, input: p.input, staged: proposals }, clock);
    await auditUnusedProposals(trx, proposals, p.input, decision, p.run.runId, clock);
    const fullTrace = p.adjustments.length ? appendTrace(trace, "guardrail", { adjustments: p.adjustments, verdict: decision.verdict }, p.run.finishedAt) : trace;
    await saveRun(trx, agentRunRecord(p.run, { ...meta, failure: null, decisionId: decision.id, fallback: null }), p.run.input, fullTrace);
    await commitStagedEffects(trx, { effects: others, caseId: p.caseId, agent: "VERA", actor: VERA_ACTOR, runId: p.run.runId, clock, ...(options.applyEffects ? { apply: options.applyEffects } : {}) });
  }

  return {
    [INVESTIGATE_JOB]: {
      prepare: (db, job) => prepare(db, job.payload),
      async handle(trx, job, prepared) {
        const p = prepared as Prepared | undefined;
        if (!p || p.kind === "decided") {
          const { case_id } = parseOrThrow(InvestigatePayload, job.payload, `${INVESTIGATE_JOB} payload`, "");
          // Already decided (the common case) or prepared by nobody: the deterministic stage is idempotent.
          await investigateCase(trx, case_id, clock, options.analyst);
          return;
        }
        await commit(trx, p);
      },
    },
  };
}

/**
 * A staged proposal becomes a proposed action only with an escalation to ARIA and a target in the case's
 * scope (commitVeraDecision writes those); every other one is audited as refused, so nothing a run asked for
 * disappears silently.
 */
async function auditUnusedProposals(
  trx: Executor,
  proposals: Extract<StagedEffect, { kind: "propose_action" }>[],
  input: VeraInput,
  decision: Decision,
  runId: string,
  clock: Clock,
): Promise<void> {
  const inScope = scopeOf(input);
  for (const effect of proposals) {
    const reason =
      effect.case_id !== input.case_id
        ? `case ${effect.case_id} is not this run's case ${input.case_id}`
        : !inScope(effect.target)
          ? `${effect.target.slice(0, 200)} is not one of the case's entities`
          : decision.verdict !== "ESCALATE_TO_ARIA"
            ? `VERA's verdict is ${decision.verdict}: proposals go to ARIA only with an escalation`
            : null;
    if (reason)
      await appendAudit(
        trx,
        { actor: VERA_ACTOR, action: "crew.effect_refused", caseId: input.case_id, data: { run_id: runId, kind: effect.kind, target_case_id: effect.case_id, action: effect.action, target: effect.target.slice(0, 200), reason } },
        clock,
      );
  }
}
