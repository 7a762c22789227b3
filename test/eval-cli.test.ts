import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cliEnvironment } from "./support/environment.js";
import { lastLine, runCli, type CliResult } from "./support/cli.js";

const share = (v: unknown) => v === null || (typeof v === "number" && v >= 0 && v <= 1);

/** A pack whose attack the deterministic crew closes: it looks exactly like the suppressed agent script. */
function disguisedPack() {
  const alert = {
    title: "Suspicious PowerShell Keywords in Command Line",
    source: "sigma",
    source_id: "sigma:disguised-1",
    severity: "medium",
    subtype: "process_creation",
    rule: { id: "ps-keywords", title: "Suspicious PowerShell Keywords", level: "medium", author: "test" },
    host: { name: "ws-1", ip: ["10.0.0.1"] },
    user: { name: "SYSTEM", domain: "NT AUTHORITY" },
    process: { name: "powershell.exe", command_line: "powershell.exe -File C:\\Agent\\Collect-Inventory.ps1", signed: true, signer: "Agent Ltd" },
  };
  return {
    format: "nightshift.pack.v1",
    name: "disguised",
    title: "an attack disguised as suppressed noise",
    start: "2026-10-01T00:00:00Z",
    context: {
      assets: [{ hostname: "ws-1", ips: ["10.0.0.1"], criticality: "low", environment: "corporate" }],
      suppressions: [
        { id: "SUP-1", author: "soc", reason: "agent script", scope: { rule_id: "ps-keywords", signer: "Agent Ltd" }, created_at: "2026-09-20T00:00:00Z" },
      ],
    },
    timeline: [{ at: "5m", alert, truth: { malicious: true, incident: "disguised" } }],
    incidents: [{ id: "disguised", title: "trojaned agent script", malicious: true }],
  };
}

describe("nightshift eval (end to end)", () => {
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let dir: string;
  let builtin: CliResult;

  beforeAll(async () => {
    environment = await cliEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-eval-test-"));
    builtin = await runCli(["eval", "--builtin", "--json", "--report", path.join(dir, "report")], environment.env);
  }, 300_000);

  afterAll(async () => {
    await environment.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs every built-in pack and prints the contract as the last line; exit 1 exactly when a malicious incident ends closed", () => {
    const result = JSON.parse(lastLine(builtin.stdout));
    expect(result.format).toBe("nightshift.eval.v1");
    expect(result.packs.length).toBeGreaterThanOrEqual(10);
    for (const key of ["incident_recall", "alert_recall", "benign_auto_closed", "escalation_precision"]) expect(share(result[key]), key).toBe(true);
    expect(Number.isInteger(result.malicious_incidents_closed)).toBe(true);
    for (const tier of ["tora", "vera"]) {
      expect(result.tiers[tier].by_truth).toHaveProperty("malicious");
      expect(result.tiers[tier].by_truth).toHaveProperty("benign");
    }
    for (const pack of result.packs) {
      expect(pack).toMatchObject({ name: expect.any(String), failed: pack.malicious_incidents_closed > 0 });
      expect(share(pack.incident_recall) && share(pack.alert_recall) && share(pack.benign_auto_closed)).toBe(true);
      expect(pack.counts.alerts).toBeGreaterThan(0);
    }
    const closedByPacks = result.packs.reduce((n: number, p: { malicious_incidents_closed: number }) => n + p.malicious_incidents_closed, 0);
    expect(result.malicious_incidents_closed).toBe(closedByPacks);
    expect(builtin.code, builtin.stderr).toBe(result.malicious_incidents_closed > 0 ? 1 : 0);
    expect(readFileSync(path.join(dir, "report", "report.md"), "utf8")).toContain("![headline shares per pack](chart.svg)");
    expect(readFileSync(path.join(dir, "report", "chart.svg"), "utf8")).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it("exits 1 when a malicious incident ends closed, and compares with a baseline", async () => {
    const file = path.join(dir, "disguised.yaml");
    writeFileSync(file, stringify(disguisedPack()));
    const first = await runCli(["eval", file, "--json"], environment.env);
    const result = JSON.parse(lastLine(first.stdout));
    expect(result.malicious_incidents_closed).toBe(1);
    expect(result.failed_packs).toEqual(["disguised"]);
    expect(first.code).toBe(1);
    const baseline = path.join(dir, "baseline.json");
    writeFileSync(baseline, first.stdout);
    const second = await runCli(["eval", file, "--json", "--baseline", baseline], environment.env);
    const compared = JSON.parse(lastLine(second.stdout)).baseline;
    expect(compared.totals.malicious_incidents_closed).toEqual({ before: 1, after: 1, delta: 0 });
    expect(compared.packs.disguised.incident_recall).toEqual({ before: 0, after: 0, delta: 0 });
  });

  it("refuses an invalid pack with the path of each problem (exit 2) and runs nothing", async () => {
    const file = path.join(dir, "bad.yaml");
    const pack = disguisedPack();
    writeFileSync(file, stringify({ ...pack, timeline: [{ ...pack.timeline[0], alert: { ...pack.timeline[0]!.alert, severity: "urgent" } }] }));
    const bad = await runCli(["eval", file, "--json"], environment.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("timeline[0].alert.severity");
    expect(bad.stdout).toBe("");
    expect(existsSync(path.join(environment.env.NIGHTSHIFT_HOME!, "nightshift.db"))).toBe(false);
  });
});
