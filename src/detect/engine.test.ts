import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { sharedPath } from "../../test/support/shared.js";
import { createDetector, eventTime, normaliseEvent, toAlert, type Detector } from "./engine.js";
import { readEvtx } from "./evtx/index.js";

const SIGMA = sharedPath("data/sigma");
const RULE_DIRS = ["rules", "rules-emerging-threats", "rules-threat-hunting"].map((dir) => join(SIGMA, dir));

interface RegressionInfo {
  rule_metadata?: { id: string; title?: string }[];
  regression_tests_info?: { type?: string; path?: string; match_count?: number }[];
}

describe("normaliseEvent", () => {
  it("flattens Winlogbeat/ECS with nested objects", () => {
    const ecs = {
      "@timestamp": "2024-03-01T10:00:00.000Z",
      event: { code: "4688" },
      host: { name: "WS01" },
      winlog: {
        channel: "Security",
        provider_name: "Microsoft-Windows-Security-Auditing",
        record_id: 42,
        event_data: { NewProcessName: "C:\\Windows\\System32\\cmd.exe", CommandLine: "cmd /c whoami" },
      },
    };
    const copy = structuredClone(ecs);
    const flat = normaliseEvent(ecs);
    expect(flat).toMatchObject({
      EventID: 4688,
      Channel: "Security",
      Provider_Name: "Microsoft-Windows-Security-Auditing",
      Computer: "WS01",
      EventRecordID: 42,
      NewProcessName: "C:\\Windows\\System32\\cmd.exe",
      CommandLine: "cmd /c whoami",
    });
    expect(ecs).toEqual(copy);
  });

  it("flattens Winlogbeat with dotted keys and prefers winlog.event_id", () => {
    const flat = normaliseEvent({
      "winlog.event_id": 1,
      "winlog.channel": "Microsoft-Windows-Sysmon/Operational",
      "winlog.event_data": { Image: "C:\\x.exe" },
      "event.code": "99",
    });
    expect(flat).toMatchObject({ EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational", Image: "C:\\x.exe" });
  });

  it("maps NXLog/HELK names and numeric-string EventIDs", () => {
    const flat = normaliseEvent({ EventID: "4104", Channel: "Microsoft-Windows-PowerShell/Operational", SourceName: "PowerShell", Hostname: "H1" });
    expect(flat).toMatchObject({ EventID: 4104, Provider_Name: "PowerShell", Computer: "H1" });
  });

  it("returns flat EVTX events unchanged", () => {
    const event = { EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational", Image: "a" };
    expect(normaliseEvent(event)).toBe(event);
  });

  it("flattens {Event: {System, EventData}} documents", () => {
    const flat = normaliseEvent({
      Event: {
        System: { EventID: 11, Channel: "Microsoft-Windows-Sysmon/Operational", Provider: { "#attributes": { Name: "Sysmon" } } },
        EventData: { TargetFilename: "C:\\t.txt" },
      },
    });
    expect(flat).toMatchObject({ EventID: 11, Provider_Name: "Sysmon", TargetFilename: "C:\\t.txt" });
  });
});

describe("eventTime", () => {
  it("reads EVTX, ECS, NXLog and epoch times", () => {
    expect(eventTime({ TimeCreated_SystemTime: "2024-01-02T03:04:05.123456Z" })).toBe("2024-01-02T03:04:05.123Z");
    expect(eventTime({ "@timestamp": "2024-01-02T03:04:05Z" })).toBe("2024-01-02T03:04:05.000Z");
    expect(eventTime({ EventTime: "2024-01-02 03:04:05" })).toBe("2024-01-02T03:04:05.000Z");
    expect(eventTime({ timestamp: 1704164645 })).toBe("2024-01-02T03:04:05.000Z");
    expect(eventTime({ time: "not a time" })).toBeNull();
    expect(eventTime({})).toBeNull();
  });
});

describe("detector", () => {
  let detector: Detector;
  const ruleById = (id: string) => (rule: { rule: { id?: string } }) => rule.rule.id === id;

  beforeAll(async () => {
    detector = await createDetector({ ruleDirs: RULE_DIRS });
  }, 60_000);

  it("loads the public rules and explains the ones it skips", () => {
    expect(detector.rulesLoaded).toBeGreaterThan(2500);
    for (const skipped of detector.rulesSkipped) expect(skipped.reason).not.toBe("");
  });

  it("maps Security 4688 fields so process_creation rules fire on it, and not on other channels", () => {
    const event = {
      EventID: 4688,
      Channel: "Security",
      NewProcessName: "C:\\Windows\\System32\\whoami.exe",
      ParentProcessName: "C:\\Windows\\System32\\cmd.exe",
      CommandLine: "whoami /priv",
    };
    const before = structuredClone(event);
    const hits = detector.match(event);
    // proc_creation_win_whoami_priv_discovery: Image endswith \\whoami.exe and CommandLine contains " /priv"
    expect(hits.some(ruleById("97a80ec7-0e2f-4d05-9ef4-65760e634f6b"))).toBe(true);
    expect(event).toEqual(before);
    expect(detector.match({ ...event, Channel: "Application" }).some(ruleById("97a80ec7-0e2f-4d05-9ef4-65760e634f6b"))).toBe(false);
    expect(detector.match({ ...event, EventID: 4689 }).some(ruleById("97a80ec7-0e2f-4d05-9ef4-65760e634f6b"))).toBe(false);
  });

  it("runs only rules of the event's product", () => {
    // proc_creation_lnx_susp_interactive_bash: ParentCommandLine 'bash -i' and Image endswith 'whoami'.
    const linuxRule = "ea3ecad2-db86-4a89-ad0b-132a10d2db55";
    const event = { EventID: 1, Channel: "Linux-Sysmon/Operational", ParentCommandLine: "bash -i", Image: "/usr/bin/whoami" };
    const linux = detector.match(event);
    expect(linux.some(ruleById(linuxRule))).toBe(true);
    expect(linux.every((rule) => rule.rule.logsource.product === "linux")).toBe(true);
    const windows = detector.match({ ...event, Channel: "Microsoft-Windows-Sysmon/Operational" });
    expect(windows.some(ruleById(linuxRule))).toBe(false);
    expect(windows.every((rule) => rule.rule.logsource.product === "windows")).toBe(true);
  });

  it("builds alerts from the rule and the event", () => {
    const event = { EventID: 4688, Channel: "Security", NewProcessName: "C:\\Windows\\System32\\whoami.exe", CommandLine: "whoami /priv", TimeCreated_SystemTime: "2024-05-06T07:08:09.000001Z" };
    const rule = detector.match(event).find(ruleById("97a80ec7-0e2f-4d05-9ef4-65760e634f6b"));
    expect(rule).toBeDefined();
    const alert = toAlert(rule!, event, { file: "a.evtx", record: 7 }, new Date("2030-01-01T00:00:00Z"));
    expect(alert.time).toBe("2024-05-06T07:08:09.000Z");
    expect(alert.rule.id).toBe("97a80ec7-0e2f-4d05-9ef4-65760e634f6b");
    expect(alert.attack.techniques).toContain("T1033");
    // The contract's tactic names stay the rule's tags; their ATT&CK ids come beside them.
    expect(alert.attack.tactics).toEqual(["privilege-escalation", "discovery"]);
    expect(alert.attack.tactic_ids).toEqual(["TA0004", "TA0007"]);
    expect(alert.source).toEqual({ file: "a.evtx", record: 7 });
    expect(toAlert(rule!, {}, { file: "a", record: 1 }, new Date("2030-01-01T00:00:00Z")).time).toBe("2030-01-01T00:00:00.000Z");
  });

  it("fires every regression rule on its EVTX file (SigmaHQ regression data)", async () => {
    const entries = await readdir(join(SIGMA, "regression_data"), { withFileTypes: true, recursive: true });
    const infos = entries.filter((e) => e.isFile() && e.name === "info.yml").map((e) => join(e.parentPath, e.name));
    let cases = 0;
    let events = 0;
    let matchMs = 0;
    const failed: string[] = [];
    for (const info of infos.sort()) {
      const meta = parse(await readFile(info, "utf8")) as RegressionInfo;
      const ruleId = meta.rule_metadata?.[0]?.id;
      for (const test of meta.regression_tests_info ?? []) {
        if (test.type !== "evtx" || !test.path || !ruleId) continue;
        cases++;
        let count = 0;
        for await (const record of readEvtx(join(SIGMA, "regression_data", test.path))) {
          events++;
          const start = performance.now();
          const hits = detector.match(record.event);
          matchMs += performance.now() - start;
          if (hits.some(ruleById(ruleId))) count++;
        }
        const expected = test.match_count ?? 1;
        if (count < expected) failed.push(`${test.path}: ${count} of ${expected} (${meta.rule_metadata?.[0]?.title ?? ""})`);
      }
    }
    console.log(
      `regression: ${cases - failed.length}/${cases} passed; ${events} events, ` +
        `${Math.round(events / (matchMs / 1000))} events/s in detector.match (${detector.rulesLoaded} rules)`,
      failed,
    );
    expect(cases).toBeGreaterThan(190);
    expect(failed).toEqual([]);
  }, 120_000);
});
