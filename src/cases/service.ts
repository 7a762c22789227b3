import { sql } from "kysely";
import { z } from "zod";
import { Actor, CaseStatus, NotFoundError, newId, sha256, type Case, type Clock, type Comment, type ObservableType } from "../core/index.js";
import type { CommentsTable, Executor } from "../store/index.js";
import { appendAudit, lockAuditChain } from "./audit.js";
import { inTransaction, normaliseTime, parseInput } from "./internal.js";
import { hydrateCases, loadCaseRow } from "./rows.js";

/** One case with its alert ids and observables, or null. */
export async function getCase(ex: Executor, id: string): Promise<Case | null> {
  const row = await loadCaseRow(ex, id);
  if (!row) return null;
  return (await hydrateCases(ex, [row]))[0]!;
}

const IsoTime = z.iso.datetime({ offset: true, message: "an ISO-8601 time such as 2026-11-24T00:00:00Z" });

export const ListCasesOptions = z.object({
  status: z.union([CaseStatus, z.array(CaseStatus).min(1)]).optional(),
  limit: z.number().int().min(1).max(500).default(50),
  offset: z.number().int().min(0).default(0),
  /** Only cases updated at or after this time. */
  since: IsoTime.optional(),
});
export type ListCasesOptions = z.input<typeof ListCasesOptions>;

/** Cases, newest first. */
export async function listCases(ex: Executor, options: ListCasesOptions = {}): Promise<Case[]> {
  const { status, limit, offset, since } = parseInput(ListCasesOptions, options, "case listing");
  let query = ex.selectFrom("cases").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).offset(offset);
  if (status) query = query.where("status", "in", Array.isArray(status) ? status : [status]);
  if (since) query = query.where("updated_at", ">=", normaliseTime(since));
  return hydrateCases(ex, await query.execute());
}

export const CommentInput = z.object({
  author: Actor,
  body: z
    .string()
    .max(100_000, "a comment is at most 100000 characters")
    .refine((body) => body.trim().length > 0, "a comment needs a body"),
});
export type CommentInput = z.input<typeof CommentInput>;

function rowToComment(row: CommentsTable): Comment {
  return {
    id: row.id,
    case_id: row.case_id,
    author: { kind: row.author_kind as Actor["kind"], name: row.author_name },
    body: row.body,
    created_at: row.created_at,
  };
}

/** Adds a Markdown comment; the audit chain keeps a hash of the body, so an edited comment shows. */
export async function addComment(ex: Executor, caseId: string, comment: CommentInput, clock: Clock): Promise<Comment> {
  const { author, body } = parseInput(CommentInput, comment, "comment");
  return inTransaction(ex, async (trx) => {
    await lockAuditChain(trx);
    const row = await loadCaseRow(trx, caseId);
    if (!row) throw new NotFoundError(`case ${caseId}`);
    const now = clock.now().toISOString();
    const stored: CommentsTable = { id: newId(), case_id: caseId, author_kind: author.kind, author_name: author.name, body, created_at: now };
    await trx.insertInto("comments").values(stored).execute();
    await trx
      .updateTable("cases")
      .set({ updated_at: now, acknowledged_at: row.acknowledged_at ?? now })
      .where("id", "=", caseId)
      .execute();
    await appendAudit(
      trx,
      { actor: author, action: "comment.added", caseId, data: { comment_id: stored.id, body_sha256: sha256(body), length: body.length } },
      clock,
    );
    return rowToComment(stored);
  });
}

/** A case's comments, oldest first. */
export async function listComments(ex: Executor, caseId: string): Promise<Comment[]> {
  const rows = await ex.selectFrom("comments").selectAll().where("case_id", "=", caseId).orderBy("created_at").orderBy("id").execute();
  return rows.map(rowToComment);
}

/** A shared file hash says more than a shared host name: rarer observable types weigh more. */
export const OBSERVABLE_WEIGHTS: Record<ObservableType, number> = {
  file_hash: 4,
  url: 3,
  domain: 3,
  email: 3,
  ip: 2,
  process: 1,
  user: 1,
  host: 1,
};

export interface SimilarCase {
  case_id: string;
  title: string;
  status: string;
  verdict: string | null;
  shared: { type: string; value: string }[];
  score: number;
}

/** Other cases sharing observables with this one, best first (weighted shared observables, then count). */
export async function similarCases(ex: Executor, caseId: string, limit = 10): Promise<SimilarCase[]> {
  const max = parseInput(z.number().int().min(1).max(100), limit, "limit", "limit");
  const shared = (others?: string[]) => {
    let query = ex
      .selectFrom("observables as mine")
      .innerJoin("observables as other", (join) => join.onRef("other.type", "=", "mine.type").onRef("other.value", "=", "mine.value"))
      .where("mine.case_id", "=", caseId)
      .where("other.case_id", "<>", caseId)
      .select(["other.case_id as case_id", "other.type as type", "other.value as value"])
      .distinct();
    if (others) query = query.where("other.case_id", "in", others);
    return query;
  };
  const weight = sql<number>`sum(case ${sql.ref("s.type")} ${sql.join(
    Object.entries(OBSERVABLE_WEIGHTS).map(([type, w]) => sql`when ${sql.lit(type)} then ${sql.lit(w)}`),
    sql` `,
  )} else 1 end)`;
  const ranked = await ex
    .selectFrom(shared().as("s"))
    .select(["s.case_id", weight.as("score"), sql<string>`count(*)`.as("n")])
    .groupBy("s.case_id")
    .orderBy("score", "desc")
    .orderBy("n", "desc")
    .orderBy("s.case_id")
    .limit(max)
    .execute();
  if (ranked.length === 0) return [];
  const ids = ranked.map((r) => r.case_id);
  const cases = new Map(
    (await ex.selectFrom("cases").select(["id", "title", "status", "verdict"]).where("id", "in", ids).execute()).map((c) => [c.id, c]),
  );
  const sharedRows = await shared(ids).orderBy("type").orderBy("value").execute();
  return ranked.flatMap((r) => {
    const c = cases.get(r.case_id);
    if (!c) return [];
    return [
      {
        case_id: c.id,
        title: c.title,
        status: c.status,
        verdict: c.verdict,
        shared: sharedRows.filter((s) => s.case_id === c.id).map(({ type, value }) => ({ type, value })),
        score: Number(r.score),
      },
    ];
  });
}
