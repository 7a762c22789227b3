import { z } from "zod";
import { Criticality } from "../../core/index.js";
import { ACTIONS, ActionName } from "../actions/index.js";
import type { DAYS, AutonomyPolicy, PolicyDecision, PolicyRule } from "./schema.js";

/** What the policy judges: the action, its target's CMDB facts, the requester's confidence and the time. */
export const PolicyFacts = z.strictObject({
  action: ActionName,
  /** null when the CMDB does not know the target. */
  criticality: Criticality.nullable().default(null),
  environment: z.string().trim().min(1).nullable().default(null),
  confidence: z.number().min(0).max(100).nullable().default(null),
  do_not_touch: z.boolean().default(false),
  /** When the action would run (ISO-8601). */
  at: z.iso.datetime({ offset: true }),
});
export type PolicyFacts = z.infer<typeof PolicyFacts>;
export type PolicyFactsInput = z.input<typeof PolicyFacts>;

export interface RuleCheck {
  rule: string;
  matched: boolean;
  /** The conditions that did not hold (empty when the rule matched). */
  failed: string[];
}

export interface PolicyVerdict {
  decision: PolicyDecision;
  /** The rule that decided: its name, `default`, or `guardrail:do-not-touch`. */
  rule: string;
  /** One sentence: what happens and why. */
  explanation: string;
  checks: RuleCheck[];
  facts: PolicyFacts & { disruptive: boolean; target_kind: string; local_time: string; local_day: string };
}

/** The local weekday and HH:MM of an instant in a timezone. */
export function localTime(at: string, timeZone: string): { day: (typeof DAYS)[number]; minutes: number; text: string } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const hour = Number(get("hour")) % 24;
  const minute = Number(get("minute"));
  const day = get("weekday").toLowerCase().slice(0, 3) as (typeof DAYS)[number];
  return { day, minutes: hour * 60 + minute, text: `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}` };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function failedConditions(rule: PolicyRule, facts: PolicyVerdict["facts"], local: { day: string; minutes: number }): string[] {
  const w = rule.when;
  const failed: string[] = [];
  if (w.actions && !w.actions.includes(facts.action)) failed.push(`action ${facts.action} not in [${w.actions.join(", ")}]`);
  if (w.disruptive !== undefined && w.disruptive !== facts.disruptive) failed.push(`disruptive is ${facts.disruptive}`);
  if (w.target_kinds && !w.target_kinds.includes(facts.target_kind as never)) failed.push(`target kind ${facts.target_kind} not in [${w.target_kinds.join(", ")}]`);
  if (w.criticality && !w.criticality.includes(facts.criticality ?? "unknown")) failed.push(`criticality ${facts.criticality ?? "unknown"} not in [${w.criticality.join(", ")}]`);
  if (w.environments) {
    const env = (facts.environment ?? "unknown").toLowerCase();
    if (!w.environments.some((e) => e.toLowerCase() === env)) failed.push(`environment ${facts.environment ?? "unknown"} not in [${w.environments.join(", ")}]`);
  }
  if (w.confidence) {
    const c = facts.confidence;
    if (c === null) failed.push("confidence unknown");
    else {
      if (w.confidence.min !== undefined && c < w.confidence.min) failed.push(`confidence ${c} < ${w.confidence.min}`);
      if (w.confidence.max !== undefined && c > w.confidence.max) failed.push(`confidence ${c} > ${w.confidence.max}`);
    }
  }
  if (w.hours) {
    const from = toMinutes(w.hours.from);
    const to = toMinutes(w.hours.to);
    const inside = from < to ? local.minutes >= from && local.minutes < to : local.minutes >= from || local.minutes < to;
    if (!inside) failed.push(`local time ${facts.local_time} outside ${w.hours.from}–${w.hours.to}`);
  }
  if (w.days && !w.days.includes(local.day as never)) failed.push(`day ${local.day} not in [${w.days.join(", ")}]`);
  if (w.do_not_touch !== undefined && w.do_not_touch !== facts.do_not_touch) failed.push(`do_not_touch is ${facts.do_not_touch}`);
  return failed;
}

/**
 * What the policy would do. The first rule whose conditions all hold decides; none: the policy's default.
 * A guardrail comes before any rule, in code: a target marked do-not-touch is forbidden whatever the policy says.
 */
export function evaluatePolicy(policy: AutonomyPolicy, input: PolicyFactsInput): PolicyVerdict {
  const base = PolicyFacts.parse(input);
  const spec = ACTIONS[base.action];
  const local = localTime(base.at, policy.timezone);
  const facts = { ...base, disruptive: spec.disruptive, target_kind: spec.target, local_time: local.text, local_day: local.day };
  const what = `${facts.action} (${facts.disruptive ? "disruptive" : "not disruptive"}; criticality ${facts.criticality ?? "unknown"}, environment ${facts.environment ?? "unknown"}, confidence ${facts.confidence ?? "unknown"}, ${local.day} ${local.text} ${policy.timezone})`;
  if (facts.do_not_touch)
    return { decision: "forbidden", rule: "guardrail:do-not-touch", explanation: `forbidden: the target is marked do-not-touch — ${what}`, checks: [], facts };
  const checks: RuleCheck[] = [];
  for (const rule of policy.rules) {
    const failed = failedConditions(rule, facts, local);
    checks.push({ rule: rule.name, matched: failed.length === 0, failed });
    if (failed.length === 0)
      return { decision: rule.decision, rule: rule.name, explanation: `${rule.decision}: rule "${rule.name}" matched ${what}${rule.description ? ` — ${rule.description}` : ""}`, checks, facts };
  }
  return { decision: policy.default, rule: "default", explanation: `${policy.default}: no rule matched ${what}; the policy's default applies`, checks, facts };
}

/** How many distinct people must approve before the action runs. */
export function approvalsRequired(decision: PolicyDecision): number {
  return decision === "needs_two_approvals" ? 2 : decision === "needs_approval" ? 1 : 0;
}
