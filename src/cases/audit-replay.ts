import type { AuditEvent } from "../core/index.js";
import type { Executor } from "../store/index.js";

/** The case fields the chain records every change of, and that `audit verify` compares with the table. */
export const REPLAYED_FIELDS = [
  "status",
  "verdict",
  "verdict_rationale",
  "priority",
  "severity",
  "confidence",
  "crew_verdict",
  "assignee",
  "needs_human_verification",
  "suppression_id",
] as const;
type Field = (typeof REPLAYED_FIELDS)[number];
type CaseState = Record<Field, unknown>;

export interface CaseMismatch {
  case_id: string;
  field: Field | "row";
  /** What the chain says the value is (`row`: whether the case exists). */
  chain: unknown;
  table: unknown;
}

const actorText = (value: unknown): string | null => {
  if (!value || typeof value !== "object") return null;
  const { kind, name } = value as { kind?: unknown; name?: unknown };
  return typeof kind === "string" && typeof name === "string" ? `${kind}:${name}` : null;
};

/**
 * Rebuilds each case's state from its audit events alone (created, alert linked, transition, updated,
 * assigned, flagged), in chain order, mirroring what the case functions write to the `cases` row.
 */
export class CaseReplay {
  private readonly cases = new Map<string, CaseState>();

  apply(event: AuditEvent): void {
    const id = event.case_id;
    if (!id) return;
    const d = event.data;
    if (event.action === "case.created") {
      this.cases.set(id, {
        status: "new",
        verdict: null,
        verdict_rationale: null,
        priority: null,
        severity: d.severity ?? null,
        confidence: null,
        crew_verdict: null,
        assignee: null,
        needs_human_verification: false,
        suppression_id: null,
      });
      return;
    }
    const state = this.cases.get(id);
    if (!state) return;
    switch (event.action) {
      case "case.alert_linked": {
        const severity = d.severity as { to?: unknown } | undefined;
        if (severity?.to !== undefined) state.severity = severity.to;
        break;
      }
      case "case.transition": {
        const from = d.from;
        state.status = d.to;
        if ((from === "closed" || from === "resolved") && d.to === "in_progress")
          Object.assign(state, { verdict: null, verdict_rationale: null, suppression_id: null });
        if (d.held_for_human !== true) {
          if (d.verdict) state.verdict = d.verdict;
          if (typeof d.rationale === "string" && d.rationale) state.verdict_rationale = d.rationale;
          if ("suppression_id" in d) state.suppression_id = d.suppression_id;
        }
        if ("assignee" in d) state.assignee = actorText(d.assignee);
        if ("needs_human_verification" in d) state.needs_human_verification = d.needs_human_verification === true;
        if ("crew_verdict" in d) state.crew_verdict = d.crew_verdict;
        break;
      }
      case "case.updated": {
        const changes = (d.changes ?? {}) as Record<string, { to?: unknown }>;
        for (const field of ["priority", "severity", "confidence", "crew_verdict"] as const)
          if (changes[field] && "to" in changes[field]) state[field] = changes[field].to ?? null;
        break;
      }
      case "case.assigned":
        state.assignee = actorText(d.to);
        break;
      case "case.flagged_for_human":
        state.needs_human_verification = true;
        break;
    }
  }

  /** Compares the replayed state with the `cases` table, page by page; every difference, capped at `limit`. */
  async compare(db: Executor, limit = 100): Promise<{ checked: number; mismatches: CaseMismatch[]; total: number }> {
    const mismatches: CaseMismatch[] = [];
    let total = 0;
    const push = (m: CaseMismatch) => {
      total++;
      if (mismatches.length < limit) mismatches.push(m);
    };
    const seen = new Set<string>();
    let after = "";
    let checked = 0;
    while (true) {
      const rows = await db.selectFrom("cases").selectAll().where("id", ">", after).orderBy("id").limit(500).execute();
      for (const row of rows) {
        checked++;
        seen.add(row.id);
        const chain = this.cases.get(row.id);
        if (!chain) {
          push({ case_id: row.id, field: "row", chain: null, table: "exists" });
          continue;
        }
        const table: CaseState = {
          status: row.status,
          verdict: row.verdict,
          verdict_rationale: row.verdict_rationale,
          priority: row.priority,
          severity: row.severity,
          confidence: row.confidence == null ? null : Number(row.confidence),
          crew_verdict: row.crew_verdict,
          assignee: row.assignee_kind && row.assignee_name ? `${row.assignee_kind}:${row.assignee_name}` : null,
          needs_human_verification: Number(row.needs_human_verification) === 1,
          suppression_id: row.suppression_id,
        };
        for (const field of REPLAYED_FIELDS)
          if (JSON.stringify(chain[field] ?? null) !== JSON.stringify(table[field] ?? null))
            push({ case_id: row.id, field, chain: chain[field] ?? null, table: table[field] ?? null });
      }
      if (rows.length < 500) break;
      after = rows.at(-1)!.id;
    }
    for (const id of this.cases.keys()) if (!seen.has(id)) push({ case_id: id, field: "row", chain: "exists", table: null });
    return { checked, mismatches, total };
  }
}
