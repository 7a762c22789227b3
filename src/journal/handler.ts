import { JOURNAL_POST_JOB } from "../core/index.js";
import { handles, type Handlers } from "../store/index.js";
import type { RedactionPolicy } from "./redact.js";
import { writeDecisionPost } from "./writer.js";

/**
 * The journal stage: `journal.post` {decision_id, shift?} writes the decision's post (any agent's; the
 * renderers are in posts/), then hands off to the site rebuild (`onPosted`, after the job commits).
 */
export interface JournalHandlerOptions {
  home: string;
  policy?: RedactionPolicy;
  /** After a post's job commits (the hand-off to the static site's rebuild, src/app/serve.ts). */
  onPosted?: (decisionId: string) => void;
}

/** Same decision, same post: writing the job's file twice is harmless, so it is done inside `handle`. */
export function journalHandlers(options: JournalHandlerOptions): Handlers {
  const { onPosted } = options;
  return handles(JOURNAL_POST_JOB, {
    // The file is written in the job's transaction window (reading through `trx`); a rollback after it
    // only means the retry rewrites the same bytes.
    handle: async (trx, job) => {
      const { decision_id, shift } = job.payload;
      await writeDecisionPost(trx, options.home, decision_id, { policy: options.policy, shift });
    },
    ...(onPosted ? { afterCommit: async (job) => onPosted(job.payload.decision_id) } : {}),
  });
}
