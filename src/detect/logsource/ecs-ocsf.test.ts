import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared.js";
import { createDetector, normaliseEvent, type Detector } from "../engine.js";

// ECS (Winlogbeat's Sysmon module, Elastic Agent) and OCSF events meet the SigmaHQ rules of their category
// through the logsource mappings (issue 13 item 2). The rules are SigmaHQ's own, read from ../shared.
const RULES = {
  certutilDecode: "windows/process_creation/proc_creation_win_certutil_decode.yml",
  devtunnels: "windows/dns_query/dns_query_win_devtunnels_communication.yml",
  wdigest: "windows/registry/registry_set/registry_set_wdigest_enable_uselogoncredential.yml",
  lsassDump: "windows/file/file_event/file_event_win_lsass_default_dump_file_names.yml",
  base64Decode: "linux/process_creation/proc_creation_lnx_base64_decode.yml",
};
const IDS = {
  certutilDecode: "cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7",
  devtunnels: "1cb0c6ce-3d00-44fc-ab9c-6d6d577bf20b",
  wdigest: "d6a9b252-c666-4de6-8806-5561bbbd3bdc",
  lsassDump: "a5a2d357-1ab8-4675-a967-ef9990a59391",
  base64Decode: "e2072cab-8c9a-459b-b63c-40ae79e27031",
};

let dir: string;
let detector: Detector;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ecs-ocsf-rules-"));
  for (const rule of Object.values(RULES)) copyFileSync(sharedPath("data/sigma/rules/rules", rule), join(dir, basename(rule)));
  detector = await createDetector({ ruleDirs: [dir] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const matches = (event: Record<string, unknown>) => detector.match(normaliseEvent(event)).map((rule) => rule.rule.id);

const ecsProcess = (executable: string, commandLine: string, extra: Record<string, unknown> = {}) => ({
  "@timestamp": "2026-12-01T10:00:00.000Z",
  event: { category: ["process"], type: ["start"], kind: "event" },
  host: { name: "ws-042.corp.example", os: { type: "windows" } },
  process: { executable, command_line: commandLine, pid: 4242, parent: { executable: "C:\\Windows\\System32\\cmd.exe" } },
  user: { name: "alice" },
  ...extra,
});

describe("ECS events", () => {
  it("Elastic Agent process start (no Windows channel) meets process_creation rules", () => {
    const event = ecsProcess("C:\\Windows\\System32\\certutil.exe", "certutil -decode payload.b64 payload.exe");
    expect(matches(event)).toEqual([IDS.certutilDecode]);
    expect(matches(ecsProcess("C:\\Windows\\System32\\certutil.exe", "certutil -dump"))).toEqual([]);
  });

  it("Winlogbeat's Sysmon module (channel and event.code kept, data moved to ECS) meets them, flat dotted keys too", () => {
    const nested = { ...ecsProcess("C:\\Windows\\System32\\certutil.exe", "certutil.exe -decode a b"), winlog: { channel: "Microsoft-Windows-Sysmon/Operational" }, event: { code: "1" } };
    expect(matches(nested)).toEqual([IDS.certutilDecode]);
    const flat = {
      "@timestamp": "2026-12-01T10:00:00.000Z",
      "winlog.channel": "Microsoft-Windows-Sysmon/Operational",
      "event.code": "1",
      "process.executable": "C:\\Windows\\System32\\certutil.exe",
      "process.command_line": "certutil /decode a b",
    };
    expect(matches(flat)).toEqual([IDS.certutilDecode]);
  });

  it("DNS lookups, registry changes and file creations meet dns_query, registry_set and file_event rules", () => {
    const process = { executable: "C:\\Users\\alice\\AppData\\Local\\Temp\\tool.exe", pid: 7 };
    expect(matches({ event: { category: ["network"], type: ["protocol"] }, dns: { question: { name: "abc.euw.devtunnels.ms" } }, process })).toEqual([IDS.devtunnels]);
    const registry = { path: "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest\\UseLogonCredential", data: { strings: ["DWORD (0x00000001)"] } };
    expect(matches({ event: { category: ["registry"], type: ["change"] }, registry, process })).toEqual([IDS.wdigest]);
    expect(matches({ event: { category: ["file"], type: ["creation"] }, file: { path: "C:\\Windows\\Temp\\lsass.dmp" }, process })).toEqual([IDS.lsassDump]);
    expect(matches({ event: { category: ["file"], type: ["deletion"] }, file: { path: "C:\\Windows\\Temp\\lsass.dmp" }, process })).toEqual([]);
  });

  it("a Linux process start meets Linux rules only when the host says Linux", () => {
    const linux = { event: { category: "process", type: "start" }, host: { os: { type: "linux" } }, process: { executable: "/usr/bin/base64", command_line: "base64 -d /tmp/x" } };
    expect(matches(linux)).toEqual([IDS.base64Decode]);
  });
});

describe("OCSF events", () => {
  it("Process Activity Launch (class 1007, activity 1) meets process_creation rules", () => {
    const launch = (path: string, cmd: string, os = "Windows") => ({
      class_uid: 1007,
      activity_id: 1,
      time: Date.parse("2026-12-01T10:00:00Z"),
      device: { hostname: "ws-042", os: { type: os } },
      process: { pid: 11, file: { path }, cmd_line: cmd, parent_process: { file: { path: "C:\\Windows\\explorer.exe" } } },
    });
    expect(matches(launch("C:\\Windows\\System32\\certutil.exe", "certutil -decode x y"))).toEqual([IDS.certutilDecode]);
    expect(matches({ ...launch("C:\\Windows\\System32\\certutil.exe", "certutil -decode x y"), activity_id: 2 })).toEqual([]);
    expect(matches(launch("/usr/bin/base64", "base64 -d f", "Linux"))).toEqual([IDS.base64Decode]);
  });

  it("DNS Activity (class 4003) meets dns_query rules", () => {
    expect(matches({ class_uid: 4003, query: { hostname: "x.devtunnels.ms" }, actor: { process: { file: { path: "C:\\a.exe" } } } })).toEqual([IDS.devtunnels]);
  });
});
