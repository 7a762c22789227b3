import { z } from "zod";
import { ValidationError, issuesOf } from "../../core/errors.js";
import { looseText, textList } from "./rule.js";

export const CORRELATION_TYPES = [
  "event_count",
  "value_count",
  "temporal",
  "temporal_ordered",
  "value_sum",
  "value_avg",
  "value_percentile",
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

const TIMESPAN = /^(\d+)([smhdwMy])$/;

/** `90m` → milliseconds. Units: s, m, h, d (spec), and w (7d), M (30d), y (365d) as pySigma accepts them. */
export function timespanMs(timespan: string): number {
  const match = TIMESPAN.exec(timespan);
  if (!match) throw new ValidationError("invalid timespan", [{ path: "correlation.timespan", message: `not a timespan: ${timespan}` }]);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export const COMPARISONS = ["gt", "gte", "lt", "lte", "eq", "neq"] as const;
export type Comparison = (typeof COMPARISONS)[number];

const CorrelationCondition = z
  .object({
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    eq: z.number().optional(),
    neq: z.number().optional(),
    field: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  })
  .strict()
  .refine((c) => COMPARISONS.some((op) => c[op] !== undefined), { message: "needs at least one of gt, gte, lt, lte, eq, neq" });

const FIELD_TYPES: ReadonlySet<CorrelationType> = new Set(["value_count", "value_sum", "value_avg", "value_percentile"]);

const CorrelationSection = z
  .object({
    type: z.enum(CORRELATION_TYPES),
    rules: z
      .union([z.array(looseText).min(1), looseText])
      .transform((rules) => (Array.isArray(rules) ? rules : [rules])),
    // Mandatory in the spec and its schema; an empty list puts every event in one group.
    "group-by": textList,
    timespan: z.string().regex(TIMESPAN, "number followed by s, m, h, d, w, M or y (e.g. 90m)"),
    condition: CorrelationCondition.optional(),
    aliases: z.record(z.string(), z.record(z.string(), looseText)).optional(),
    generate: z.boolean().optional(),
  })
  .superRefine((section, ctx) => {
    const temporal = section.type === "temporal" || section.type === "temporal_ordered";
    if (!temporal && section.condition === undefined) {
      ctx.addIssue({ code: "custom", path: ["condition"], message: `${section.type} needs a condition` });
    }
    const field = section.condition?.field;
    if (FIELD_TYPES.has(section.type)) {
      if (field === undefined) ctx.addIssue({ code: "custom", path: ["condition", "field"], message: `${section.type} needs condition.field` });
      else if (section.type !== "value_count" && Array.isArray(field)) {
        ctx.addIssue({ code: "custom", path: ["condition", "field"], message: `${section.type} takes one field` });
      }
    } else if (field !== undefined) {
      ctx.addIssue({ code: "custom", path: ["condition", "field"], message: `${section.type} takes no field` });
    }
    if (new Set(section.rules).size !== section.rules.length) {
      ctx.addIssue({ code: "custom", path: ["rules"], message: "a rule is listed twice" });
    }
    for (const [alias, mapping] of Object.entries(section.aliases ?? {})) {
      for (const rule of Object.keys(mapping)) {
        if (!section.rules.includes(rule)) {
          ctx.addIssue({ code: "custom", path: ["aliases", alias, rule], message: `${rule} is not one of the correlation's rules` });
        }
      }
    }
  });

export const SigmaCorrelationDocument = z.object({
  title: z.string().min(1).max(256),
  id: looseText.optional(),
  name: looseText.optional(),
  status: z.string().optional(),
  description: looseText.optional(),
  author: looseText.optional(),
  references: textList.default([]),
  date: looseText.optional(),
  modified: looseText.optional(),
  taxonomy: z.string().optional(),
  tags: textList.default([]),
  falsepositives: textList.default([]),
  level: z.string().optional(),
  generate: z.boolean().optional(),
  correlation: CorrelationSection,
});
export type SigmaCorrelationDocument = z.infer<typeof SigmaCorrelationDocument>;

/** A validated correlation rule, normalised for the correlation engine. */
export interface SigmaCorrelation {
  id?: string;
  name?: string;
  title: string;
  level?: string;
  author?: string;
  tags: string[];
  type: CorrelationType;
  /** References (ids or names) of base rules or other correlations, in the order given. */
  rules: string[];
  groupBy: string[];
  /** As written (e.g. `10m`). */
  timespan: string;
  timespanMs: number;
  condition: Partial<Record<Comparison, number>>;
  /** value_* types: the field(s) whose values are counted, summed, averaged or ranked. */
  fields: string[];
  /** alias → rule reference → field name in that rule's events. */
  aliases: Record<string, Record<string, string>>;
  /** Whether the referenced rules also alert on their own (spec default: no). */
  generate: boolean;
}

/** Validates one raw correlation document (as from `readRuleDocuments`). */
export function parseCorrelationObject(raw: Record<string, unknown>): SigmaCorrelation {
  const parsed = SigmaCorrelationDocument.safeParse(raw);
  if (!parsed.success) throw new ValidationError("invalid Sigma correlation rule", issuesOf(parsed.error));
  const doc = parsed.data;
  const section = doc.correlation;
  const { field, ...comparisons } = section.condition ?? {};
  const condition: Partial<Record<Comparison, number>> = {};
  for (const op of COMPARISONS) if (comparisons[op] !== undefined) condition[op] = comparisons[op];
  // temporal without a condition: every referenced rule must have matched.
  if (Object.keys(condition).length === 0) condition.gte = section.rules.length;
  return {
    ...(doc.id === undefined ? {} : { id: doc.id }),
    ...(doc.name === undefined ? {} : { name: doc.name }),
    title: doc.title,
    ...(doc.level === undefined ? {} : { level: doc.level }),
    ...(doc.author === undefined ? {} : { author: doc.author }),
    tags: doc.tags,
    type: section.type,
    rules: section.rules,
    groupBy: section["group-by"],
    timespan: section.timespan,
    timespanMs: timespanMs(section.timespan),
    condition,
    fields: field === undefined ? [] : Array.isArray(field) ? field : [field],
    aliases: section.aliases ?? {},
    // The JSON schema puts `generate` at the top level; pySigma reads it inside `correlation`.
    generate: doc.generate ?? section.generate ?? false,
  };
}

/** Whether `value` satisfies every comparison of the condition (several comparisons are ANDed, e.g. a range). */
export function conditionHolds(condition: Partial<Record<Comparison, number>>, value: number): boolean {
  for (const [op, limit] of Object.entries(condition) as [Comparison, number][]) {
    const ok =
      op === "gt" ? value > limit
      : op === "gte" ? value >= limit
      : op === "lt" ? value < limit
      : op === "lte" ? value <= limit
      : op === "eq" ? value === limit
      : value !== limit;
    if (!ok) return false;
  }
  return true;
}

/** True when the condition has only lower bounds (gt/gte): it can fire as soon as it holds. */
export function onlyLowerBounds(condition: Partial<Record<Comparison, number>>): boolean {
  return Object.keys(condition).every((op) => op === "gt" || op === "gte");
}
