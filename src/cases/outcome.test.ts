import { describe, expect, it } from "vitest";
import { caseOutcome } from "./outcome.js";

describe("case outcome", () => {
  it.each([
    ["new", null, "open"],
    ["in_progress", null, "escalated"],
    ["on_hold", null, "held"],
    ["resolved", null, "closed"],
    ["closed", null, "closed"],
    ["closed", "sup-1", "suppressed"],
    ["resolved", "sup-1", "suppressed"],
    ["on_hold", "sup-1", "held"],
  ] as const)("%s with suppression %s is %s", (status, suppression_id, outcome) => {
    expect(caseOutcome({ status, suppression_id })).toBe(outcome);
  });
});
