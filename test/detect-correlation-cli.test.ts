import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastLine, runCli } from "./support/cli.js";
import { sharedPath } from "./support/shared.js";

// 294 explicit-credential logons (4648) from one address against many accounts, about one a second.
const SPRAY = sharedPath("data/evtx-samples/DeepBlueCLI/password-spray.evtx");

function rules(threshold: number, generateBase: boolean): string {
  return `title: Explicit credential logon
id: 5b0f3c1e-0000-4000-8000-000000000001
name: explicit_credential_logon
status: test
author: Nightshift tests
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4648}
  condition: selection
level: low
---
title: Password spray from one address
id: 5b0f3c1e-0000-4000-8000-000000000002
status: test
author: Nightshift tests
correlation:
  type: value_count
  rules: [explicit_credential_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {field: TargetUserName, gte: ${threshold}}
${generateBase ? "  generate: true\n" : ""}level: high
tags: [attack.credential-access, attack.t1110.003]
`;
}

interface Line {
  time: string;
  rule: { id: string; title: string; author: string };
  attack: { techniques: string[] };
  source: { file: string; record: number };
  correlation?: { type: string; group: Record<string, unknown>; value: number; timespan: string; rules: string[] };
  events?: { time: string; rule: { id: string }; source: { file: string; record: number } }[];
}

const linesOf = (stdout: string) => stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Line);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-correlation-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function detect(text: string) {
  const rulesDir = mkdtempSync(join(dir, "rules-"));
  writeFileSync(join(rulesDir, "spray.yml"), text);
  return runCli(["detect", "--no-builtin", "--rules", rulesDir, "--stats", SPRAY], {});
}

describe("nightshift detect with correlation rules", () => {
  it("writes correlation alerts that list the events that made them, and no base alerts", async () => {
    const result = await detect(rules(10, false));
    expect(result.code, result.stderr).toBe(0);
    const lines = linesOf(result.stdout);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.rule.id).toBe("5b0f3c1e-0000-4000-8000-000000000002");
      expect(line.rule.author).toBe("Nightshift tests");
      expect(line.attack.techniques).toEqual(["T1110.003"]);
      expect(line.correlation).toMatchObject({ type: "value_count", group: { IpAddress: "172.16.144.128" }, timespan: "5m" });
      expect(line.correlation!.value).toBeGreaterThanOrEqual(10);
      expect(line.events!.length).toBeGreaterThanOrEqual(10);
      const records = line.events!.map((e) => e.source.record);
      expect(new Set(records).size).toBe(records.length);
      // The window starts at its first event and lasts the timespan: the completing event and every listed one lie in it.
      const start = Date.parse(line.events![0]!.time);
      for (const time of [line.time, ...line.events!.map((e) => e.time)]) {
        expect(Date.parse(time)).toBeGreaterThanOrEqual(start);
        expect(Date.parse(time) - start).toBeLessThanOrEqual(5 * 60_000);
      }
      for (const event of line.events!) expect(event.rule.id).toBe("5b0f3c1e-0000-4000-8000-000000000001");
    }
    const stats = JSON.parse(lastLine(result.stderr)) as { alerts: number; rules_loaded: number };
    expect(stats.alerts).toBe(lines.length);
    expect(stats.rules_loaded).toBe(2);
  });

  it("stays silent below the threshold and lets the base rule speak when asked to", async () => {
    const silent = await detect(rules(1000, false));
    expect(silent.code, silent.stderr).toBe(0);
    expect(silent.stdout).toBe("");

    const both = await detect(rules(10, true));
    expect(both.code, both.stderr).toBe(0);
    const lines = linesOf(both.stdout);
    expect(lines.filter((l) => l.correlation === undefined).length).toBe(294);
    expect(lines.filter((l) => l.correlation !== undefined).length).toBeGreaterThan(0);
  });
});

describe("nightshift detect: correlation whatever the order of its inputs (issue 13)", () => {
  const samples = sharedPath("data/evtx-samples/DeepBlueCLI");
  const SMB = join(samples, "smb-password-guessing-security.evtx"); // 3,561 failed logons in under 3 minutes
  const LATER = join(samples, "psattack-security.evtx"); // events from a later date, read first
  const BRUTE_FORCE = "cdc468f2-6d21-46b0-a8fb-918a4b6c5ac6";

  const bruteForce = async (paths: string[]) => {
    const result = await runCli(["detect", ...paths], {});
    expect(result.code, result.stderr).toBe(0);
    return linesOf(result.stdout).filter((line) => line.rule.id === BRUTE_FORCE);
  };

  it("raises the brute force once, with its group and the window's total, whether the guessing file comes first, second or in a folder", async () => {
    for (const paths of [[SMB], [LATER, SMB], [samples]]) {
      const alerts = await bruteForce(paths);
      // The alert carries every failed logon of its window (not the 20 counted when the threshold was crossed).
      expect(alerts.map((a) => [a.correlation?.group, a.correlation?.value]), paths.join(" ")).toEqual([
        [{ Computer: "DESKTOP-M5SN04R", IpAddress: "192.168.198.149" }, 3559],
      ]);
      expect(alerts[0]!.events).toHaveLength(100);
    }
  });
});
