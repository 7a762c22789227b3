import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.js";
import { BUILTIN_RULES_DIR } from "../../detect/rules/index.js";
import { evaluateDetection } from "./evaluate.js";
import { labelOf, otrfLabels, readLabelsFile, techniquesInPath } from "./labels.js";

const RULE = `title: Test Evil Tool Run
id: 0f2e9a4c-1b7d-4c3e-9a51-2d8f6b7c9e01
author: Nightshift tests
tags: [attack.execution, attack.t1086]
logsource: {product: windows, category: process_creation}
detection:
  selection: {CommandLine|contains: evil}
  condition: selection
level: high
`;
const sysmon = (commandLine: string) =>
  JSON.stringify({ Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, Image: "C:\\x.exe", CommandLine: commandLine, UtcTime: "2024-01-01 00:00:00.000" });

const metadata = (technique: string, sub: string, file: string) => `title: t
attack_mappings:
  - technique: ${technique}
    sub-technique: ${sub}
    tactics: [TA0002]
files:
  - type: Host
    link: https://raw.githubusercontent.com/OTRF/Security-Datasets/master/datasets/atomic/windows/execution/host/${file}
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ns-evaldetect-"));
  await mkdir(join(dir, "rules"));
  await writeFile(join(dir, "rules", "evil.yml"), RULE);
  const host = join(dir, "otrf", "windows", "execution", "host");
  await mkdir(host, { recursive: true });
  await mkdir(join(dir, "otrf", "metadata"));
  // Labelled with the current id of the technique the rule tags with its old id: named.
  await writeFile(join(host, "named.jsonl"), `${sysmon("cmd /c ok")}\n${sysmon("evil.exe run")}\n`);
  await writeFile(join(dir, "otrf", "metadata", "a.yaml"), metadata("T1059", '"001"', "named.jsonl"));
  // Labelled with another technique: the alert is background noise.
  await writeFile(join(host, "other.jsonl"), `${sysmon("evil.exe again")}\n${sysmon("evil.exe more")}\n`);
  await writeFile(join(dir, "otrf", "metadata", "b.yaml"), metadata("T1003", '"001"', "other.jsonl"));
  // Labelled, nothing fires.
  await writeFile(join(host, "missed.jsonl"), `${sysmon("notepad.exe")}\n`);
  await writeFile(join(dir, "otrf", "metadata", "c.yaml"), metadata("T1547", "", "missed.jsonl"));
  // A placeholder technique id is no label.
  await writeFile(join(dir, "otrf", "metadata", "d.yaml"), metadata("T0000", "", "unknown.jsonl"));
  await mkdir(join(dir, "evtx", "Sub"), { recursive: true });
  await writeFile(join(dir, "evtx", "Sub", "T1059.001_run.jsonl"), `${sysmon("evil.exe")}\n`);
  await writeFile(join(dir, "evtx", "benign.jsonl"), `${sysmon("evil.exe by an admin")}\n`);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe("detection labels", () => {
  it("reads OTRF metadata by file link, padding sub-techniques and ignoring placeholder ids", async () => {
    const labels = await otrfLabels(join(dir, "otrf"));
    expect(labels.get("windows/execution/host/named.jsonl")?.techniques).toEqual(["T1059.001"]);
    expect(labels.get("windows/execution/host/missed.jsonl")?.techniques).toEqual(["T1547"]);
    expect(labels.has("windows/execution/host/unknown.jsonl")).toBe(false);
  });

  it("refuses a metadata file of the wrong shape, naming it", async () => {
    await writeFile(join(dir, "otrf", "metadata", "z.yaml"), "attack_mappings: nope\n");
    await expect(otrfLabels(join(dir, "otrf"))).rejects.toThrow(/z\.yaml/);
  });

  it("finds technique ids in paths, not inside longer numbers or words", () => {
    expect(techniquesInPath("Cred/T1558.003_Kerberoasting_Security.evtx")).toEqual(["T1558.003"]);
    expect(techniquesInPath("x/T1210_Zerologon.evtx")).toEqual(["T1210"]);
    expect(techniquesInPath("AT12345.evtx")).toEqual([]);
  });

  it("takes a labels file by path suffix before anything else, and refuses ids that are not techniques", async () => {
    const file = join(dir, "labels.yaml");
    await writeFile(file, "benign.jsonl: []\nSub/T1059.001_run.jsonl: [T1027]\n");
    const labels = await readLabelsFile(file);
    expect(labelOf("Sub/T1059.001_run.jsonl", labels, new Map()).techniques).toEqual(["T1027"]);
    expect(labelOf("x/benign.jsonl", labels, new Map()).techniques).toEqual([]);
    expect(labelOf("x/other.jsonl", labels, new Map()).techniques).toBeNull();
    await writeFile(file, "a.evtx: [TA0002]\n");
    await expect(readLabelsFile(file)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("evaluateDetection", () => {
  it("scores each dataset on its own against its label", async () => {
    const labels = await (async () => {
      const file = join(dir, "labels.yaml");
      await writeFile(file, "benign.jsonl: []\n");
      return readLabelsFile(file);
    })();
    const result = await evaluateDetection({
      corpora: [
        { name: "otrf", root: join(dir, "otrf"), otrfMetadata: true },
        { name: "evtx", root: join(dir, "evtx") },
      ],
      sources: { ruleDirs: [join(dir, "rules")], placeholders: {}, logsourceFiles: [] },
      labels,
      noiseCap: 2,
    });
    const byName = Object.fromEntries(result.per_dataset.map((d) => [d.dataset, d]));
    expect(byName["otrf/windows/execution/host/named.jsonl"]).toMatchObject({ alerts: 1, alerted: true, named_technique: true, other_alerts: 0, naming_rules: ["Test Evil Tool Run"] });
    expect(byName["otrf/windows/execution/host/other.jsonl"]).toMatchObject({ alerts: 2, alerted: true, named_technique: false, other_alerts: 2 });
    expect(byName["otrf/windows/execution/host/missed.jsonl"]).toMatchObject({ alerts: 0, alerted: false, named_technique: false });
    expect(byName["evtx/Sub/T1059.001_run.jsonl"]).toMatchObject({ techniques: ["T1059.001"], named_technique: true });
    expect(byName["evtx/benign.jsonl"]).toMatchObject({ techniques: [], other_alerts: 1 });
    expect(result).toMatchObject({ datasets: 4, labelled: 4, benign_datasets: 1, alerted: 3, named_technique: 2, alerted_share: 0.75, named_share: 0.5 });
    // Two noise alerts on the T1003 dataset and one on the benign recording: above a cap of 2.
    expect(result.noise_per_rule).toEqual({ "Test Evil Tool Run": 3 });
    expect(result.noisy_rules).toEqual(["Test Evil Tool Run"]);
  });

  it("with triage, works an alerted dataset through the pipeline and the crew and reports the escalation", async () => {
    const root = join(dir, "zerologon");
    await mkdir(root);
    const event = {
      Channel: "Security",
      Provider_Name: "Microsoft-Windows-Security-Auditing",
      EventID: 4742,
      Computer: "dc1.test.local",
      TimeCreated_SystemTime: "2022-02-23T09:45:04.813556Z",
      SubjectUserSid: "S-1-5-7",
      SubjectUserName: "ANONYMOUS LOGON",
      TargetUserName: "DC1$",
      PasswordLastSet: "2022/02/23 18:45:04",
    };
    await writeFile(join(root, "T1210_zerologon.jsonl"), `${JSON.stringify(event)}\n`);
    await writeFile(join(root, "T1003_quiet.jsonl"), `${sysmon("notepad.exe")}\n`);
    const result = await evaluateDetection({
      corpora: [{ name: "evtx", root }],
      sources: { ruleDirs: [BUILTIN_RULES_DIR], placeholders: {}, logsourceFiles: [] },
      triage: true,
    });
    const byName = Object.fromEntries(result.per_dataset.map((d) => [d.dataset, d]));
    expect(byName["evtx/T1210_zerologon.jsonl"]?.triage).toEqual({ cases: 1, escalated_cases: 1, escalated: true, escalated_named: true });
    // Nothing alerted: nothing to triage.
    expect(byName["evtx/T1003_quiet.jsonl"]?.triage).toBeUndefined();
    expect(result).toMatchObject({ escalated: 1, escalated_named: 1, escalated_share: 0.5, escalated_named_share: 0.5 });
  }, 60_000);
});
