import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJsonDocuments, sharedPath } from "../../test/support/shared.js";
import { GenericAlertInput } from "../ingest/formats/generic.js";
import { detectionToAlertInput } from "./alert-input.js";
import { createDetector, normaliseEvent, type DetectionAlert, type Detector } from "./engine.js";

const RULES = sharedPath("data/sigma/rules/rules/windows");
const TWINS = sharedPath("data/sigma/regression_data/regression_data/rules/windows");
const CERTUTIL = join(TWINS, "process_creation/proc_creation_win_certutil_decode/cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7.json");
const EXPLICIT_LOGON = join(TWINS, "builtin/security/win_security_explicit_credential_local_logon/e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62.json");

let ruleDir: string;
let detector: Detector;

beforeAll(async () => {
  ruleDir = await mkdtemp(join(tmpdir(), "nightshift-alert-input-"));
  await copyFile(join(RULES, "process_creation/proc_creation_win_certutil_decode.yml"), join(ruleDir, "certutil.yml"));
  await copyFile(join(RULES, "builtin/security/win_security_explicit_credential_local_logon.yml"), join(ruleDir, "explicit.yml"));
  detector = await createDetector({ ruleDirs: [ruleDir] });
});
afterAll(async () => {
  await rm(ruleDir, { recursive: true, force: true });
});

async function detect(file: string, id?: string): Promise<DetectionAlert[]> {
  const [document] = await readJsonDocuments(file);
  return detector.process(normaliseEvent(document!), { file, record: 1, ...(id === undefined ? {} : { id }) }, new Date("2026-11-24T10:00:00Z"));
}

describe("detectionToAlertInput", () => {
  it("turns a Sysmon process creation into a generic alert the ingest schema accepts", async () => {
    const [alert] = await detect(CERTUTIL, "evt-1");
    expect(alert).toBeDefined();
    const input = detectionToAlertInput(alert!);
    expect(input).toMatchObject({
      title: "File Decoded From Base64/Hex Via Certutil.EXE",
      severity: "high",
      source: "sigma",
      source_id: "cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7:evt-1",
      time: "2025-10-25T16:56:16.019Z",
      subtype: "process_creation",
      host: "ar-win-dc.attackrange.local",
      user: { name: "Administrator", domain: "ATTACKRANGE" },
      rule: {
        id: "cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7",
        level: "high",
        author: "Florian Roth (Nextron Systems), Jonhnathan Ribeiro, oscd.community",
        source: "sigma",
      },
      attack: { techniques: ["T1027"] },
      process: {
        name: "C:\\Windows\\System32\\certutil.exe",
        command_line: "certutil  -decode file.base64 file-decoded.ext",
        pid: 5112,
        parent_name: "C:\\Windows\\System32\\cmd.exe",
        sha256: "d5b7e8e44f37b1fbd79a79e3321244eef946f419151374bd1be4d6833754fed8",
      },
    });
    expect(input.description).toMatch(/certutil/);
    expect((input.raw as { event: unknown; source: unknown }).event).toBe(alert!.event);
    expect((input.raw as { source: unknown }).source).toEqual({ file: CERTUTIL, record: 1, id: "evt-1" });
    const parsed = GenericAlertInput.safeParse(input);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it("names the logon's subject and its hex process id from a Security event, skipping '-' addresses", async () => {
    const [alert] = await detect(EXPLICIT_LOGON);
    const input = detectionToAlertInput(alert!);
    expect(input.source_id).toBe(`e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62:${EXPLICIT_LOGON}:1`);
    expect(input.host).toBe("swachchhanda");
    expect(input.user).toEqual({ name: "testuser", domain: "swachchhanda" });
    expect(input.process).toEqual({ name: "C:\\Users\\xodih\\OneDrive\\Desktop\\LegacyHive.exe", pid: 0x378 });
    expect(input.src).toBeUndefined();
    expect((input.rule as { author: string }).author).toBe("Swachchhanda Shrawan Poudel (Nextron Systems)");
    expect(GenericAlertInput.safeParse(input).success).toBe(true);
  });

  it("keys a correlation alert on its rule, group and first event, and keeps invalid values out", () => {
    const base: DetectionAlert = {
      time: "2026-01-01T00:00:00.000Z",
      rule: { id: "corr-1", title: "Many failed logons", level: "weird", author: "", tags: [] },
      attack: { tactics: ["credential-access"], techniques: ["T1110", "not-a-technique"] },
      source: { file: "f.evtx", record: 9, id: "e9" },
      event: { Computer: "dc1", SourceIp: "not-an-ip", DestinationPort: "99999", Hashes: "MD5=abc" },
      correlation: { type: "event_count", group: { TargetUserName: "bob", Computer: "dc1" }, value: 5, timespan: "5m", rules: ["r1"] },
      events: [
        { time: "2026-01-01T00:00:00.000Z", rule: { id: "r1", title: "t" }, source: { file: "f.evtx", record: 3, id: "e3" } },
        { time: "2026-01-01T00:01:00.000Z", rule: { id: "r1", title: "t" }, source: { file: "f.evtx", record: 9, id: "e9" } },
      ],
    };
    const input = detectionToAlertInput(base);
    expect(input.source_id).toBe('corr-1:[["Computer","dc1"],["TargetUserName","bob"]]:e3');
    expect(input.severity).toBe("medium");
    expect(input.rule).toEqual({ id: "corr-1", title: "Many failed logons", level: "weird", source: "sigma" });
    expect(input.attack).toEqual({ tactics: ["credential-access"], techniques: ["T1110"] });
    expect(input.src).toBeUndefined();
    expect(input.dst).toBeUndefined();
    expect(input.process).toBeUndefined();
    expect(input.subtype).toBeUndefined();
    expect(input.description).toMatch(/reached 5 within 5m for Computer=dc1, TargetUserName=bob/);
    expect((input.raw as { correlation: unknown; events: unknown[] }).events).toHaveLength(2);
    expect(GenericAlertInput.safeParse(input).success).toBe(true);
    // The group's key order must not change the key: the same correlation re-run never duplicates.
    const reordered = detectionToAlertInput({ ...base, correlation: { ...base.correlation!, group: { Computer: "dc1", TargetUserName: "bob" } } });
    expect(reordered.source_id).toBe(input.source_id);
  });
});
