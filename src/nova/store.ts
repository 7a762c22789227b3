import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError, canonicalJson, issuesOf, type Clock, type Suppression } from "../core/index.js";
import { appendAudit, lockAuditChain } from "../cases/index.js";
import { validateContext, writeContext } from "../context/index.js";
import { fromJson, inTransaction, toJson, type Executor } from "../store/index.js";
import { Analysis, Proposal, ProposalStatus } from "./schema.js";

/** Who decides a proposal: only analysts and admins (the same roles that decide cases and approvals). */
export const Decider = z.object({ name: z.string().min(1), role: z.enum(["viewer", "analyst", "admin"]) }).strict();
export type Decider = z.infer<typeof Decider>;

export interface StoredProposal extends Proposal {
  analysis_id: string;
  status: ProposalStatus;
  created_at: string;
  decided_at: string | null;
  decided_by: string | null;
  /** The suppression an accepted suppression proposal became. */
  suppression_id: string | null;
}

/** The suppression id an accepted proposal becomes: the proposal id, so the decision citing it names the proposal. */
export function suppressionIdOf(proposalId: string): string {
  return `SUP-${proposalId}`;
}

/** What makes two proposals the same: the suppression's scope, the host, the alert type. */
export function proposalKey(p: Proposal): string {
  const host = typeof p.details.host === "string" ? p.details.host.toLowerCase() : null;
  const subject = p.kind === "suppression" ? (p.suppression?.scope ?? null) : p.kind === "detection_tuning" ? (p.details.alert_type ?? null) : host;
  return `${p.kind}:${canonicalJson(subject ?? p.summary)}`;
}

/**
 * Stores an analysis and its proposals. A second analysis of the same shift and day gets a numbered shift
 * (`adhoc.2`); a proposal made before (same kind and subject — `proposalKey`), whatever a human decided of
 * it, is not proposed again.
 */
export async function publishAnalysis(ex: Executor, analysis: Analysis, clock: Clock): Promise<Analysis> {
  return inTransaction(ex, async (trx) => {
    let published = analysis;
    for (let n = 2; await trx.selectFrom("nova_analyses").select("id").where("id", "=", published.id).executeTakeFirst(); n++) {
      const shift = `${analysis.shift}.${n}`;
      const id = analysis.id.replace(`NOVA-${analysis.shift}-`, `NOVA-${shift}-`);
      published = { ...analysis, shift, id, proposals: analysis.proposals.map((p) => ({ ...p, id: p.id.replace(analysis.id, id) })) };
    }
    const earlier = await trx.selectFrom("nova_proposals").select("doc").execute();
    const known = new Set(earlier.map((r) => proposalKey(Proposal.parse(fromJson(r.doc, null)))));
    published = Analysis.parse({ ...published, proposals: published.proposals.filter((p) => !known.has(proposalKey(p))) });
    const now = clock.now().toISOString();
    await trx.insertInto("nova_analyses").values({ id: published.id, since: published.since, until: published.until, doc: toJson(published), created_at: now }).execute();
    for (const p of published.proposals)
      await trx
        .insertInto("nova_proposals")
        .values({ id: p.id, analysis_id: published.id, kind: p.kind, status: "proposed", doc: toJson(p), created_at: now, decided_at: null, decided_by: null, suppression_id: null })
        .execute();
    return published;
  });
}

export async function getAnalysis(ex: Executor, id: string): Promise<Analysis | null> {
  const row = await ex.selectFrom("nova_analyses").select("doc").where("id", "=", id).executeTakeFirst();
  return row ? Analysis.parse(fromJson(row.doc, null)) : null;
}

type ProposalRow = { id: string; analysis_id: string; status: string; doc: string; created_at: string; decided_at: string | null; decided_by: string | null; suppression_id: string | null };

