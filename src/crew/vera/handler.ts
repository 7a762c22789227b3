import {
  INVESTIGATE_JOB,
  JOURNAL_POST_JOB,
  NotFoundError,
  newId,
  type Clock,
  type Decision,
  type ContainmentUrgency,
  type Priority,
  type VeraOutput,
} from "../../core/index.js";
import {
  addComment,
  appendAudit,
  ARIA_ACTOR,
  assignCase,
  flagForHumanVerification,
  getCase,
  heldByCrew,
  lockAuditChain,
  SOC_QUEUE,
  transitionCase,
  transitionFor,
  updateCaseTriage,
  VERA_ACTOR,
} from "../../cases/index.js";
import { enqueue, inTransaction, toJson, type Executor, type Handlers } from "../../store/index.js";
import { parseOrThrow } from "../guardrails/apply.js";
import { guardVera, scopeOf } from "../guardrails/vera.js";
import { getDecision, recordDecision } from "../stage/decision.js";
import type { CrewStageOptions } from "../stage/options.js";
import { defineCrewStage, type CrewStage } from "../stage/stage.js";
import type { StagedEffect } from "../tools/tool.js";
import { loadVeraInput } from "./augment.js";
import { renderVeraComment } from "./comment.js";
import { DETERMINISTIC_VERA, investigateDeterministic } from "./deterministic.js";
import { completeVeraProposal, DEFAULT_VERA_MAX_STEPS, veraAgentSpec, VERA_PROMPT_VERSION, type VeraProposal } from "./model.js";
import type { VeraInput } from "./schema.js";

/** `attempt` counts model runs on the case: a retry after a failed run carries the next number. */
export const InvestigatePayload = INVESTIGATE_JOB.payload;

/** Tag a case carries while VERA's last model run failed (dropped when her decision lands). */
export const VERA_MODEL_FAILED_TAG = "vera:model-failed";

/** An analyst: deterministic today, a model run later; both return a proposal the guardrails check. */
export type VeraAnalyst = (input: VeraInput, now: string) => VeraOutput | Promise<VeraOutput>;

export const URGENCY_PRIORITY: Record<ContainmentUrgency, Priority> = { immediate: "P1", within_shift: "P2", next_available: "P3" };

/** VERA's decision on a case, if she has investigated it. */
export function getVeraDecision(ex: Executor, caseId: string): Promise<Decision | null> {
  return getDecision(ex, caseId, "VERA");
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
    await enqueue(trx, JOURNAL_POST_JOB, { decision_id: decision.id });
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

function fallbackSummary(output: VeraOutput): string {
  return `${output.verdict} · root cause ${output.root_cause_confidence} · TORA's hypothesis ${output.tora_hypothesis_resolution.status} · severity ${output.severity}${
    output.containment.recommendations.length ? ` · ${output.containment.recommendations.map((r) => `${r.action_hint} ${r.target}`).join(", ")}` : ""
  }`;
}

type ProposeAction = Extract<StagedEffect, { kind: "propose_action" }>;

/** VERA as an instance of the one crew stage (src/crew/stage/stage.ts): what is VERA's own. */
function veraStage(clock: Clock, analyst: VeraAnalyst | undefined): CrewStage<VeraInput, VeraOutput, VeraProposal> {
  return {
    agent: "VERA",
    tier: 2,
    actor: VERA_ACTOR,
    job: INVESTIGATE_JOB,
    promptVersion: VERA_PROMPT_VERSION,
    defaultMaxSteps: DEFAULT_VERA_MAX_STEPS,
    failedTag: VERA_MODEL_FAILED_TAG,
    decided: getVeraDecision,
    deterministic: (trx, caseId) => investigateCase(trx, caseId, clock, analyst),
    load: (ex, caseId) => loadVeraInput(ex, caseId, clock),
    spec: (input, tools, maxSteps) => veraAgentSpec(input, tools, { maxSteps }),
    // The completed proposal stays unguarded: commitVeraDecision guards it and audits what the guardrails changed.
    check(proposal, input, durationMs) {
      const output = completeVeraProposal(proposal, input, durationMs);
      return { output, adjustments: guardVera(output, input).adjustments };
    },
    fallback: (input) => guardVera(investigateDeterministic(input, input.now), input).output,
    // A hand-off to ARIA goes ahead at once (containment waits for no endpoint); a HOLD or a closure waits.
    escalates: (output) => output.verdict === "ESCALATE_TO_ARIA",
    summarise: fallbackSummary,
    async commitFallback(trx, current, fallback, run, _failure, input) {
      const meta = { analyst: VERA_FALLBACK_ANALYST, runId: run.runId, input, tags: [VERA_DECIDED_WITHOUT_MODEL_TAG] };
      return { decision: await commitVeraDecision(trx, current.id, fallback, meta, clock), output: fallback };
    },
    async commitProposal(trx, current, { output }, run, input) {
      const proposals = run.staged.filter((e): e is ProposeAction => e.kind === "propose_action");
      const decision = await commitVeraDecision(trx, current.id, output, { analyst: run.outcome.analyst, runId: run.runId, input, staged: proposals }, clock);
      await auditUnusedProposals(trx, proposals, input, decision, run.runId, clock);
      return { decision, effects: run.staged.filter((e) => e.kind !== "propose_action") };
    },
  };
}

/**
 * VERA's queue handler for `case.investigate` {case_id, attempt?}: without a model the deterministic stage,
 * with one the model run prepared outside the transaction and committed — her in-scope proposals for ARIA
 * with the decision — or its failure path; the shape every crew stage shares (src/crew/stage/stage.ts).
 */
export function veraHandlers(options: VeraHandlerOptions): Handlers {
  return defineCrewStage(veraStage(options.clock, options.analyst), options, "veraHandlers");
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
