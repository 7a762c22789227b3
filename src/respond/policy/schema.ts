import { z } from "zod";
import { Criticality } from "../../core/index.js";
import { ActionName } from "../actions/index.js";

/** What the policy lets happen, from the most to the least autonomous. */
export const POLICY_DECISIONS = ["auto", "auto_then_notify", "needs_approval", "needs_two_approvals", "forbidden"] as const;
export const PolicyDecision = z.enum(POLICY_DECISIONS, { error: `one of ${POLICY_DECISIONS.join(", ")}` });
export type PolicyDecision = z.infer<typeof PolicyDecision>;

/** The stricter of two decisions. */
export function stricter(a: PolicyDecision, b: PolicyDecision): PolicyDecision {
  return POLICY_DECISIONS.indexOf(a) >= POLICY_DECISIONS.indexOf(b) ? a : b;
}

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day HH:MM (24-hour)");

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Every condition must hold for the rule to match; a condition left out matches anything. */
export const RuleWhen = z.strictObject({
  actions: z.array(ActionName).min(1).optional(),
  disruptive: z.boolean().optional(),
  target_kinds: z.array(z.enum(["host", "account", "indicator"])).min(1).optional(),
  /** `unknown` matches a target whose criticality the CMDB does not give. */
  criticality: z.array(z.union([Criticality, z.literal("unknown")])).min(1).optional(),
  /** Environment names as the CMDB spells them (compared case-insensitively); `unknown` as for criticality. */
  environments: z.array(z.string().trim().min(1)).min(1).optional(),
  /** The confidence (0–100) the requesting agent gives; an unknown confidence matches no bound. */
  confidence: z
    .strictObject({ min: z.number().min(0).max(100).optional(), max: z.number().min(0).max(100).optional() })
    .refine((c) => c.min !== undefined || c.max !== undefined, "give min, max or both")
    .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, "min is above max")
    .optional(),
  /** Local time of day in the policy's timezone, from (inclusive) to (exclusive); may wrap midnight (22:00–06:00). */
  hours: z.strictObject({ from: ClockTime, to: ClockTime }).refine((h) => h.from !== h.to, "from and to are the same time").optional(),
  days: z.array(z.enum(DAYS, { error: `a day: ${DAYS.join(", ")}` })).min(1).optional(),
  do_not_touch: z.boolean().optional(),
});
export type RuleWhen = z.infer<typeof RuleWhen>;

export const PolicyRule = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
  description: z.string().max(500).optional(),
  when: RuleWhen.default({}),
  decision: PolicyDecision,
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** The autonomy policy file (YAML or JSON). Rules are tried in order; the first that matches decides. */
export const AutonomyPolicy = z.strictObject({
  schema_version: z.literal(1, { error: "schema_version must be 1" }).default(1),
  /** The IANA timezone `hours` and `days` are read in. */
  timezone: z.string().default("UTC").refine(isTimeZone, "an IANA timezone such as UTC or Europe/Vienna"),
  /** How long an approval request stays open. */
  approval_ttl_minutes: z.number().int().min(1).max(7 * 24 * 60).default(240),
  rules: z
    .array(PolicyRule)
    .default([])
    .superRefine((rules, ctx) => {
      const seen = new Set<string>();
      rules.forEach((rule, index) => {
        if (seen.has(rule.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `rule name "${rule.name}" is used twice` });
        seen.add(rule.name);
      });
    }),
  /** What happens when no rule matches. */
  default: PolicyDecision.default("needs_approval"),
});
export type AutonomyPolicy = z.infer<typeof AutonomyPolicy>;
