import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tacticIds } from "../src/core/attack.js";
import { buildZip } from "../src/detect/readers/test-zip.js";
import { lastLine, runCli } from "./support/cli.js";
import { sharedPath } from "./support/shared.js";

const RULES = sharedPath("data/sigma/rules/rules/windows");
const REGRESSION = "data/sigma/regression_data/regression_data/rules/windows";
const CASES = [
  "builtin/security/win_security_explicit_credential_local_logon",
  "process_creation/proc_creation_win_bitsadmin_download",
  "file/file_event/file_event_win_creation_system_dll_files",
];

interface Sample {
  evtx: string;
  json: string;
  ruleIds: string[];
}

function sampleOf(folder: string): Sample {
  const dir = sharedPath(REGRESSION, folder);
  const names = readdirSync(dir);
  const info = parse(readFileSync(join(dir, "info.yml"), "utf8")) as { rule_metadata: { id: string }[] };
  return {
    evtx: join(dir, names.find((n) => n.endsWith(".evtx"))!),
    json: join(dir, names.find((n) => n.endsWith(".json"))!),
    ruleIds: info.rule_metadata.map((r) => r.id),
  };
}

interface AlertLine {
  time: string;
  rule: { id: string; title: string; level: string; author: string; tags: string[] };
  attack: { tactics: string[]; tactic_ids: string[]; techniques: string[] };
  source: { file: string; record: number };
  event: Record<string, unknown>;
}

function alertsOf(stdout: string): AlertLine[] {
  return stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AlertLine);
}

function statsOf(stderr: string): Record<string, unknown> {
  return JSON.parse(lastLine(stderr)) as Record<string, unknown>;
}

/** What an alert says independent of how its file was packed: inner file name, record, rule, event. */
function fingerprint(alert: AlertLine): string {
  const inner = alert.source.file.split("!").pop()!;
  return JSON.stringify([basename(inner).replace(/\.gz$/, ""), alert.source.record, alert.rule.id, alert.event]);
}

