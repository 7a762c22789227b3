import type { Case, CaseStatus, Outcome } from "../core/index.js";

/** What became of a case (and of each of its alerts), for tools that score the crew. */
export function outcomeOf(status: CaseStatus, suppressionId: string | null): Outcome {
  switch (status) {
    case "closed":
    case "resolved":
      return suppressionId ? "suppressed" : "closed";
    case "on_hold":
      return "held";
    case "in_progress":
      return "escalated";
    case "new":
      return "open";
  }
}

export function caseOutcome(c: Pick<Case, "status" | "suppression_id">): Outcome {
  return outcomeOf(c.status, c.suppression_id);
}
