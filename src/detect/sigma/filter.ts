import { z } from "zod";
import { ValidationError, issuesOf } from "../../core/errors.js";
import { compileDetection, type CompileOptions, type Matcher } from "./compile.js";
import { SigmaLogsource, looseText, textList } from "./rule.js";

const FilterSection = z
  .object({
    rules: z
      .union([z.array(looseText).min(1), looseText])
      .transform((rules) => (Array.isArray(rules) ? rules : [rules])),
    condition: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  })
  .catchall(z.unknown())
  .refine((section) => Object.keys(section).some((key) => key !== "rules" && key !== "condition"), {
    message: "needs a search identifier (e.g. selection)",
  });

export const SigmaFilterDocument = z.object({
  title: z.string().min(1).max(256),
  id: looseText.optional(),
  name: looseText.optional(),
  description: looseText.optional(),
  author: looseText.optional(),
  date: looseText.optional(),
  modified: looseText.optional(),
  taxonomy: z.string().optional(),
  tags: textList.default([]),
  logsource: SigmaLogsource,
  filter: FilterSection,
});
export type SigmaFilterDocument = z.infer<typeof SigmaFilterDocument>;

/** A filter document with its detection compiled once. */
export interface CompiledFilter {
  id?: string;
  title: string;
  logsource: { category?: string; product?: string; service?: string };
  /** References (ids or names) of the rules it tunes; `any` alone means every rule of its logsource. */
  rules: string[];
  /** True when the filter's condition holds: the rule's match on this event is suppressed. */
  match: Matcher;
  file?: string;
}

/** Validates and compiles one raw filter document. */
export function parseFilterObject(raw: Record<string, unknown>, options: CompileOptions = {}, file?: string): CompiledFilter {
  const parsed = SigmaFilterDocument.safeParse(raw);
  if (!parsed.success) throw new ValidationError("invalid Sigma filter", issuesOf(parsed.error));
  const doc = parsed.data;
  const { rules, ...detection } = doc.filter;
  const { category, product, service } = doc.logsource;
  return {
    ...(doc.id === undefined ? {} : { id: doc.id }),
    title: doc.title,
    logsource: {
      ...(category === undefined ? {} : { category }),
      ...(product === undefined ? {} : { product }),
      ...(service === undefined ? {} : { service }),
    },
    rules,
    match: compileDetection(detection, options),
    ...(file === undefined ? {} : { file }),
  };
}

/** The filter's logsource fields that are set must equal the rule's (case-insensitive), as pySigma checks. */
export function filterFitsLogsource(
  filter: CompiledFilter["logsource"],
  rule: { category?: string | undefined; product?: string | undefined; service?: string | undefined },
): boolean {
  for (const key of ["category", "product", "service"] as const) {
    const wanted = filter[key];
    if (wanted !== undefined && wanted.toLowerCase() !== (rule[key] ?? "").toLowerCase()) return false;
  }
  return true;
}
