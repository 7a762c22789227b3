import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedPath } from "../../test/support/shared.js";
import { createDetector, normaliseEvent, type Detector } from "./engine.js";

// SigmaHQ rules of logsources that arrive as syslog lines or Security object-access events.
const SIGMA = sharedPath("data/sigma/rules/rules");
const SSHD = join(SIGMA, "linux/builtin/sshd");
const CLAMAV = join(SIGMA, "linux/builtin/clamav");
const SYSLOG = join(SIGMA, "linux/builtin/syslog");

let dir: string;
let detector: Detector;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-syslog-"));
  writeFileSync(
    join(dir, "file-access.yml"),
    [
      "title: Browser credential store read by another program",
      "id: 0d5d4e53-2f7a-4d53-9d63-2f3b8b4d7a11",
      "logsource: { product: windows, category: file_access }",
      "detection:",
      "  selection: { FileName|endswith: '\\Login Data' }",
      "  filter: { Image|endswith: '\\chrome.exe' }",
      "  condition: selection and not filter",
    ].join("\n"),
  );
  detector = await createDetector({ ruleDirs: [SSHD, CLAMAV, SYSLOG, dir] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const titles = (event: Record<string, unknown>) => detector.match(normaliseEvent(event)).map((r) => r.rule.title);

describe("syslog events as JSON", () => {
  it("run sshd rules on sshd lines from journald, rsyslog and ECS, and not on other programs", () => {
    const message = "error: Received disconnect: unexpected internal error [preauth]";
    const journald = { SYSLOG_IDENTIFIER: "sshd", SYSLOG_FACILITY: "10", MESSAGE: message, _HOSTNAME: "bastion" };
    const rsyslog = { programname: "sshd", "syslogfacility-text": "authpriv", msg: message };
    const ecs = { log: { syslog: { appname: "sshd" } }, message };
    for (const event of [journald, rsyslog, ecs]) expect(titles(event)).toContain("Suspicious OpenSSH Daemon Error");
    expect(titles({ SYSLOG_IDENTIFIER: "nginx", MESSAGE: message })).not.toContain("Suspicious OpenSSH Daemon Error");
    expect(normaliseEvent(journald)).toMatchObject({ program: "sshd", facility: "authpriv" });
  });

  it("run clamav rules on clamd lines only", () => {
    const found = { programname: "clamd", msg: "/home/u/x.php: Webshell.PHP.Generic FOUND" };
    expect(titles(found).length).toBeGreaterThan(0);
    expect(titles({ programname: "clamd", msg: "/home/u/x.php: OK" })).toEqual([]);
    expect(titles({ programname: "sshd", msg: "/home/u/x.php: Webshell.PHP.Generic FOUND" })).toEqual([]);
  });
});

describe("file_access", () => {
  it("maps onto Security 4663 (ObjectName, ProcessName)", () => {
    const access = (process: string) => ({
      Channel: "Security",
      EventID: 4663,
      ObjectName: "C:\\Users\\bob\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Login Data",
      ProcessName: process,
    });
    expect(titles(access("C:\\Users\\bob\\AppData\\Local\\Temp\\stealer.exe"))).toEqual(["Browser credential store read by another program"]);
    expect(titles(access("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"))).toEqual([]);
    expect(titles({ ...access("C:\\x\\stealer.exe"), EventID: 4656 })).toEqual([]);
  });
});

describe("file_rename", () => {
  it("runs on EDR rename rows (Defender for Endpoint DeviceFileEvents)", async () => {
    const rename = await createDetector({ ruleDirs: [join(SIGMA, "windows/file/file_rename")] });
    const row = (previous: string, target: string) => ({
      Timestamp: "2026-11-24T10:00:00Z",
      DeviceName: "ws-17",
      ActionType: "FileRenamed",
      PreviousFolderPath: previous,
      FolderPath: target,
      InitiatingProcessFolderPath: "C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe",
    });
    const hits = (event: Record<string, unknown>) => rename.match(normaliseEvent(event)).map((r) => r.rule.title);
    expect(hits(row("C:\\Users\\bob\\Documents\\plan.docx", "C:\\Users\\bob\\Documents\\plan.docx.locked")).length).toBe(1);
    expect(hits(row("C:\\Users\\bob\\Documents\\plan.docx", "C:\\Users\\bob\\Documents\\plan.docx.bak"))).toEqual([]);
    expect(hits({ ...row("C:\\Users\\bob\\Documents\\plan.docx", "C:\\Users\\bob\\Documents\\plan.docx.locked"), ActionType: "FileCreated" })).toEqual([]);
    expect(rename.rulesSkipped).toEqual([]);
  });
});
