import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { runCli } from "../../../test/support/cli.js";
import { sharedPath } from "../../../test/support/shared.js";
import { BUILTIN_RULES_DIR } from "../../detect/rules/index.js";
import { reasonClass } from "./rules.js";

interface CheckJson {
  loaded: number;
  skipped: { file: string; reason: string }[];
  reasons: Record<string, number>;
  unreachable: { file: string; reason: string; logsource: string }[];
  unmapped: Record<string, number>;
}

function ymlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) => /\.ya?ml$/.test(name));
}

/** Rules, correlations and filters: `loaded` counts documents, and a correlation file holds several. */
function documentCount(dir: string): number {
  return ymlFiles(dir).reduce((sum, file) => sum + parseAllDocuments(readFileSync(join(dir, file), "utf8")).length, 0);
}

const SIGMA = ["rules/rules", "rules-emerging-threats/rules-emerging-threats", "rules-threat-hunting/rules-threat-hunting"];
const PLACEHOLDER_RULES = sharedPath("data/sigma/rules-placeholder/rules-placeholder");

/** A rule of our own whose value list comes from the `watched_users` placeholder. */
const EXPAND_RULE = `title: Watched User Runs Whoami
id: 0b5f3a4e-2f55-4c1e-9a57-7f0d1d9b6a11
status: test
author: Nightshift tests
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\whoami.exe'
    User|expand: '%watched_users%'
  condition: selection
level: low
`;

function processEvent(user: string, commandLine: string, image = "C:\\Windows\\System32\\whoami.exe") {
  return { Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, Image: image, CommandLine: commandLine, User: user };
}

let home: string;
let env: Record<string, string | undefined>;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "nightshift-rules-"));
  env = { NIGHTSHIFT_HOME: home, NIGHTSHIFT_CONFIG: undefined, NIGHTSHIFT_RULES: undefined };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function writeConfig(config: unknown) {
  writeFileSync(join(home, "nightshift.yaml"), stringify(config));
}

function writeEvents(name: string, events: unknown[]): string {
  const path = join(home, name);
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join("\n"));
  return path;
}

function customRuleDir(): string {
  const dir = join(home, "my-rules");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "watched_user_whoami.yml"), EXPAND_RULE);
  return dir;
}

function ruleTitles(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { rule: { title: string } }).rule.title)
    .sort();
}

