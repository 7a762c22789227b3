import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ValidationError } from "../../core/index.js";
import { DEFAULT_POLICY } from "./default.js";
import { AutonomyPolicy } from "./schema.js";

/** Issues by path; an unknown key is named by its own path (`rules.2.when.severity: unknown key`). */
function policyIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...issue.path.map(String), key].join("."), message: "unknown key" }));
    return [{ path: issue.path.map(String).join("."), message: issue.message }];
  });
}

/** A policy from YAML or JSON text (JSON is YAML); `source` names it in messages. Nothing partial: valid whole or an error. */
export function parsePolicyText(text: string, source = "policy"): AutonomyPolicy {
  const document = parseDocument(text, { prettyErrors: true });
  const error = document.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw new ValidationError(`${source}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML or JSON: ${error.message.split("\n")[0]}`, []);
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ValidationError(`${source}: a policy is a mapping (schema_version, timezone, rules, default…)`, []);
  const parsed = AutonomyPolicy.safeParse(value);
  if (!parsed.success) throw new ValidationError(`invalid autonomy policy ${source}`, policyIssues(parsed.error));
  return parsed.data;
}

export function loadPolicyFile(file: string): AutonomyPolicy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ValidationError(`cannot read the autonomy policy ${file}: ${(error as Error).message}`, []);
  }
  return parsePolicyText(text, file);
}

/** The configured policy file, or the documented default when none is configured. */
export function loadPolicy(file: string | undefined | null): AutonomyPolicy {
  return file ? loadPolicyFile(file) : DEFAULT_POLICY;
}
