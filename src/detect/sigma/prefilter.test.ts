import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readJsonDocuments, sharedPath } from "../../../test/support/shared.js";
import { normaliseEvent } from "../engine.js";
import { readEventFiles } from "../readers/index.js";
import { compileDetection, detectionRequirement, type SigmaEvent } from "./compile.js";
import { loadRuleDirectory, type CompiledRule } from "./index.js";
import { RulePrefilter } from "./prefilter.js";

type Rule = { name: string; detection: Record<string, unknown>; match: (event: SigmaEvent) => boolean };

function rule(name: string, detection: Record<string, unknown>): Rule {
  return { name, detection, match: compileDetection(detection) };
}

function prefilterOf(rules: Rule[]) {
  return new RulePrefilter(rules, (r) => detectionRequirement(r.detection));
}

const names = (rules: { name: string }[]) => rules.map((r) => r.name);

describe("detectionRequirement", () => {
  it("takes every clause of an AND, one clause from each side of an OR, nothing from NOT", () => {
    const requirement = detectionRequirement({
      a: { Image: "*\\cmd.exe", CommandLine: ["*whoami*", "*hostname*"] },
      b: { Image: "*\\evil.exe" },
      c: { User: "system" },
      condition: "(a or b) and not c",
    });
    expect(requirement).toEqual([
      [
        { field: "Image", needle: "\\cmd.exe" },
        { field: "Image", needle: "\\evil.exe" },
      ],
    ]);
    expect(detectionRequirement({ a: { Image: "*\\cmd.exe" }, condition: "not a" })).toBeNull();
  });
  it("gives none for regex, numeric, exists and null tests", () => {
    for (const selection of [{ "A|re": "x+" }, { "A|gt": 3 }, { "A|exists": true }, { A: null }, { "A|cidr": "10.0.0.0/8" }]) {
      expect(detectionRequirement({ selection, condition: "selection" })).toBeNull();
    }
  });
  it("uses the longest run between wildcards and keeps `all` values as separate clauses", () => {
    expect(detectionRequirement({ s: { "A|all": ["*ab*cdef*", "x?yz"] }, condition: "s" })).toEqual([
      [{ field: "A", needle: "cdef" }],
      [{ field: "A", needle: "yz" }],
    ]);
  });
  it("turns keywords into literals on any value", () => {
    expect(detectionRequirement({ k: ["Mimikatz"], condition: "k" })).toEqual([[{ field: "", needle: "mimikatz" }]]);
  });
});

describe("RulePrefilter", () => {
  const rules = [
    rule("cmd", { s: { Image: "*\\cmd.exe", CommandLine: "*whoami*" }, condition: "s" }),
    rule("not", { s: { Image: "*\\cmd.exe" }, condition: "not s" }),
    rule("keyword", { k: ["mimikatz"], condition: "k" }),
    rule("cased", { s: { "CommandLine|contains|cased": "ABC" }, condition: "s" }),
    rule("id", { s: { EventID: [4688, 1] }, condition: "s" }),
    rule("sigma", { s: { "Name|contains": "ΑΣ" }, condition: "s" }),
  ];
  const prefilter = prefilterOf(rules);

  it("passes rules whose literals all occur, in their order, plus rules without a requirement", () => {
    expect(prefilter.unconditional).toBe(1);
    expect(names(prefilter.candidates({ Image: "C:\\CMD.EXE", CommandLine: "WHOAMI /all" }))).toEqual(["cmd", "not"]);
    expect(names(prefilter.candidates({ Image: "C:\\CMD.EXE", CommandLine: "hostname" }))).toEqual(["not"]);
    expect(names(prefilter.candidates({ EventID: 4688 }))).toEqual(["not", "id"]);
    expect(names(prefilter.candidates({ EventID: [2, "1"] }))).toEqual(["not", "id"]);
  });
  it("finds keywords in nested values", () => {
    expect(names(prefilter.candidates({ a: { b: ["x", { c: "run MimiKatz now" }] } }))).toEqual(["not", "keyword"]);
    expect(names(prefilter.candidates({ a: { b: ["x", { c: "run mimi katz now" }] } }))).toEqual(["not"]);
  });
  it("folds text as the matchers do, beyond ASCII too", () => {
    const events: SigmaEvent[] = [
      { CommandLine: "İ x ABC" },
      { CommandLine: "x abc" },
      { CommandLine: "\u212Aabc" },
      { Name: "ΑΣ" },
      { Name: "xΑΣy" },
      { Name: "ας" },
      { Image: "C:\\İ\\CMD.EXE", CommandLine: "ünï WHOAMI" },
    ];
    for (const event of events) {
      const expected = names(rules.filter((r) => r.match(event)));
      expect(names(prefilter.candidates(event).filter((r) => r.match(event))), JSON.stringify(event)).toEqual(expected);
    }
    expect(names(prefilter.candidates({ CommandLine: "İ x ABC" }))).toContain("cased");
  });
});

/** Up to `perKind` events of each Channel/EventID (259 kinds) among the first `scan` OTRF events, normalised. */
async function otrfSample(scan: number, perKind: number): Promise<SigmaEvent[]> {
  const counts = new Map<string, number>();
  const events: SigmaEvent[] = [];
  let seen = 0;
  for await (const { event } of readEventFiles([sharedPath("data/otrf/windows")])) {
    if (++seen > scan) break;
    const normal = normaliseEvent(event);
    const kind = `${String(normal["Channel"])}:${String(normal["EventID"])}`;
    const count = counts.get(kind) ?? 0;
    if (count >= perKind) continue;
    counts.set(kind, count + 1);
    events.push(normal);
  }
  return events;
}

async function regressionEvents(): Promise<SigmaEvent[]> {
  const dir = sharedPath("data/sigma/regression_data");
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => join(e.parentPath, e.name));
  const events: SigmaEvent[] = [];
  for (const file of files) for (const document of await readJsonDocuments(file)) events.push(normaliseEvent(document));
  return events;
}

describe("prefilter equivalence on real data", () => {
  it("every Windows, emerging-threat and hunting rule hits the same events with and without the prefilter", async () => {
    const loaded: CompiledRule[] = [];
    for (const dir of ["rules/rules/windows", "rules-emerging-threats", "rules-threat-hunting"]) {
      loaded.push(...(await loadRuleDirectory(sharedPath("data/sigma", dir))).loaded);
    }
    const events = [...(await regressionEvents()), ...(await otrfSample(Infinity, 5))];
    const prefilter = new RulePrefilter<CompiledRule>(loaded, (r) => detectionRequirement(r.rule.detection));
    let hits = 0;
    let candidates = 0;
    for (const event of events) {
      const expected = loaded.filter((r) => r.match(event)).map((r) => r.file);
      const chosen = prefilter.candidates(event);
      candidates += chosen.length;
      expect(chosen.filter((r) => r.match(event)).map((r) => r.file)).toEqual(expected);
      hits += expected.length;
    }
    expect(loaded.length).toBeGreaterThan(2500);
    expect(events.length).toBeGreaterThan(500);
    expect(hits).toBeGreaterThan(200); // the regression twins fire their rules
    expect(candidates / events.length).toBeLessThan(loaded.length / 20); // and the prefilter does prune
  }, 300_000);
});
