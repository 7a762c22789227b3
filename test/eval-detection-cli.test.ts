import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip } from "../src/detect/readers/test-zip.js";
import { lastLine, runCli } from "./support/cli.js";
import { sharedPath } from "./support/shared.js";

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "ns-evaldetect-cli-"));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("nightshift eval-detection", () => {
  it("scores recorded attacks and prints the JSON contract as the last line", async () => {
    const result = await runCli(["eval-detection", "--evtx", sharedPath("data/evtx-samples/YamatoSecurity/LateralMovement"), "--json"], { NIGHTSHIFT_HOME: home });
    expect(result.code).toBe(0);
    const summary = JSON.parse(lastLine(result.stdout)) as Record<string, unknown> & { per_dataset: { dataset: string; named_technique: boolean; techniques: string[] }[] };
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(["datasets", "alerted", "named_technique", "alerted_share", "named_share", "per_dataset", "noise_per_rule"]));
    expect(summary.datasets).toBe(4);
    const byName = Object.fromEntries(summary.per_dataset.map((d) => [d.dataset, d]));
    expect(byName["evtx/T1210_Zerologon_WindowsDefaultLogging.evtx"]).toMatchObject({ techniques: ["T1210"], named_technique: true });
    expect(byName["evtx/T1563.002_RDP-Hijacking_Security.evtx"]).toMatchObject({ named_technique: true });
    // Per-dataset lines go to stderr with --json, so stdout is the one object.
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  }, 120_000);

  it("refuses a missing folder or no corpus at all (exit 2)", async () => {
    expect((await runCli(["eval-detection"], { NIGHTSHIFT_HOME: home })).code).toBe(2);
    const missing = await runCli(["eval-detection", "--otrf", join(home, "nope")], { NIGHTSHIFT_HOME: home });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--otrf/);
  });
});

describe("nightshift rules update", () => {
  let server: Server;
  let zip: Buffer;
  let url = "";
  beforeAll(async () => {
    zip = buildZip([
      {
        name: "rules/windows/process_creation/proc_marker.yml",
        data: `title: Upstream Marker Rule
id: 3d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a
author: Upstream Author
tags: [attack.execution, attack.t1059]
logsource: {product: windows, category: process_creation}
detection:
  selection: {CommandLine|contains: upstream-marker}
  condition: selection
level: high
`,
      },
      { name: "LICENSE.Detection.Rules.md", data: "Detection Rule License 1.1" },
    ]);
    server = createServer((_req, res) => res.end(zip));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/download/r2026-09-01/sigma_all_rules.zip`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it("installs a package from a loopback server; detect runs it from then on and stops hinting", async () => {
    const events = join(home, "events.json");
    writeFileSync(events, JSON.stringify({ Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, Image: "C:\\x.exe", CommandLine: "x upstream-marker" }));
    const before = await runCli(["detect", events], { NIGHTSHIFT_HOME: home });
    expect(before.stdout).toBe("");
    expect(before.stderr).toMatch(/no SigmaHQ rules configured.*rules update/);

    const bad = await runCli(["rules", "update", "--url", url, "--sha256", "0".repeat(64)], { NIGHTSHIFT_HOME: home });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/checksum mismatch/);

    const sha256 = createHash("sha256").update(zip).digest("hex");
    const installed = await runCli(["rules", "update", "--url", url, "--sha256", sha256], { NIGHTSHIFT_HOME: home });
    expect(installed.code).toBe(0);
    expect(JSON.parse(lastLine(installed.stdout))).toMatchObject({ version: "r2026-09-01", sha256, files: 1 });

    const after = await runCli(["detect", events], { NIGHTSHIFT_HOME: home });
    expect(JSON.parse(lastLine(after.stdout)).rule).toMatchObject({ title: "Upstream Marker Rule", author: "Upstream Author" });
    expect(after.stderr).not.toMatch(/no SigmaHQ rules configured/);
  }, 120_000);
});
