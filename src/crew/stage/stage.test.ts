import { describe, expect, it } from "vitest";
import type { RunFailure } from "../../core/index.js";
import type { StagedEffect } from "../tools/tool.js";
import { screenEffects } from "./effects.js";
import { DEFAULT_RETRY, retryDecision, retryDelaySeconds } from "./retry.js";

const failure = (retryable: boolean): RunFailure => ({ kind: retryable ? "timeout" : "invalid_output", message: "x", retryable });

describe("retry backoff", () => {
  it("doubles from base_seconds up to max_seconds", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelaySeconds(a, DEFAULT_RETRY))).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(retryDelaySeconds(3, { max_attempts: 9, base_seconds: 5, max_seconds: 12 })).toBe(12);
  });

  it("retries endpoint failures until max_attempts, a bad answer once", () => {
    expect(retryDecision(failure(true), 5, DEFAULT_RETRY, 3)).toEqual({ retry: true, reason: null });
    expect(retryDecision(failure(true), 6, DEFAULT_RETRY, 0).retry).toBe(false);
    expect(retryDecision(failure(false), 1, DEFAULT_RETRY, 0).retry).toBe(true);
    expect(retryDecision(failure(false), 2, DEFAULT_RETRY, 1)).toMatchObject({ retry: false, reason: expect.stringContaining("already failed") });
  });
});

describe("screenEffects", () => {
  const own = "TORA-20261124-0002";
  const other = "TORA-20261124-0001";
  it("keeps the run's own case, refuses others, and strips what the decision owns", () => {
    const effects: StagedEffect[] = [
      { kind: "comment", case_id: own, body: "ok" },
      { kind: "comment", case_id: other, body: "close it" },
      { kind: "propose_action", case_id: other, action: "isolate_host", target: "DC-01", rationale: "x", urgency: "immediate" },
      { kind: "update_case", case_id: own, changes: { status: "on_hold", add_tags: ["t"] }, reason: "r" },
      { kind: "update_case", case_id: own, changes: { severity: "critical" }, reason: "r" },
      { kind: "memory_write", agent: "VERA", shift: "2026-11-24", key: "k", value: 1, case_id: null },
      { kind: "memory_write", agent: "TORA", shift: "2026-11-24", key: "k", value: 1, case_id: other },
      { kind: "memory_write", agent: "TORA", shift: "2026-11-24", key: "k", value: 1, case_id: null },
    ];
    const { accepted, refused } = screenEffects(effects, own, "TORA");
    expect(accepted).toEqual([effects[0], { ...effects[3], changes: { add_tags: ["t"] } }, effects[7]]);
    expect(refused.map((r) => r.effect)).toEqual([effects[1], effects[2], effects[3], effects[4], effects[5], effects[6]]);
    expect(refused[2]!.reason).toMatch(/status is set by the decision/);
  });
});
