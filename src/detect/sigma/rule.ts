import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { ValidationError, issuesOf } from "../../core/errors.js";
import { currentTechniques } from "../attack-ids.js";

/** A rule (or rule construct) this engine deliberately does not handle; loaders skip it with `reason`. */
export class UnsupportedRuleError extends Error {
  constructor(readonly reason: string) {
    super(`unsupported Sigma rule: ${reason}`);
    this.name = "UnsupportedRuleError";
  }
}

const text = z.string();
// YAML may hand us numbers or dates where the spec means text (e.g. `date: 2023-01-01` under YAML 1.1).
export const looseText = z.union([z.string(), z.number(), z.date()]).transform((value) =>
  value instanceof Date ? value.toISOString().slice(0, 10) : String(value),
);
export const textList = z
  .union([z.array(looseText.nullable()), looseText])
  .transform((value) => (Array.isArray(value) ? value.filter((v): v is string => v !== null) : [value]));

export const SigmaLogsource = z.object({
  category: text.optional(),
  product: text.optional(),
  service: text.optional(),
  definition: z.unknown().optional(),
});

export const SigmaRule = z.object({
  id: looseText.optional(),
  /** Correlation rules may refer to a rule by this name instead of its id. */
  name: looseText.optional(),
  title: text.min(1),
  status: text.optional(),
  level: text.optional(),
  author: looseText.optional(),
  description: looseText.optional(),
  tags: textList.default([]),
  logsource: SigmaLogsource.default({}),
  detection: z.record(z.string(), z.unknown()).refine((d) => d["condition"] !== undefined, {
    message: "detection needs a condition",
  }),
  falsepositives: textList.default([]),
  references: textList.default([]),
  date: looseText.optional(),
  modified: looseText.optional(),
});
export type SigmaRule = z.infer<typeof SigmaRule>;

export type AttackTags = { tactics: string[]; techniques: string[] };

/**
 * `attack.t1059.001` → technique T1059.001; `attack.execution` → tactic execution; other attack tags (groups,
 * software) are ignored. A revoked or renumbered technique id is given as its current id(s) (`attack.t1086` →
 * T1059.001); `namesTechnique` in `attack-ids.ts` still matches a label written with the old one.
 */
export function attackOf(tags: readonly string[]): AttackTags {
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith("attack.")) continue;
    const name = lower.slice("attack.".length);
    if (/^t\d{4}(\.\d{3})?$/.test(name)) {
      for (const technique of currentTechniques(name)) if (!techniques.includes(technique)) techniques.push(technique);
    } else if (/^[a-z]+(?:[-_][a-z]+)*$/.test(name) && !/^(g|s|c|ta)\d+$/.test(name)) {
      const tactic = name.replaceAll("_", "-");
      if (!tactics.includes(tactic)) tactics.push(tactic);
    }
  }
  return { tactics, techniques };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const existing = merged[key];
    merged[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return merged;
}

/** The raw rule objects in a YAML text: one per document, with an `action: global` base merged into each. */
export function readRuleDocuments(source: string): Record<string, unknown>[] {
  const documents = parseAllDocuments(source);
  if (!Array.isArray(documents)) throw new ValidationError("empty YAML", [{ path: "", message: "no document" }]);
  const objects: Record<string, unknown>[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new ValidationError("invalid YAML", [{ path: "", message: document.errors[0]!.message }]);
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) throw new ValidationError("invalid rule", [{ path: "", message: "not a mapping" }]);
    objects.push(value);
  }
  if (objects.length === 0) throw new ValidationError("empty YAML", [{ path: "", message: "no document" }]);
  const [first, ...rest] = objects as [Record<string, unknown>, ...Record<string, unknown>[]];
  if (first["action"] === "global") {
    const { action: _action, ...base } = first;
    if (rest.length === 0) throw new UnsupportedRuleError("global document without rule documents");
    return rest.map((doc) => {
      if (doc["action"] !== undefined) throw new UnsupportedRuleError(`multi-document action ${String(doc["action"])}`);
      return deepMerge(base, doc);
    });
  }
  return objects;
}

/** Validates one raw rule object (as from `readRuleDocuments`). */
export function parseRuleObject(raw: Record<string, unknown>): SigmaRule {
  if (raw["correlation"] !== undefined) throw new UnsupportedRuleError("correlation rule");
  if (raw["filter"] !== undefined && raw["detection"] === undefined) throw new UnsupportedRuleError("filter rule");
  if (raw["action"] !== undefined) throw new UnsupportedRuleError(`multi-document action ${String(raw["action"])}`);
  const parsed = SigmaRule.safeParse(raw);
  if (!parsed.success) throw new ValidationError("invalid Sigma rule", issuesOf(parsed.error));
  return parsed.data;
}

/** Parses a rule text holding exactly one rule (after `action: global` merging). */
export function parseRule(source: string): SigmaRule {
  const documents = readRuleDocuments(source);
  if (documents.length !== 1) {
    // A correlation rule file carries its base rules as further documents.
    if (documents.some((d) => d["correlation"] !== undefined)) throw new UnsupportedRuleError("correlation rule");
    throw new UnsupportedRuleError(`${documents.length} rules in one file`);
  }
  return parseRuleObject(documents[0]!);
}
