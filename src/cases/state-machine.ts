import type { Updateable } from "kysely";
import { z } from "zod";
import {
  Actor,
  AttackTags,
  CaseStatus,
  ConflictError,
  NotFoundError,
  Priority,
  Severity,
  Verdict,
  type Case,
  type Clock,
} from "../core/index.js";
import { toJson, type CasesTable, type Executor } from "../store/index.js";
import { appendAudit, lockAuditChain } from "./audit.js";
import { inTransaction, parseInput } from "./internal.js";
import { hydrateCases, loadCaseRow } from "./rows.js";

/** The legal moves of the case workflow. Reopening a closed case is for humans only (checked below). */
export const TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  new: ["in_progress", "on_hold", "resolved", "closed"],
  in_progress: ["on_hold", "resolved", "closed"],
  on_hold: ["in_progress", "resolved", "closed"],
  resolved: ["closed", "in_progress"],
  closed: ["in_progress"],
};

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

function isFinal(status: CaseStatus): boolean {
  return status === "closed" || status === "resolved";
}

/** Tier of a crew agent; assigning a case to a higher tier than its current one is an escalation. */
const AGENT_TIERS: Record<string, number> = { TORA: 1, VERA: 2, ARIA: 3 };

function agentTier(actor: { kind: string; name: string } | null): number | null {
  if (!actor || actor.kind !== "agent") return null;
  return AGENT_TIERS[actor.name.toUpperCase()] ?? null;
}

function assigneeOf(row: CasesTable): Actor | null {
  return row.assignee_kind && row.assignee_name ? { kind: row.assignee_kind as Actor["kind"], name: row.assignee_name } : null;
}

function assign(row: CasesTable, assignee: Actor | null, now: string, set: Updateable<CasesTable>): void {
  set.assignee_kind = assignee?.kind ?? null;
  set.assignee_name = assignee?.name ?? null;
  const to = agentTier(assignee);
  const from = agentTier(assigneeOf(row)) ?? 1;
  if (to !== null && to > from && row.escalated_at == null) set.escalated_at = now;
}

const NonBlank = z.string().trim().min(1);

export const TransitionChange = z
  .object({
    to: CaseStatus,
    actor: Actor,
    verdict: Verdict.optional(),
    rationale: z.string().optional(),
    assignee: Actor.nullable().optional(),
    needsHumanVerification: z.boolean().optional(),
    crewVerdict: NonBlank.optional(),
    suppressionId: NonBlank.nullable().optional(),
  })
  .strict()
  .superRefine((change, ctx) => {
    if (!isFinal(change.to)) return;
    if (!change.verdict) ctx.addIssue({ code: "custom", path: ["verdict"], message: `a case is ${change.to} only with a verdict` });
    if (!change.rationale?.trim())
      ctx.addIssue({ code: "custom", path: ["rationale"], message: `a case is ${change.to} only with a rationale` });
  });
export type TransitionChange = z.input<typeof TransitionChange>;

/** The case after the move; held_for_human says a close or resolve by a non-human landed on hold instead. */
export type TransitionResult = Case & { held_for_human: boolean };

async function reload(ex: Executor, caseId: string): Promise<Case> {
  const [c] = await hydrateCases(ex, [(await loadCaseRow(ex, caseId))!]);
  return c!;
}

/**
 * Moves a case along the workflow, or throws ConflictError for a move the workflow forbids. A case
 * that needs human verification is never closed or resolved by an agent: the request puts it on hold.
 */
export async function transitionCase(ex: Executor, caseId: string, change: TransitionChange, clock: Clock): Promise<TransitionResult> {
  const input = parseInput(TransitionChange, change, "case transition");
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const row = await loadCaseRow(trx, caseId);
    if (!row) throw new NotFoundError(`case ${caseId}`);
    const from = row.status as CaseStatus;
    const human = input.actor.kind === "human";
    const flagged = Number(row.needs_human_verification) === 1;
    if (flagged && input.needsHumanVerification === false && !human)
      throw new ConflictError(`case ${caseId}: only a human may clear needs_human_verification`);
    const heldForHuman = isFinal(input.to) && !human && (flagged || input.needsHumanVerification === true);
    const to: CaseStatus = heldForHuman ? "on_hold" : input.to;
    if (from === "closed" && to === "in_progress" && !human)
      throw new ConflictError(`case ${caseId}: only a human may reopen a closed case`);
    const staysHeld = heldForHuman && from === "on_hold";
    if (!staysHeld && !canTransition(from, to)) {
      throw new ConflictError(
        heldForHuman
          ? `case ${caseId} needs human verification: only a human may ${input.to === "closed" ? "close" : "resolve"} it`
          : `case ${caseId}: illegal transition ${from} → ${to}`,
      );
    }

    const now = clock.now().toISOString();
    const set: Updateable<CasesTable> = { status: to, updated_at: now };
    if (row.acknowledged_at == null) set.acknowledged_at = now;
    if (isFinal(from) && to === "in_progress") {
      Object.assign(set, { verdict: null, verdict_rationale: null, suppression_id: null, resolved_at: null, closed_at: null });
    }
    // A held request keeps its proposed verdict in the audit trail only: the human decides.
    if (!heldForHuman) {
      if (input.verdict) set.verdict = input.verdict;
      if (input.rationale?.trim()) set.verdict_rationale = input.rationale.trim();
      if (input.suppressionId !== undefined) set.suppression_id = input.suppressionId;
    }
    if (to === "resolved") set.resolved_at = now;
    if (to === "closed") set.closed_at = now;
    if (input.assignee !== undefined) assign(row, input.assignee, now, set);
    if (input.needsHumanVerification !== undefined) set.needs_human_verification = input.needsHumanVerification ? 1 : 0;
    if (input.crewVerdict !== undefined) set.crew_verdict = input.crewVerdict;
    await trx.updateTable("cases").set(set).where("id", "=", caseId).execute();

    await appendAudit(
      trx,
      {
        actor: input.actor,
        action: "case.transition",
        caseId,
        data: {
          from,
          to,
          requested: input.to,
          held_for_human: heldForHuman,
          verdict: input.verdict ?? null,
          rationale: input.rationale?.trim() || null,
          assignee: input.assignee,
          needs_human_verification: input.needsHumanVerification,
          crew_verdict: input.crewVerdict,
          suppression_id: input.suppressionId,
        },
      },
      clock,
    );
    return { ...(await reload(trx, caseId)), held_for_human: heldForHuman };
  });
}

