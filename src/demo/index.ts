import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { issuesOf, ValidationError } from "../core/errors.js";

/**
 * Answer key for one demo alert. `expected_outcome` is TORA's triage outcome derived from the crew.md
 * rules, in the vocabulary of `alerts export` (core `Outcome`): closed (CLOSED), suppressed (CLOSED
 * under a suppression rule, which TORA names), escalated (ESCALATED), held (INSUFFICIENT_CONTEXT,
 * human queue).
 * `verdict` is what the alert really was, which a forced escalation may not change.
 */
export const GroundTruth = z.object({
  scenario: z.string().min(1),
  expected_outcome: z.enum(["closed", "suppressed", "escalated", "held"]),
  verdict: z.enum(["true_positive", "benign_true_positive", "false_positive", "undetermined"]),
  notes: z.string().min(1),
});
export type GroundTruth = z.infer<typeof GroundTruth>;

export const GroundTruthFile = z.record(z.string(), GroundTruth);

// Resolved beside the module: src/demo when run from source, dist/demo once the build copies the data.
export const demoPaths = {
  org: fileURLToPath(new URL("./org.json", import.meta.url)),
  alerts: fileURLToPath(new URL("./shift.ndjson", import.meta.url)),
  groundTruth: fileURLToPath(new URL("./ground-truth.json", import.meta.url)),
} as const;

/** The shift the demo alerts fall in (alert times are inside [start, end)). */
export const demoShift = { start: "2026-11-23T22:00:00Z", end: "2026-11-24T06:00:00Z" } as const;

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ValidationError(`demo file ${path} is not valid JSON`, [{ path: "", message: String(error) }]);
  }
}

/** The demo organisation in the context-file format (validated by the context loader, not here). */
export function loadDemoOrg(): unknown {
  return readJson(demoPaths.org);
}

/** The demo shift's alerts in the generic JSON alert format, in file order. */
export function loadDemoAlerts(): unknown[] {
  const lines = readFileSync(demoPaths.alerts, "utf8").split("\n");
  const alerts: unknown[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      alerts.push(JSON.parse(line));
    } catch (error) {
      throw new ValidationError(`demo alert line ${index + 1} is not valid JSON`, [{ path: `line ${index + 1}`, message: String(error) }]);
    }
  });
  return alerts;
}

/** The answer key, keyed by alert source_id. Never give this to the crew. */
export function loadGroundTruth(): Record<string, GroundTruth> {
  const parsed = GroundTruthFile.safeParse(readJson(demoPaths.groundTruth));
  if (!parsed.success) {
    throw new ValidationError("demo ground truth is invalid", issuesOf(parsed.error));
  }
  return parsed.data;
}
