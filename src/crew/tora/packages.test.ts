import { describe, expect, it, vi } from "vitest";
import type * as Core from "../../core/index.js";
import type { CaseAssessment } from "../assessment/assessment.js";

// canonicalJson is counted: a case's preserved context must cost linear work in its alerts, not quadratic.
const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock("../../core/index.js", async (importOriginal) => {
  const actual = await importOriginal<typeof Core>();
  return {
    ...actual,
    canonicalJson: (value: unknown) => {
      calls.n++;
      return actual.canonicalJson(value);
    },
  };
});

const { preservedContext } = await import("./packages.js");

function assessment(alerts: number): CaseAssessment {
  const facts = Array.from({ length: alerts }, (_, i) => ({
    alertId: `a-${i}`,
    enrichment: {
      network: { src_ip: "10.0.0.1" },
      asset: { hostname: "mail", criticality: "high" },
      identity: null,
      threat_intel: {},
      // Every alert's history differs (counts grow along a flood), except for exact repeats.
      history: { same_rule_count: i % (alerts / 2) },
      email_context: null,
    },
  }));
  return { primary: facts[0], facts, context: { missingFields: [] } } as unknown as CaseAssessment;
}

describe("TORA's preserved context", () => {
  it("keeps the primary alert's section and each distinct other section once, in linear work", () => {
    calls.n = 0;
    const context = preservedContext(assessment(400));
    expect(context.asset).toEqual({ hostname: "mail", criticality: "high" });
    const others = (context.history as { other_alerts: { alert_id: string; same_rule_count: number }[] }).other_alerts;
    expect(others).toHaveLength(199);
    expect(new Set(others.map((o) => o.same_rule_count)).size).toBe(199);
    expect(others[0]).toEqual({ alert_id: "a-1", same_rule_count: 1 });
    // One serialisation per alert and section (6 sections): a pairwise comparison would take tens of thousands.
    expect(calls.n).toBeLessThanOrEqual(6 * 400);
  });
});
