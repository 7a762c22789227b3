import { z } from "zod";
import {
  AgentName,
  ConflictError,
  NotFoundError,
  Priority,
  Severity,
  ValidationError,
  issuesOf,
  newId,
  severityRank,
  type CaseStatus,
  type Clock,
} from "../../core/index.js";
import { addComment, appendAudit, canTransition, getCase, lockAuditChain, transitionCase, updateCaseTriage } from "../../cases/index.js";
import { inTransaction, toJson, type Executor } from "../../store/index.js";
import { caseEntities, isCaseEntity } from "./scope.js";
import type { StagedEffect } from "./tool.js";

export const PROPOSED_ACTIONS = [
  "isolate_host",
  "unisolate_host",
  "av_scan",
  "disable_account",
  "block_ioc",
  "reset_credentials",
  "revoke_tokens",
  "quarantine_file",
  "patch_vulnerability",
  "other",
] as const;
export const ProposedActionKind = z.enum(PROPOSED_ACTIONS);
export const Urgency = z.enum(["immediate", "within_shift", "next_available"]);

/** A shift-memory value is a note, not a store: its JSON is at most this many bytes. */
export const MEMORY_VALUE_MAX_BYTES = 4096;
export const COMMENT_MAX_CHARS = 20_000;

const Text = (max: number) => z.string().max(max).refine((v) => v.trim().length > 0, "must not be blank");

export const StagedEffectSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("comment"), case_id: z.string().min(1), body: Text(COMMENT_MAX_CHARS) }),
  z.strictObject({
    kind: z.literal("update_case"),
    case_id: z.string().min(1),
    changes: z
      .strictObject({
        status: z.enum(["in_progress", "on_hold"]).optional(),
        priority: Priority.optional(),
        severity: Severity.optional(),
        add_tags: z.array(z.string().trim().min(1).max(64)).max(20).optional(),
      })
      .refine((c) => Object.values(c).some((v) => v !== undefined), "at least one change"),
    reason: Text(2000),
  }),
  z.strictObject({
    kind: z.literal("propose_action"),
    case_id: z.string().min(1),
    action: ProposedActionKind,
    target: z.string().trim().min(1).max(2048),
    rationale: Text(4000),
    urgency: Urgency,
  }),
  z.strictObject({
    kind: z.literal("memory_write"),
    agent: AgentName,
    shift: z.string().min(1).max(64),
    key: z.string().trim().min(1).max(128),
    value: z.unknown().refine((v) => v !== undefined, "a value is required"),
    case_id: z.string().min(1).nullable(),
  }),
]);

/** The stored proposal (proposed_actions.doc): what ARIA acts on once the autonomy policy allows it. */
export const ProposedActionDoc = z.object({
  schema_version: z.literal(1),
  action: ProposedActionKind,
  target: z.string().min(1),
  rationale: z.string().min(1),
  urgency: Urgency,
  proposed_by: z.string().min(1),
  run_id: z.string().nullable(),
});
export type ProposedActionDoc = z.infer<typeof ProposedActionDoc>;

export interface EffectActor {
  name: string;
  kind: "agent" | "human";
}

export type AppliedEffect =
  | { kind: "comment"; case_id: string; comment_id: string }
  | { kind: "update_case"; case_id: string; status: string; priority: string | null; severity: string; tags: string[] }
  | { kind: "propose_action"; case_id: string; action_id: string }
  | { kind: "memory_write"; agent: string; shift: string; key: string };

function memoryBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

/**
 * Applies a run's (or an MCP call's) effects in the caller's transaction: comments, case updates through
 * the state machine, proposed actions, shift memory. Every effect is validated first (shape, the case
 * exists, a proposal's target is one of its case's entities, legal status moves, memory size); one that
 * fails throws before anything is written, and a failure while writing rolls the whole transaction back.
 * An agent never lowers a case's severity: a lower value leaves it as it is.
 */