export const TriageFields = z
  .object({
    priority: Priority.nullable().optional(),
    severity: Severity.optional(),
    confidence: z.number().int().min(0).max(100).nullable().optional(),
    crewVerdict: NonBlank.nullable().optional(),
    tags: z.array(NonBlank).optional(),
    attack: AttackTags.optional(),
    title: NonBlank.optional(),
  })
  .strict();
export type TriageFields = z.input<typeof TriageFields>;

/** Sets the triage fields given (others untouched); audits what changed as `case.updated`. */
export async function updateCaseTriage(ex: Executor, caseId: string, fields: TriageFields, actor: Actor, clock: Clock): Promise<Case> {
  const input = parseInput(TriageFields, fields, "triage fields");
  const who = parseInput(Actor, actor, "actor", "actor");
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const row = await loadCaseRow(trx, caseId);
    if (!row) throw new NotFoundError(`case ${caseId}`);
    const current = (await hydrateCases(trx, [row]))[0]!;
    const set: Updateable<CasesTable> = {};
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const change = <K extends keyof CasesTable>(field: string, column: K, before: unknown, after: unknown, stored: CasesTable[K]) => {
      if (after === undefined || JSON.stringify(before) === JSON.stringify(after)) return;
      changes[field] = { from: before, to: after };
      set[column] = stored as never;
    };
    change("priority", "priority", current.priority, input.priority, input.priority ?? null);
    change("severity", "severity", current.severity, input.severity, input.severity!);
    change("confidence", "confidence", current.confidence, input.confidence, input.confidence ?? null);
    change("crew_verdict", "crew_verdict", current.crew_verdict, input.crewVerdict, input.crewVerdict ?? null);
    change("tags", "tags", current.tags, input.tags, toJson(input.tags));
    change("attack", "attack", current.attack, input.attack, toJson(input.attack));
    change("title", "title", current.title, input.title, input.title!);
    if (Object.keys(changes).length === 0) return current;
    const now = clock.now().toISOString();
    set.updated_at = now;
    if (row.acknowledged_at == null) set.acknowledged_at = now;
    await trx.updateTable("cases").set(set).where("id", "=", caseId).execute();
    await appendAudit(trx, { actor: who, action: "case.updated", caseId, data: { changes } }, clock);
    return reload(trx, caseId);
  });
}

/** Hands the case to someone without moving it (e.g. VERA passing it on to ARIA). */
export async function assignCase(ex: Executor, caseId: string, assignee: Actor | null, actor: Actor, clock: Clock): Promise<Case> {
  const target = parseInput(Actor.nullable(), assignee, "assignee", "assignee");
  const who = parseInput(Actor, actor, "actor", "actor");
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const row = await loadCaseRow(trx, caseId);
    if (!row) throw new NotFoundError(`case ${caseId}`);
    const now = clock.now().toISOString();
    const set: Updateable<CasesTable> = { updated_at: now };
    if (row.acknowledged_at == null) set.acknowledged_at = now;
    assign(row, target, now, set);
    await trx.updateTable("cases").set(set).where("id", "=", caseId).execute();
    await appendAudit(trx, { actor: who, action: "case.assigned", caseId, data: { from: assigneeOf(row), to: target } }, clock);
    return reload(trx, caseId);
  });
}

/**
 * Flags a case so that no agent may close it until a human clears the flag (VERA's HOLD on a case that is
 * already on hold: there is no transition to carry the flag). Audited; a case already flagged is left as is.
 */
export async function flagForHumanVerification(ex: Executor, caseId: string, actor: Actor, reason: string, clock: Clock): Promise<Case> {
  const who = parseInput(Actor, actor, "actor", "actor");
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const row = await loadCaseRow(trx, caseId);
    if (!row) throw new NotFoundError(`case ${caseId}`);
    if (Number(row.needs_human_verification) === 1) return reload(trx, caseId);
    await trx.updateTable("cases").set({ needs_human_verification: 1, updated_at: clock.now().toISOString() }).where("id", "=", caseId).execute();
    await appendAudit(trx, { actor: who, action: "case.flagged_for_human", caseId, data: { reason } }, clock);
    return reload(trx, caseId);
  });
}
