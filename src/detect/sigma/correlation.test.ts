import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.js";
import { conditionHolds, onlyLowerBounds, parseCorrelationObject, timespanMs } from "./index.js";

describe("timespanMs", () => {
  it("reads every unit", () => {
    expect(["30s", "90m", "2h", "1d", "1w", "1M", "1y"].map(timespanMs)).toEqual([
      30_000, 5_400_000, 7_200_000, 86_400_000, 604_800_000, 2_592_000_000, 31_536_000_000,
    ]);
    expect(() => timespanMs("1H")).toThrow(ValidationError);
    expect(() => timespanMs("m")).toThrow(ValidationError);
  });
});

describe("conditions", () => {
  it("AND every comparison", () => {
    const range = { gt: 100, lte: 200 };
    expect([100, 101, 200, 201].map((v) => conditionHolds(range, v))).toEqual([false, true, true, false]);
    expect([conditionHolds({ neq: 3 }, 3), conditionHolds({ neq: 3 }, 4), conditionHolds({ eq: 3 }, 3), conditionHolds({ lt: 3 }, 3)]).toEqual([false, true, true, false]);
    expect([onlyLowerBounds({ gte: 1 }), onlyLowerBounds({ gt: 1, lte: 2 }), onlyLowerBounds({ neq: 2 })]).toEqual([true, false, false]);
  });
});

describe("parseCorrelationObject", () => {
  it("normalises a correlation and reads generate at the top level or inside correlation", () => {
    const raw = { title: "t", id: 42, correlation: { type: "event_count", rules: "a", "group-by": "User", timespan: "5m", condition: { gte: 2 } } };
    expect(parseCorrelationObject(raw)).toMatchObject({ id: "42", rules: ["a"], groupBy: ["User"], timespanMs: 300_000, generate: false });
    expect(parseCorrelationObject({ ...raw, generate: true }).generate).toBe(true);
    expect(parseCorrelationObject({ ...raw, correlation: { ...raw.correlation, generate: true } }).generate).toBe(true);
  });

  it("reports problems field by field", () => {
    try {
      parseCorrelationObject({ correlation: { type: "value_count", rules: ["a", "a"], timespan: "5m", condition: { gte: 2 } } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["title", "correlation.group-by"]));
    }
    try {
      parseCorrelationObject({ title: "t", correlation: { type: "value_count", rules: ["a", "a"], "group-by": [], timespan: "5m", condition: { gte: 2 } } });
      expect.unreachable();
    } catch (error) {
      const paths = (error as ValidationError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["correlation.condition.field", "correlation.rules"]));
    }
  });
});