const samples = CASES.map(sampleOf);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-detect-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nightshift detect", () => {
  let fromJson: AlertLine[];

  it("finds each regression sample's rule in the EVTX files, with the exact alert shape and a stats line", async () => {
    const result = await runCli(["detect", "--rules", RULES, "--stats", ...samples.map((s) => s.evtx)], {});
    expect(result.code, result.stderr).toBe(0);
    const alerts = alertsOf(result.stdout);
    for (const sample of samples) {
      const found = alerts.filter((a) => a.source.file === sample.evtx).map((a) => a.rule.id);
      for (const id of sample.ruleIds) expect(found, `${sample.evtx} should raise ${id}`).toContain(id);
    }
    for (const alert of alerts) {
      expect(Object.keys(alert).sort()).toEqual(["attack", "event", "rule", "source", "time"]);
      expect(Object.keys(alert.rule).sort()).toEqual(["author", "id", "level", "tags", "title"]);
      // The contract's `tactics` keep the rules' tag names; their ATT&CK ids come beside them.
      expect(Object.keys(alert.attack).sort()).toEqual(["tactic_ids", "tactics", "techniques"]);
      expect(alert.attack.tactic_ids).toEqual(tacticIds(alert.attack.tactics));
      for (const tactic of alert.attack.tactics) expect(tactic).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(Object.keys(alert.source).sort()).toEqual(["file", "record"]);
      expect(alert.source.record).toBeGreaterThanOrEqual(1);
      expect(Number.isNaN(Date.parse(alert.time))).toBe(false);
    }
    const stats = statsOf(result.stderr);
    expect(Object.keys(stats).sort()).toEqual(["alerts", "errors", "events", "rules_loaded", "rules_skipped", "seconds", "untimed"]);
    expect(stats).toMatchObject({ errors: 0, untimed: 0 });
    expect(stats.alerts).toBe(alerts.length);
    expect(stats.events).toBeGreaterThanOrEqual(samples.length);
    expect(stats.rules_loaded).toBeGreaterThan(100);
    expect(typeof stats.rules_skipped).toBe("number");
    expect(typeof stats.seconds).toBe("number");
  });

  it("finds the same rules in the JSON twins", async () => {
    const result = await runCli(["detect", "--rules", RULES, ...samples.map((s) => s.json)], {});
    expect(result.code, result.stderr).toBe(0);
    fromJson = alertsOf(result.stdout);
    for (const sample of samples) {
      const found = fromJson.filter((a) => a.source.file === sample.json).map((a) => a.rule.id);
      for (const id of sample.ruleIds) expect(found, `${sample.json} should raise ${id}`).toContain(id);
    }
    // No --stats: stderr stays free of the stats line.
    expect(result.stderr).not.toMatch(/"rules_loaded"/);
  });

  it("gives the same alerts for the JSON twins gzipped and zipped", async () => {
    const gzipped = samples.map((s) => {
      const path = join(dir, `${basename(s.json)}.gz`);
      writeFileSync(path, gzipSync(readFileSync(s.json)));
      return path;
    });
    const zip = join(dir, "twins.zip");
    writeFileSync(zip, buildZip(samples.map((s) => ({ name: `events/${basename(s.json)}`, data: readFileSync(s.json) }))));
    const expected = fromJson.map(fingerprint).sort();
    expect(expected.length).toBeGreaterThanOrEqual(samples.length);

    const gz = await runCli(["detect", "--rules", RULES, ...gzipped], {});
    expect(gz.code, gz.stderr).toBe(0);
    expect(alertsOf(gz.stdout).map(fingerprint).sort()).toEqual(expected);

    const zipped = await runCli(["detect", "--rules", RULES, zip], {});
    expect(zipped.code, zipped.stderr).toBe(0);
    const zipAlerts = alertsOf(zipped.stdout);
    expect(zipAlerts.map(fingerprint).sort()).toEqual(expected);
    expect(zipAlerts.every((a) => a.source.file.startsWith(`${zip}!events/`))).toBe(true);
  });

  it("draws no progress bar into a pipe", async () => {
    const result = await runCli(["detect", "--rules", RULES, samples[0]!.evtx], {});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("refuses to run without any rules (built-in pack left out, none configured), saying to pass --rules DIR", async () => {
    const result = await runCli(["detect", "--no-builtin", samples[0]!.evtx], { NIGHTSHIFT_HOME: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/--rules DIR/);
  });

  it("refuses a missing input path", async () => {
    const missing = join(dir, "nope.evtx");
    const result = await runCli(["detect", "--rules", RULES, missing], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(missing);
  });

  it("exits 1 on input it cannot read (a tar archive, a file that is not EVTX), after detecting on the rest", async () => {
    const tar = join(dir, "logs.tar.gz");
    writeFileSync(tar, gzipSync(Buffer.from("logs.json\0 not really a tar archive")));
    const fake = join(dir, "fake.evtx");
    writeFileSync(fake, "hello, I am not an event log\n");
    for (const [bad, why] of [[tar, /a tar archive/], [fake, /not an EVTX file/]] as const) {
      const result = await runCli(["detect", "--stats", bad], {});
      expect(result.code, bad).toBe(1);
      expect(result.stderr).toMatch(why);
      expect(result.stderr).toContain(`1 input file could not be read: ${bad}`);
      expect(statsOf(result.stderr)).toMatchObject({ events: 0, errors: 1 });
    }
    const mixed = await runCli(["detect", "--stats", samples[0]!.evtx, fake], {});
    expect(mixed.code).toBe(1);
    expect(statsOf(mixed.stderr)).toMatchObject({ errors: 1 });
    expect(statsOf(mixed.stderr)["events"]).toBeGreaterThan(0);
  });

  it("counts events without a time it can read, and keeps them out of correlations", async () => {
    const file = join(dir, "untimed.jsonl");
    const event = { EventID: 4688, Channel: "Security", NewProcessName: "C:\\Windows\\System32\\whoami.exe", when: "yesterday" };
    writeFileSync(file, `${JSON.stringify(event)}\n${JSON.stringify({ ...event, "@timestamp": "2024-01-02T03:04:05Z" })}\n`);
    const result = await runCli(["detect", "--stats", file], {});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/1 event carries no time in a field Nightshift reads/);
    expect(statsOf(result.stderr)).toMatchObject({ events: 2, errors: 0, untimed: 1 });
  });
});
