import type { SuppressionDraft } from "./schema.js";
import { isBenign, isHostile, type AlertFacts, type CaseFacts } from "./facts.js";

/** A command line's shape: case, digits, GUIDs and hex runs do not make two invocations different. */
export function commandLineShape(commandLine: string | null): string | null {
  if (!commandLine?.trim()) return null;
  return commandLine
    .toLowerCase()
    .replace(/\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/g, "<guid>")
    .replace(/\b[0-9a-f]{16,}\b/g, "<hex>")
    .replace(/\d+/g, "#")
    .replace(/\s+/g, " ")
    .trim();
}

function baseName(name: string | null): string | null {
  return name?.trim() ? (name.trim().split(/[\\/]/).pop() ?? null) : null;
}

/** The key recurring false positives are grouped by: rule, host, process, parent and command-line shape. */
export function fpKey(a: AlertFacts): string {
  return [a.source, a.rule_id, a.host?.toLowerCase(), baseName(a.process)?.toLowerCase(), baseName(a.parent)?.toLowerCase(), commandLineShape(a.command_line)]
    .map((v) => v ?? "")
    .join("|");
}

export interface RecurringFalsePositive {
  key: string;
  cases: string[];
  /** How many of them an analyst judged (the rest are the crew's own closures). */
  analyst_judged: number;
  sample: AlertFacts;
  /** Cases of the same shape judged hostile: the group is then an open question, never a suppression. */
  hostile: string[];
  draft: SuppressionDraft | null;
}

function same<T>(values: T[]): T | null {
  return values.length && values.every((v) => v === values[0]) ? values[0]! : null;
}

function commonPrefix(values: string[]): string {
  let prefix = values[0] ?? "";
  for (const v of values) while (!v.toLowerCase().startsWith(prefix.toLowerCase())) prefix = prefix.slice(0, -1);
  // Where the lines diverge inside a token (a session number), the token is left out whole.
  if (values.some((v) => v.length > prefix.length && !/\s/.test(v[prefix.length]!))) prefix = prefix.replace(/\S*$/, "");
  return prefix.trim();
}

/**
 * The suppression that would cover exactly this group: every scope field the group agrees on. Parent and
 * command-line shape narrow it; a shape that varies leaves only the common prefix of the command lines.
 */
function draftFor(alerts: AlertFacts[], expiresAt: string, cases: string[]): SuppressionDraft | null {
  const scope: SuppressionDraft["scope"] = {};
  const rule = same(alerts.map((a) => a.rule_id));
  const host = same(alerts.map((a) => a.host?.toLowerCase() ?? null));
  const user = same(alerts.map((a) => a.user?.toLowerCase() ?? null));
  const process = same(alerts.map((a) => baseName(a.process)?.toLowerCase() ?? null));
  const parent = same(alerts.map((a) => baseName(a.parent)?.toLowerCase() ?? null));
  if (rule) scope.rule_id = rule;
  if (host) scope.host = host;
  if (user) scope.user = user;
  if (process) scope.process_name = process;
  if (parent) scope.parent_name = parent;
  const lines = alerts.map((a) => a.command_line).filter((l): l is string => !!l?.trim());
  if (lines.length === alerts.length) {
    const prefix = commonPrefix(lines);
    if (prefix.length >= 8) scope.command_line_contains = prefix;
  }
  // A rule alone would silence the rule everywhere: a suppression proposal names what the rule fired on too.
  if (!host && !user && !process) return null;
  return { scope, expires_at: expiresAt, reason: `recurring false positive in ${cases.length} cases (${cases.slice(0, 5).join(", ")}${cases.length > 5 ? ", …" : ""})` };
}

/** Shapes of alert that were judged benign at least `minCases` times and never hostile. */
export function recurringFalsePositives(cases: CaseFacts[], options: { minCases: number; expiresAt: string }): RecurringFalsePositive[] {
  const groups = new Map<string, { benign: CaseFacts[]; hostile: CaseFacts[]; alerts: AlertFacts[] }>();
  for (const c of cases) {
    if (c.suppression_id) continue; // already suppressed: nothing to propose
    const benign = isBenign(c);
    const hostile = isHostile(c);
    if (!benign && !hostile) continue;
    for (const key of new Set(c.alerts.map(fpKey))) {
      const g = groups.get(key) ?? { benign: [], hostile: [], alerts: [] };
      (benign ? g.benign : g.hostile).push(c);
      if (benign) g.alerts.push(...c.alerts.filter((a) => fpKey(a) === key));
      groups.set(key, g);
    }
  }
  const out: RecurringFalsePositive[] = [];
  for (const [key, g] of groups) {
    if (g.benign.length < options.minCases) continue;
    const ids = g.benign.map((c) => c.case_id).sort();
    out.push({
      key,
      cases: ids,
      analyst_judged: g.benign.filter((c) => c.verdict === "false_positive" || c.verdict === "benign_true_positive").length,
      sample: g.alerts[0]!,
      hostile: g.hostile.map((c) => c.case_id).sort(),
      draft: g.hostile.length ? null : draftFor(g.alerts, options.expiresAt, ids),
    });
  }
  return out.sort((a, b) => b.cases.length - a.cases.length || a.key.localeCompare(b.key));
}