export async function applyEffects(
  trx: Executor,
  effects: StagedEffect[],
  actor: EffectActor,
  clock: Clock,
  options: { runId?: string | null } = {},
): Promise<AppliedEffect[]> {
  const parsed = z.array(StagedEffectSchema).safeParse(effects);
  if (!parsed.success) throw new ValidationError("invalid effects", issuesOf(parsed.error, "effects"));
  if (!actor.name.trim()) throw new ValidationError("invalid effects", [{ path: "actor.name", message: "an actor is required" }]);
  const list = parsed.data as StagedEffect[];
  if (list.length === 0) return [];
  return inTransaction(trx, async (ex) => {
    // The audit chain's lock first, as every writer of the chain takes it (src/cases/audit.ts).
    await lockAuditChain(ex);
    await validateEffects(ex, list);
    const who = { kind: actor.kind, name: actor.name };
    const out: AppliedEffect[] = [];
    for (const effect of list) {
      switch (effect.kind) {
        case "comment": {
          const comment = await addComment(ex, effect.case_id, { author: who, body: effect.body }, clock);
          out.push({ kind: "comment", case_id: effect.case_id, comment_id: comment.id });
          break;
        }
        case "update_case":
          out.push(await applyCaseUpdate(ex, effect, who, clock));
          break;
        case "propose_action": {
          const id = newId();
          const doc = ProposedActionDoc.parse({
            schema_version: 1,
            action: effect.action,
            target: effect.target,
            rationale: effect.rationale,
            urgency: effect.urgency,
            proposed_by: actor.name,
            run_id: options.runId ?? null,
          });
          const now = clock.now().toISOString();
          await ex
            .insertInto("proposed_actions")
            .values({ id, case_id: effect.case_id, run_id: options.runId ?? null, proposed_by: actor.name, action: doc.action, target: doc.target, doc: toJson(doc), status: "proposed", created_at: now })
            .execute();
          await appendAudit(ex, { actor: who, action: "action.proposed", caseId: effect.case_id, data: { action_id: id, action: doc.action, target: doc.target, urgency: doc.urgency, run_id: doc.run_id } }, clock);
          out.push({ kind: "propose_action", case_id: effect.case_id, action_id: id });
          break;
        }
        case "memory_write": {
          const values = { value: toJson(effect.value), case_id: effect.case_id, updated_at: clock.now().toISOString() };
          await ex
            .insertInto("shift_memory")
            .values({ agent: effect.agent, shift: effect.shift, key: effect.key, ...values })
            .onConflict((oc) => oc.columns(["agent", "shift", "key"]).doUpdateSet(values))
            .execute();
          out.push({ kind: "memory_write", agent: effect.agent, shift: effect.shift, key: effect.key });
          break;
        }
      }
    }
    return out;
  });
}

async function validateEffects(ex: Executor, effects: StagedEffect[]): Promise<void> {
  const issues: { path: string; message: string }[] = [];
  const statuses = new Map<string, CaseStatus>();
  const entities = new Map<string, Awaited<ReturnType<typeof caseEntities>>>();
  for (const [index, effect] of effects.entries()) {
    const at = (field: string) => `effects.${index}.${field}`;
    if (effect.kind === "memory_write") {
      if (memoryBytes(effect.value) > MEMORY_VALUE_MAX_BYTES) issues.push({ path: at("value"), message: `at most ${MEMORY_VALUE_MAX_BYTES} bytes of JSON` });
      if (effect.case_id === null) continue;
    }
    const caseId = effect.case_id!;
    if (!statuses.has(caseId)) {
      const current = await getCase(ex, caseId);
      if (!current) throw new NotFoundError(`case ${caseId}`);
      statuses.set(caseId, current.status);
    }
    if (effect.kind === "update_case" && effect.changes.status) {
      const from = statuses.get(caseId)!;
      const to = effect.changes.status;
      if (from !== to && !canTransition(from, to)) throw new ConflictError(`case ${caseId}: illegal transition ${from} → ${to}`);
      statuses.set(caseId, to);
    }
    if (effect.kind === "propose_action") {
      if (!entities.has(caseId)) entities.set(caseId, await caseEntities(ex, caseId));
      const known = entities.get(caseId);
      if (!known || !isCaseEntity(known, effect.target)) issues.push({ path: at("target"), message: `not an entity of case ${caseId}` });
    }
  }
  if (issues.length) throw new ValidationError("invalid effects", issues);
}

async function applyCaseUpdate(
  ex: Executor,
  effect: Extract<StagedEffect, { kind: "update_case" }>,
  who: { kind: "agent" | "human"; name: string },
  clock: Clock,
): Promise<AppliedEffect> {
  const current = (await getCase(ex, effect.case_id))!;
  await appendAudit(ex, { actor: who, action: "case.update_requested", caseId: effect.case_id, data: { changes: effect.changes, reason: effect.reason } }, clock);
  const { status, priority, severity, add_tags } = effect.changes;
  const fields: { priority?: z.infer<typeof Priority>; severity?: z.infer<typeof Severity>; tags?: string[] } = {};
  if (priority !== undefined) fields.priority = priority;
  if (severity !== undefined) {
    const parsed = Severity.parse(severity);
    // An agent only raises: lowering severity is a judgment the guardrails keep for the decision and humans.
    if (who.kind === "human" || severityRank(parsed) > severityRank(current.severity)) fields.severity = parsed;
  }
  if (add_tags?.length) fields.tags = [...new Set([...current.tags, ...add_tags])];
  let updated = Object.keys(fields).length ? await updateCaseTriage(ex, effect.case_id, fields, who, clock) : current;
  if (status && status !== updated.status) {
    updated = await transitionCase(ex, effect.case_id, { to: status, actor: who, rationale: effect.reason }, clock);
  }
  return { kind: "update_case", case_id: effect.case_id, status: updated.status, priority: updated.priority, severity: updated.severity, tags: updated.tags };
}
