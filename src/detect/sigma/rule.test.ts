import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.js";
import { UnsupportedRuleError, attackOf, loadRule, loadRuleDirectory, parseRule, readRuleDocuments } from "./index.js";

const RULE = `
title: Suspicious Encoded PowerShell
id: 11111111-2222-3333-4444-555555555555
status: test
description: Detects encoded PowerShell
author: Nightshift
date: 2024-01-02
references:
  - https://example.com
tags:
  - attack.execution
  - attack.t1059.001
  - attack.g0001
  - attack.defense-evasion
  - cve.2024-1234
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '\\powershell.exe'
    CommandLine|contains|windash: ' -enc '
  condition: selection
falsepositives:
  - Admin scripts
level: high
`;

describe("parseRule", () => {
  it("validates and normalises a rule", () => {
    const rule = parseRule(RULE);
    expect(rule).toMatchObject({
      id: "11111111-2222-3333-4444-555555555555",
      title: "Suspicious Encoded PowerShell",
      status: "test",
      level: "high",
      date: "2024-01-02",
      logsource: { category: "process_creation", product: "windows" },
      falsepositives: ["Admin scripts"],
      references: ["https://example.com"],
    });
    expect(rule.detection["condition"]).toBe("selection");
  });

  it("maps attack tags to tactics and techniques", () => {
    expect(attackOf(parseRule(RULE).tags)).toEqual({
      tactics: ["execution", "defense-evasion"],
      techniques: ["T1059.001"],
    });
  });

  it("reports missing fields field by field", () => {
    try {
      parseRule("id: x\nlogsource: {product: windows}\ndetection: {sel: {A: 1}}\n");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).issues.map((i) => i.path);
      expect(paths).toContain("title");
      expect(paths).toContain("detection");
    }
  });

  it("rejects invalid YAML", () => {
    expect(() => parseRule("title: [unclosed")).toThrow(ValidationError);
  });

  it("merges an action: global base into the rule document", () => {
    const text = `action: global
title: Base
logsource: {product: windows}
detection:
  base: {A: 1}
  condition: base and extra
---
logsource: {service: security}
detection:
  extra: {B: 2}
`;
    const [document] = readRuleDocuments(text);
    expect(document).toMatchObject({ logsource: { product: "windows", service: "security" } });
    const { match } = loadRule(text);
    expect(match({ A: 1, B: 2 })).toBe(true);
    expect(match({ A: 1 })).toBe(false);
  });

  it("reports several rules in one file and correlation rules as unsupported", () => {
    const two = "action: global\ntitle: T\n---\ndetection: {a: {A: 1}, condition: a}\n---\ndetection: {b: {B: 1}, condition: b}\n";
    expect(() => parseRule(two)).toThrow(UnsupportedRuleError);
    expect(() => parseRule("title: C\ncorrelation: {type: event_count}\n")).toThrow(/correlation/);
  });
});

describe("loadRule / loadRuleDirectory", () => {
  it("compiles a rule into a matcher", () => {
    const { rule, match, attack, file } = loadRule(RULE, "a.yml");
    expect(rule.title).toContain("PowerShell");
    expect(attack.techniques).toEqual(["T1059.001"]);
    expect(file).toBe("a.yml");
    expect(match({ Image: "C:\\x\\PowerShell.exe", CommandLine: "powershell /enc AAAA" })).toBe(true);
    expect(match({ Image: "C:\\x\\cmd.exe", CommandLine: "powershell -enc AAAA" })).toBe(false);
  });

  it("loads a directory recursively and lists what it skipped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sigma-"));
    try {
      await mkdir(join(dir, "nested"));
      await writeFile(join(dir, "good.yml"), RULE);
      await writeFile(join(dir, "nested", "also.yaml"), RULE.replace("title: Suspicious", "title: Other"));
      await writeFile(join(dir, "nested", "placeholder.yml"), RULE.replace("' -enc '", "'%Payloads%'").replace("|windash", "|expand"));
      await writeFile(join(dir, "notes.txt"), "not a rule");
      await writeFile(join(dir, "broken.yml"), "title: [");
      const { loaded, skipped } = await loadRuleDirectory(dir);
      expect(loaded.map((c) => c.file).sort()).toEqual(["good.yml", join("nested", "also.yaml")]);
      expect(skipped.map((s) => s.file).sort()).toEqual(["broken.yml", join("nested", "placeholder.yml")]);
      expect(skipped.find((s) => s.file.endsWith("placeholder.yml"))?.reason).toMatch(/needs placeholder values/);

      const withValues = await loadRuleDirectory(dir, { placeholders: { Payloads: ["*evil*"] } });
      expect(withValues.loaded).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
