import { z } from "zod";

export const SEVERITIES = ["informational", "low", "medium", "high", "critical"] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** Moves a severity up (positive steps) or down, clamped to the scale. */
export function shiftSeverity(severity: Severity, steps: number): Severity {
  const index = Math.min(SEVERITIES.length - 1, Math.max(0, severityRank(severity) + steps));
  return SEVERITIES[index]!;
}

export const PRIORITIES = ["P1", "P2", "P3", "P4"] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;
