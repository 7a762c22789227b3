import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.js";
import { createDetector, type Detector } from "../engine.js";
import { filterFitsLogsource, loadSigmaText, parseFilterObject } from "./index.js";

const RAR = `title: Data Compressed - rar.exe
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: rar_compress
logsource: {category: process_creation, product: windows}
detection:
  selection: {Image|endswith: '\\rar.exe'}
  condition: selection
`;
const WHOAMI = `title: Whoami
id: 0f0f0f0f-0000-4000-8000-000000000001
logsource: {category: process_creation, product: windows}
detection:
  selection: {Image|endswith: '\\whoami.exe'}
  condition: selection
`;
const DNS = `title: DNS query
id: 0f0f0f0f-0000-4000-8000-000000000002
logsource: {category: dns_query, product: windows}
detection:
  selection: {QueryName|contains: 'example'}
  condition: selection
`;
// The specification's example filter (tests/schema/filter/filter_1.yml), with one reference to a missing rule.
const ADMIN_FILTER = `title: Filter Administrator account
description: The valid administrator account start with adm_
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095 # Data Compressed - rar.exe
        - df0841c0-9846-4e9f-ad8a-7df91571771b # Login on jump host
    selection:
        User|startswith: 'adm_'
    condition: selection
`;

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

async function detectorWith(files: Record<string, string>): Promise<Detector> {
  const dir = await mkdtemp(join(tmpdir(), "filters-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return createDetector({ ruleDirs: [dir] });
}

const sysmon = (image: string, user: string) => ({ EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational", Image: image, User: user });
const ids = (detector: Detector, event: Record<string, unknown>) => detector.match(event).map((rule) => rule.rule.id);

describe("filter documents", () => {
  it("suppress the named rule's match when their condition holds, and only then", async () => {
    const detector = await detectorWith({ "rar.yml": RAR, "whoami.yml": WHOAMI, "mf_admins.yml": ADMIN_FILTER });
    expect(ids(detector, sysmon("C:\\Tools\\rar.exe", "adm_jdoe"))).toEqual([]);
    expect(ids(detector, sysmon("C:\\Tools\\rar.exe", "jdoe"))).toEqual(["6f3e2987-db24-4c78-a860-b4f4095a7095"]);
    // A rule the filter does not name is untouched.
    expect(ids(detector, sysmon("C:\\Windows\\System32\\whoami.exe", "adm_jdoe"))).toEqual(["0f0f0f0f-0000-4000-8000-000000000001"]);
    expect(detector.process(sysmon("C:\\Tools\\rar.exe", "adm_jdoe"), { file: "f", record: 1 })).toEqual([]);
  });

  it("count as loaded documents and report references to rules that are not loaded", async () => {
    const detector = await detectorWith({ "rar.yml": RAR, "mf_admins.yml": ADMIN_FILTER });
    expect(detector.rulesLoaded).toBe(2);
    expect(detector.rulesSkipped).toEqual([
      { file: "mf_admins.yml", reason: "filter Filter Administrator account: rule df0841c0-9846-4e9f-ad8a-7df91571771b is not loaded" },
    ]);
  });

  it("refer to rules by name, and apply to rules of their logsource only", async () => {
    const byName = ADMIN_FILTER.replace("- 6f3e2987-db24-4c78-a860-b4f4095a7095", "- rar_compress").replace(
      "- df0841c0-9846-4e9f-ad8a-7df91571771b",
      "- 0f0f0f0f-0000-4000-8000-000000000002",
    );
    const detector = await detectorWith({ "rar.yml": RAR, "dns.yml": DNS, "mf.yml": byName });
    expect(ids(detector, sysmon("C:\\Tools\\rar.exe", "adm_x"))).toEqual([]);
    expect(detector.rulesSkipped.map((s) => s.reason)).toEqual([
      "filter Filter Administrator account: rule 0f0f0f0f-0000-4000-8000-000000000002 has another logsource; not applied",
    ]);
    const dnsEvent = { EventID: 22, Channel: "Microsoft-Windows-Sysmon/Operational", QueryName: "www.example.com", User: "adm_x" };
    expect(ids(detector, dnsEvent)).toEqual(["0f0f0f0f-0000-4000-8000-000000000002"]);
  });

  it("with `not` in their condition suppress everything else (the condition names what is suppressed)", async () => {
    const inverted = ADMIN_FILTER.replace("condition: selection", "condition: not selection");
    const detector = await detectorWith({ "rar.yml": RAR, "mf.yml": inverted });
    expect(ids(detector, sysmon("C:\\Tools\\rar.exe", "adm_jdoe"))).toEqual(["6f3e2987-db24-4c78-a860-b4f4095a7095"]);
    expect(ids(detector, sysmon("C:\\Tools\\rar.exe", "jdoe"))).toEqual([]);
  });

  it("with `rules: any` apply to every rule of their logsource", async () => {
    const any = ADMIN_FILTER.replace(/rules:\n(\s+- .*\n)+/, "rules: any\n");
    const detector = await detectorWith({ "rar.yml": RAR, "whoami.yml": WHOAMI, "dns.yml": DNS, "mf.yml": any });
    expect(ids(detector, sysmon("C:\\Tools\\rar.exe", "adm_x"))).toEqual([]);
    expect(ids(detector, sysmon("C:\\Windows\\whoami.exe", "adm_x"))).toEqual([]);
    expect(ids(detector, sysmon("C:\\Windows\\whoami.exe", "x"))).toEqual(["0f0f0f0f-0000-4000-8000-000000000001"]);
    const dnsEvent = { EventID: 22, Channel: "Microsoft-Windows-Sysmon/Operational", QueryName: "www.example.com", User: "adm_x" };
    expect(ids(detector, dnsEvent)).toEqual(["0f0f0f0f-0000-4000-8000-000000000002"]);
    expect(detector.rulesSkipped).toEqual([]);
  });

  it("that apply to no loaded rule are skipped with the reason", async () => {
    const detector = await detectorWith({ "mf.yml": ADMIN_FILTER });
    expect(detector.rulesLoaded).toBe(0);
    expect(detector.rulesSkipped.map((s) => s.reason)).toContain("filter Filter Administrator account: applies to no loaded rule");
  });

  it("are validated field by field", () => {
    try {
      parseFilterObject({ title: "x", filter: { rules: [], condition: "selection" } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).issues.map((i) => i.path);
      expect(paths).toContain("logsource");
      expect(paths).toContain("filter.rules");
    }
    const loaded = loadSigmaText("title: x\nlogsource: {}\nfilter: {rules: [a], condition: selection}\n", "x.yml");
    expect(loaded.filters).toEqual([]);
    expect(loaded.skipped[0]!.reason).toMatch(/search identifier/);
  });

  it("match logsources on the fields they set", () => {
    expect(filterFitsLogsource({ product: "windows" }, { category: "process_creation", product: "Windows" })).toBe(true);
    expect(filterFitsLogsource({ category: "process_creation", product: "windows" }, { category: "dns_query", product: "windows" })).toBe(false);
    expect(filterFitsLogsource({ service: "security" }, { product: "windows" })).toBe(false);
  });
});