function toStored(row: ProposalRow): StoredProposal {
  return {
    ...Proposal.parse(fromJson(row.doc, null)),
    analysis_id: row.analysis_id,
    status: ProposalStatus.parse(row.status),
    created_at: row.created_at,
    decided_at: row.decided_at,
    decided_by: row.decided_by,
    suppression_id: row.suppression_id,
  };
}

export const ListProposalsOptions = z.object({ status: ProposalStatus.optional(), analysis: z.string().min(1).optional(), limit: z.number().int().min(1).max(10_000).default(500) }).strict();

export async function listProposals(ex: Executor, options: z.input<typeof ListProposalsOptions> = {}): Promise<StoredProposal[]> {
  const parsed = ListProposalsOptions.safeParse(options);
  if (!parsed.success) throw new ValidationError("invalid proposal filter", issuesOf(parsed.error));
  let q = ex.selectFrom("nova_proposals").selectAll();
  if (parsed.data.status) q = q.where("status", "=", parsed.data.status);
  if (parsed.data.analysis) q = q.where("analysis_id", "=", parsed.data.analysis);
  const rows = await q.orderBy("created_at", "desc").orderBy("id").limit(parsed.data.limit).execute();
  return rows.map(toStored);
}

export async function getProposal(ex: Executor, id: string): Promise<StoredProposal | null> {
  const row = await ex.selectFrom("nova_proposals").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toStored(row) : null;
}

/**
 * A human accepts or rejects a proposal: analyst or admin only, once. Accepting a suppression proposal writes
 * a real suppression into the context domain (id `SUP-<proposal id>`, its reason naming the proposal and the
 * person), so the next matching alert's enrichment carries it and TORA's closure cites it. Every decision is
 * an audit event; all of it commits together or not at all.
 */
export async function decideProposal(
  ex: Executor,
  id: string,
  decision: "accept" | "reject",
  decider: Decider,
  clock: Clock,
  note?: string,
): Promise<StoredProposal> {
  const who = Decider.safeParse(decider);
  if (!who.success) throw new ValidationError("invalid decider", issuesOf(who.error));
  if (who.data.role !== "analyst" && who.data.role !== "admin") throw new ConflictError(`only an analyst or admin decides NOVA proposals (${who.data.name} is ${who.data.role})`);
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const row = await trx.selectFrom("nova_proposals").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new NotFoundError(`proposal ${id}`);
    const proposal = toStored(row);
    if (proposal.status !== "proposed") throw new ConflictError(`proposal ${id} was already ${proposal.status} by ${proposal.decided_by ?? "someone"}`);
    const now = clock.now().toISOString();
    let suppressionId: string | null = null;
    if (decision === "accept" && proposal.kind === "suppression") {
      if (!proposal.suppression) throw new ConflictError(`proposal ${id} carries no suppression`);
      suppressionId = suppressionIdOf(id);
      const suppression: Suppression = {
        id: suppressionId,
        author: who.data.name,
        reason: `NOVA proposal ${id} (${proposal.analysis_id}), accepted by ${who.data.name}: ${proposal.suppression.reason}${note ? ` — ${note}` : ""}`,
        scope: proposal.suppression.scope,
        created_at: now,
        expires_at: proposal.suppression.expires_at,
      };
      await writeContext(trx, validateContext({ suppressions: [suppression] }), { now, source: `nova:${id}` });
    }
    const status = decision === "accept" ? "accepted" : "rejected";
    await trx.updateTable("nova_proposals").set({ status, decided_at: now, decided_by: who.data.name, suppression_id: suppressionId }).where("id", "=", id).execute();
    await appendAudit(
      trx,
      {
        actor: { kind: "human", name: who.data.name },
        action: `nova.proposal.${status}`,
        data: { proposal_id: id, analysis_id: proposal.analysis_id, kind: proposal.kind, role: who.data.role, suppression_id: suppressionId, ...(note ? { note } : {}) },
      },
      clock,
    );
    return { ...proposal, status, decided_at: now, decided_by: who.data.name, suppression_id: suppressionId };
  });
}