describe("nightshift rules check", () => {
  it("loads the whole built-in pack by default and exits 0", async () => {
    const result = await runCli(["rules", "check"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`${documentCount(BUILTIN_RULES_DIR)} rules loaded, 0 skipped`);

    const json = await runCli(["rules", "check", "--json"], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ loaded: documentCount(BUILTIN_RULES_DIR), skipped: [], reasons: {}, unreachable: [], unmapped: {} });
  });

  it("reports each SigmaHQ rule it cannot run, with a reason class summary, and exits 1", async () => {
    const dirs = SIGMA.map((dir) => sharedPath("data/sigma", dir));
    const result = await runCli(["rules", "check", "--json", ...dirs], env);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as CheckJson;
    const total = dirs.reduce((sum, dir) => sum + ymlFiles(dir).length, 0); // SigmaHQ: one rule a file
    expect(report.loaded + report.skipped.length).toBe(total);
    expect(report.loaded).toBeGreaterThan(0.98 * total);
    expect(report.skipped.length).toBeGreaterThan(0);
    for (const { file, reason } of report.skipped) {
      expect(dirs.some((dir) => file.startsWith(dir))).toBe(true);
      expect(reason.length).toBeGreaterThan(0);
    }
    expect(Object.values(report.reasons).reduce((a, b) => a + b, 0)).toBe(report.skipped.length);
    const counted: Record<string, number> = {};
    for (const { reason } of report.skipped) counted[reasonClass(reason)] = (counted[reasonClass(reason)] ?? 0) + 1;
    expect(report.reasons).toEqual(counted);
    // Every construct is supported: what is missing is placeholder values and the mappings of a few cloud
    // services Nightshift does not read (Identity Protection, PIM, Google Workspace).
    const classes = Object.keys(report.reasons).sort();
    expect(classes).toContain("needs placeholder values");
    for (const kind of classes) expect(kind).toMatch(/^(needs placeholder values|no logsource mapping: (azure|gcp) service \S+)$/);
    // Rules that load but that no mapping routes events to are reported as unreachable, by logsource.
    expect(report.unreachable.length).toBeGreaterThan(0);
    expect(Object.values(report.unmapped).reduce((a, b) => a + b, 0)).toBe(report.unreachable.length);
    expect(Object.keys(report.unmapped)).toEqual(expect.arrayContaining(["zeek/dns/-", "cisco/aaa/-"]));
    // The cloud audit logs users send are mapped: none of their rules is unreachable.
    expect(Object.keys(report.unmapped).filter((key) => /^(aws|azure|gcp|okta|m365)\//.test(key))).toEqual([]);

    const names = new Set<string>();
    for (const { reason } of report.skipped) for (const [, name] of reason.matchAll(/%([^%]+)%/g)) names.add(name!);
    const placeholders = join(home, "placeholders.yml");
    writeFileSync(placeholders, stringify(Object.fromEntries([...names].map((name) => [name, ["value-of-" + name]]))));
    const all = await runCli(["rules", "check", "--json", "--placeholders", placeholders, ...dirs], env);
    expect(all.code, all.stderr).toBe(1);
    const withValues = JSON.parse(all.stdout) as CheckJson;
    expect(withValues.reasons["needs placeholder values"]).toBeUndefined();
    expect(withValues.loaded + withValues.skipped.length).toBe(total);
  }, 240_000);

  it("loads every placeholder rule once each placeholder has values, from a file or from the configuration", async () => {
    const files = ymlFiles(PLACEHOLDER_RULES);
    const without = JSON.parse((await runCli(["rules", "check", "--json", PLACEHOLDER_RULES], env)).stdout) as CheckJson;
    expect(without.loaded).toBe(0);
    expect(without.reasons).toEqual({ "needs placeholder values": files.length });
    // The text form: one `<file>: <reason>` line per skipped rule, then the summary.
    const text = await runCli(["rules", "check", PLACEHOLDER_RULES], env);
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines.slice(0, -2).sort()).toEqual(without.skipped.map(({ file, reason }) => `${file}: ${reason}`).sort());
    expect(lines.slice(-2)).toEqual([`0 rules loaded, ${files.length} skipped:`, `  ${files.length} needs placeholder values`]);

    const names = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(join(PLACEHOLDER_RULES, file), "utf8").matchAll(/%([A-Za-z0-9_-]+)%/g)) names.add(match[1]!);
    }
    const values = Object.fromEntries([...names].map((name) => [name, [`${name}-value-1`, `${name}-value-2`]]));
    const placeholders = join(home, "placeholders.yml");
    writeFileSync(placeholders, stringify(values));

    const withFile = await runCli(["rules", "check", "--json", "--placeholders", placeholders, PLACEHOLDER_RULES], env);
    expect(withFile.code, withFile.stdout).toBe(0);
    expect(JSON.parse(withFile.stdout)).toEqual({ loaded: files.length, skipped: [], reasons: {}, unreachable: [], unmapped: {} });

    writeConfig({ detect: { placeholders: values } });
    const fromConfig = await runCli(["rules", "check", "--json", PLACEHOLDER_RULES], env);
    expect(fromConfig.code, fromConfig.stdout).toBe(0);
    expect((JSON.parse(fromConfig.stdout) as CheckJson).loaded).toBe(files.length);
  });

  it("refuses a missing folder or placeholders file with exit code 2", async () => {
    const missing = join(home, "no-such-rules");
    const result = await runCli(["rules", "check", missing], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${missing} is not a directory`);

    const noFile = await runCli(["rules", "check", "--placeholders", join(home, "nope.yml"), BUILTIN_RULES_DIR], env);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("nope.yml");

    writeConfig({ detect: { rules: [missing] } });
    const badConfig = await runCli(["rules", "check"], env);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("detect.rules");
  });
});

describe("nightshift detect: rule sources and placeholders", () => {
  const mimikatz = processEvent("NWL\\m.ortiz", 'm.exe "privilege::debug" "sekurlsa::logonpasswords" exit', "C:\\Users\\Public\\m.exe");

  it("runs the built-in pack without --rules, and adds --rules folders to it", async () => {
    const events = writeEvents("events.jsonl", [mimikatz, processEvent("NWL\\s.chen", "whoami /all")]);
    const builtin = await runCli(["detect", events], env);
    expect(builtin.code, builtin.stderr).toBe(0);
    expect(ruleTitles(builtin.stdout)).toEqual(["Mimikatz Module Commands on a Command Line"]);

    writeConfig({ detect: { placeholders: { watched_users: "NWL\\s.chen" } } });
    const both = await runCli(["detect", "--rules", customRuleDir(), events], env);
    expect(both.code, both.stderr).toBe(0);
    expect(ruleTitles(both.stdout)).toEqual(["Mimikatz Module Commands on a Command Line", "Watched User Runs Whoami"]);
  });

  it("drops the pack with --no-builtin or detect.builtin_rules: false, and needs some rules then", async () => {
    const events = writeEvents("events.jsonl", [mimikatz, processEvent("NWL\\s.chen", "whoami")]);
    const dir = customRuleDir();
    writeConfig({ detect: { placeholders: { watched_users: ["NWL\\s.chen"] } } });
    const noPack = await runCli(["detect", "--no-builtin", "--rules", dir, events], env);
    expect(noPack.code, noPack.stderr).toBe(0);
    expect(ruleTitles(noPack.stdout)).toEqual(["Watched User Runs Whoami"]);

    const nothing = await runCli(["detect", "--no-builtin", events], env);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/--rules DIR/);

    writeConfig({ detect: { builtin_rules: false, rules: [dir], placeholders: { watched_users: ["NWL\\s.chen"] } } });
    const configured = await runCli(["detect", events], env);
    expect(configured.code, configured.stderr).toBe(0);
    expect(ruleTitles(configured.stdout)).toEqual(["Watched User Runs Whoami"]);
  });

  it("takes placeholder values from the configuration, and a --placeholders file wins per name", async () => {
    const events = writeEvents("events.jsonl", [processEvent("NWL\\alice", "whoami"), processEvent("NWL\\mallory", "whoami")]);
    writeConfig({ detect: { builtin_rules: false, rules: [customRuleDir()], placeholders: { watched_users: "NWL\\alice" } } });
    const users = (stdout: string) =>
      stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { event: { User: string } }).event.User);

    const fromConfig = await runCli(["detect", events], env);
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(users(fromConfig.stdout)).toEqual(["NWL\\alice"]);

    const file = join(home, "placeholders.yml");
    writeFileSync(file, stringify({ watched_users: ["NWL\\mallory"] }));
    const fromFile = await runCli(["detect", "--placeholders", file, events], env);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(users(fromFile.stdout)).toEqual(["NWL\\mallory"]);
  });
});
