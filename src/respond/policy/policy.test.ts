import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/index.js";
import { DEFAULT_POLICY, DEFAULT_POLICY_TEXT, evaluatePolicy, parsePolicyText } from "./index.js";

const AT = "2026-11-24T03:30:00Z"; // a Tuesday

function issues(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("autonomy policy", () => {
  it("the documented default text is the default policy", () => {
    expect(parsePolicyText(DEFAULT_POLICY_TEXT)).toEqual(DEFAULT_POLICY);
  });

  it("default: approval for anything disruptive, two people on critical assets, notify for the rest, never on do-not-touch", () => {
    const check = (action: string, extra: object = {}) => evaluatePolicy(DEFAULT_POLICY, { action: action as never, at: AT, ...extra });
    expect(check("isolate_host", { criticality: "medium" })).toMatchObject({ decision: "needs_approval", rule: "disruptive" });
    expect(check("isolate_host", { criticality: "critical" })).toMatchObject({ decision: "needs_two_approvals", rule: "disruptive-critical" });
    expect(check("run_av_scan")).toMatchObject({ decision: "auto_then_notify", rule: "non-disruptive" });
    expect(check("run_av_scan", { do_not_touch: true })).toMatchObject({ decision: "forbidden", rule: "guardrail:do-not-touch" });
  });

  it("first match wins and the explanation names the rule and why earlier ones failed", () => {
    const policy = parsePolicyText(`
timezone: Europe/Vienna
rules:
  - name: night-auto-isolate
    when: {actions: [isolate_host], hours: {from: "22:00", to: "06:00"}, confidence: {min: 90}, environments: [Production]}
    decision: auto_then_notify
  - name: isolate-prod
    when: {actions: [isolate_host], environments: [production]}
    decision: needs_two_approvals
default: forbidden
`);
    const night = evaluatePolicy(policy, { action: "isolate_host", environment: "production", confidence: 95, at: AT }); // 04:30 in Vienna
    expect(night.decision).toBe("auto_then_notify");
    expect(night.explanation).toContain('rule "night-auto-isolate"');
    expect(night.facts.local_time).toBe("04:30");
    const day = evaluatePolicy(policy, { action: "isolate_host", environment: "production", confidence: 95, at: "2026-11-24T12:00:00Z" });
    expect(day).toMatchObject({ decision: "needs_two_approvals", rule: "isolate-prod" });
    expect(day.checks[0]).toEqual({ rule: "night-auto-isolate", matched: false, failed: ["local time 13:00 outside 22:00–06:00"] });
    const unknownConfidence = evaluatePolicy(policy, { action: "isolate_host", environment: "production", at: AT });
    expect(unknownConfidence.rule).toBe("isolate-prod");
    expect(evaluatePolicy(policy, { action: "run_av_scan", at: AT })).toMatchObject({ decision: "forbidden", rule: "default" });
  });

  it("unknown criticality and environment only match rules that name `unknown`", () => {
    const policy = parsePolicyText(`{"rules": [{"name": "unknown-asset", "when": {"criticality": ["unknown"]}, "decision": "needs_two_approvals"}], "default": "auto"}`);
    expect(evaluatePolicy(policy, { action: "isolate_host", at: AT }).decision).toBe("needs_two_approvals");
    expect(evaluatePolicy(policy, { action: "isolate_host", criticality: "low", at: AT }).decision).toBe("auto");
  });

  it("days of the week are read in the policy's timezone", () => {
    const policy = parsePolicyText(`{"timezone": "America/New_York", "rules": [{"name": "weekend", "when": {"days": ["mon"]}, "decision": "forbidden"}], "default": "auto"}`);
    // Tuesday 03:30 UTC is still Monday evening in New York.
    expect(evaluatePolicy(policy, { action: "run_av_scan", at: AT }).rule).toBe("weekend");
  });

  it("rejects unknown keys, bad values and YAML errors with the path, whole", () => {
    expect(issues(() => parsePolicyText(`rules: [{name: a, when: {severity: [high]}, decision: auto}]`))).toEqual([{ path: "rules.0.when.severity", message: "unknown key" }]);
    expect(issues(() => parsePolicyText(`rules: [{name: a, decision: maybe}]`))[0]!.path).toBe("rules.0.decision");
    expect(issues(() => parsePolicyText(`rules: [{name: a, when: {actions: [nuke_host]}, decision: auto}]`))[0]!.path).toBe("rules.0.when.actions.0");
    expect(issues(() => parsePolicyText(`timezone: Mars/Olympus`))[0]!.path).toBe("timezone");
    expect(issues(() => parsePolicyText(`rules: [{name: a, decision: auto}, {name: a, decision: auto}]`))[0]!.path).toBe("rules.1.name");
    expect(issues(() => parsePolicyText(`rules: [{name: a, when: {hours: {from: "25:00", to: "01:00"}}, decision: auto}]`))[0]!.path).toBe("rules.0.when.hours.from");
    expect(issues(() => parsePolicyText(`extra: 1`))).toEqual([{ path: "extra", message: "unknown key" }]);
    expect(() => parsePolicyText("rules: [", "p.yaml")).toThrow(/p\.yaml:\d+:\d+: not valid YAML/);
  });
});
