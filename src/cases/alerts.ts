import type { Executor } from "../store/index.js";

/** A stored alert of a case: its document and its enrichment, as JSON text (the reader parses what it needs). */
export interface CaseAlertRow {
  id: string;
  doc: string;
  enrichment: string | null;
}

/** The alerts grouped into a case, oldest first (time, then id): the read function the crew's stages use. */
export function listCaseAlertRows(ex: Executor, caseId: string): Promise<CaseAlertRow[]> {
  return ex.selectFrom("alerts").select(["id", "doc", "enrichment"]).where("case_id", "=", caseId).orderBy("time").orderBy("id").execute();
}
