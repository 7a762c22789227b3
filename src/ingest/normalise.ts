import { z } from "zod";
import type { Alert, AlertOrigin } from "../core/index.js";
import { dedupeKey } from "./dedupe.js";
import { GenericAlertInput, genericToAlert } from "./formats/generic.js";
import { OcsfFinding, isOcsf, ocsfToGeneric } from "./formats/ocsf.js";
import { zodIssues, type Issue } from "./issues.js";

/** How to read an input: `auto` takes an object with a class_uid for OCSF and anything else for the generic alert. */
export type InputKind = "auto" | "generic" | "ocsf";

export interface NormaliseOptions {
  id: string;
  receivedAt: string;
  origin: AlertOrigin;
  kind?: InputKind;
}

export type NormaliseResult = { ok: true; alert: Alert; dedupeKey: string } | { ok: false; issues: Issue[] };

/** Validates one input (generic or OCSF) and turns it into the core Alert with its dedupe key. */
export function normaliseAlert(value: unknown, options: NormaliseOptions): NormaliseResult {
  const kind = options.kind ?? "auto";
  let input = value;
  if (kind === "ocsf" || (kind === "auto" && isOcsf(value))) {
    const finding = OcsfFinding.safeParse(value);
    if (!finding.success) return { ok: false, issues: zodIssues(finding.error) };
    input = ocsfToGeneric(finding.data, value);
  }
  const generic = GenericAlertInput.safeParse(input);
  if (!generic.success) return { ok: false, issues: zodIssues(generic.error) };
  try {
    const { alert } = genericToAlert(generic.data, options);
    return { ok: true, alert, dedupeKey: dedupeKey(alert, value) };
  } catch (error) {
    if (error instanceof z.ZodError) return { ok: false, issues: zodIssues(error) };
    throw error;
  }
}
