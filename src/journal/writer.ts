import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Decision, issuesOf, NotFoundError, ValidationError } from "../core/index.js";
import { fromJson, type Executor } from "../store/index.js";
import { renderDecisionPost } from "./post.js";
import type { RedactionPolicy } from "./redact.js";
export function journalDir(home: string): string {
  return path.join(home, "journal");
}

const CASE_COLUMNS = ["id", "title", "status", "verdict", "priority", "severity", "confidence", "tags", "attack"] as const;

/** Writes (or rewrites, byte for byte) the post of one decision; returns its absolute path. */
export async function writeDecisionPost(
  ex: Executor,
  home: string,
  decisionId: string,
  options: { policy?: RedactionPolicy; shift?: string } = {},
): Promise<string> {
  const row = await ex.selectFrom("decisions").selectAll().where("id", "=", decisionId).executeTakeFirst();
  if (!row) throw new NotFoundError(`decision ${decisionId}`);
  const parsed = Decision.safeParse({ ...row, output: fromJson(row.output, {}) });
  if (!parsed.success) throw new ValidationError(`decision ${decisionId} cannot be published`, issuesOf(parsed.error, "decision"));
  const caseRow = await ex.selectFrom("cases").select(CASE_COLUMNS).where("id", "=", row.case_id).executeTakeFirst();
  if (!caseRow) throw new NotFoundError(`case ${row.case_id}`);
  const post = renderDecisionPost(parsed.data, caseRow, options);
  const file = path.join(journalDir(home), ...post.path.split("/"));
  // The trace first: a post never links to a trace that is not there yet.
  await writeFileAtomic(path.join(journalDir(home), ...post.trace.path.split("/")), post.trace.markdown);
  await writeFileAtomic(file, post.markdown);
  return file;
}

/** Writes every decision's post (for a journal rebuilt from the database); returns how many. */
export async function writeAllDecisionPosts(ex: Executor, home: string, options: { policy?: RedactionPolicy } = {}): Promise<number> {
  const ids = await ex.selectFrom("decisions").select("id").orderBy("created_at").orderBy("id").execute();
  for (const { id } of ids) await writeDecisionPost(ex, home, id, options);
  return ids.length;
}

/** Readers never see half a post: the content goes to a temporary file that is then renamed over it. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  try {
    if ((await readFile(file, "utf8")) === content) return;
  } catch {
    /* absent: write it */
  }
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    await writeFile(temporary, content, "utf8");
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
