import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.js";
import { applyFieldMap, conditionTest, loadLogsourceMappings, parseLogsourceFile, ruleTarget } from "./index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsource-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("built-in mappings", () => {
  it("maps process_creation to Sysmon 1 and Security 4688 with field renames", async () => {
    const mappings = await loadLogsourceMappings();
    const target = ruleTarget(mappings, { product: "windows", category: "process_creation" });
    expect(target.kind).toBe("sources");
    if (target.kind !== "sources") return;
    expect(target.sources.map((s) => s.conditions)).toEqual([
      { Channel: ["Microsoft-Windows-Sysmon/Operational"], EventID: ["1"] },
      { Channel: ["Security"], EventID: ["4688"] },
      { "event.category": ["process"], "event.type": ["start"] },
      { class_uid: ["1007"], activity_id: ["1"] },
    ]);
    expect(target.sources[0]!.fields).toMatchObject({ Image: "process.executable", CommandLine: "process.command_line" });
    expect(target.sources[1]!.fields).toMatchObject({ Image: "NewProcessName", ParentImage: "ParentProcessName" });
    expect(target.sources[2]!.fields).toMatchObject({ ParentImage: "process.parent.executable" });
    expect(target.sources[3]!.fields).toMatchObject({ Image: "process.file.path", CommandLine: "process.cmd_line" });
  });

  it.each([
    ["registry_set", ["13"]],
    ["registry_add", ["12"]],
    ["registry_event", ["12", "13", "14"]],
    ["pipe_created", ["17", "18"]],
    ["wmi_event", ["19", "20", "21"]],
    ["file_delete", ["23", "26"]],
    ["dns_query", ["22"]],
    ["ps_script", ["4104"]],
    ["ps_module", ["4103"]],
  ])("maps windows %s to EventID %j", async (category, ids) => {
    const target = ruleTarget(await loadLogsourceMappings(), { product: "windows", category });
    const channels = target.kind === "sources" ? target.sources.filter((s) => s.conditions["Channel"]) : [];
    expect(channels.map((s) => s.conditions["EventID"])).toEqual([ids]);
  });

  it("maps services to channels and leaves unknown products unmapped", async () => {
    const mappings = await loadLogsourceMappings();
    expect(ruleTarget(mappings, { product: "windows", service: "powershell-classic" })).toEqual({
      kind: "sources",
      product: "windows",
      sources: [{ conditions: { Channel: ["Windows PowerShell"] }, fields: {} }],
    });
    const classic = ruleTarget(mappings, { product: "windows", category: "ps_classic_start" });
    expect(classic.kind === "sources" ? classic.sources[0]?.conditions : null).toEqual({
      Channel: ["Windows PowerShell"],
      EventID: ["400"],
    });
    expect(ruleTarget(mappings, { product: "zeek", service: "dns" })).toEqual({ kind: "unmapped" });
    expect(ruleTarget(mappings, { product: "windows" })).toEqual({ kind: "product", product: "windows" });
    expect(ruleTarget(mappings, { product: "windows", category: "no_such_thing" })).toEqual({ kind: "product", product: "windows" });
  });

  it("applies Defender's space-less field names for windefend rules", async () => {
    const target = ruleTarget(await loadLogsourceMappings(), { product: "windows", category: "antivirus" });
    if (target.kind !== "sources") throw new Error("antivirus not mapped");
    const source = target.sources[0]!;
    const event = { "Threat Name": "Virus:DOS/EICAR_Test_File", Path: "C:\\x" };
    const mapped = applyFieldMap(event, source.fields);
    expect(mapped).toMatchObject({ ThreatName: "Virus:DOS/EICAR_Test_File", Signature: "Virus:DOS/EICAR_Test_File", Filename: "C:\\x" });
    expect(event).toEqual({ "Threat Name": "Virus:DOS/EICAR_Test_File", Path: "C:\\x" });
  });
});

describe("user mapping files", () => {
  it("override and extend the built-in ones", async () => {
    const file = join(dir, "mine.yml");
    await writeFile(
      file,
      [
        "products:",
        "  windows:",
        "    services:",
        "      security: { Channel: [ForwardedSecurity] }",
        "    categories:",
        "      file_access: [{ service: sysmon, EventID: [99] }]",
        "  zeek:",
        "    services:",
        "      dns: { _path: dns }",
      ].join("\n"),
    );
    const mappings = await loadLogsourceMappings([file]);
    expect(ruleTarget(mappings, { product: "windows", service: "security" })).toMatchObject({
      sources: [{ conditions: { Channel: ["ForwardedSecurity"] } }],
    });
    expect(ruleTarget(mappings, { product: "windows", category: "file_access" })).toMatchObject({
      sources: [{ conditions: { Channel: ["Microsoft-Windows-Sysmon/Operational"], EventID: ["99"] } }],
    });
    expect(ruleTarget(mappings, { product: "zeek", service: "dns" })).toMatchObject({
      sources: [{ conditions: { _path: ["dns"] } }],
    });
    // Built-in entries not overridden stay.
    expect(ruleTarget(mappings, { product: "windows", service: "system" }).kind).toBe("sources");
  });

  it("reject invalid files with field-level errors", async () => {
    const file = join(dir, "bad.yml");
    await writeFile(file, "products:\n  windows:\n    categories:\n      x: [{ service: nope, EventID: [1] }]\n    extra: 1\n");
    const error = await loadLogsourceMappings([file]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toContain(`${file}.products.windows`);

    expect(() => parseLogsourceFile("products:\n  p:\n    categories:\n      x: [{ service: nope }]\n", "f.yml")).toThrow(
      ValidationError,
    );
    try {
      parseLogsourceFile("products:\n  p:\n    categories:\n      x: [{ service: nope }]\n", "f.yml");
    } catch (error) {
      expect((error as ValidationError).issues).toEqual([
        { path: "f.yml.products.p.categories.x.0.service", message: 'unknown service "nope" for product p' },
      ]);
    }
    expect(() => parseLogsourceFile("products: [1", "g.yml")).toThrow(ValidationError);
    await expect(loadLogsourceMappings([join(dir, "missing.yml")])).rejects.toThrow(ValidationError);
  });
});

describe("conditionTest", () => {
  it("compares case-insensitively, numbers as text, and '*' as presence", () => {
    const test = conditionTest({ Channel: ["Security"], EventID: ["4688"], Computer: ["*"] });
    expect(test({ Channel: "security", EventID: 4688, Computer: "x" })).toBe(true);
    expect(test({ Channel: "security", EventID: "4688", Computer: "x" })).toBe(true);
    expect(test({ Channel: "security", EventID: 4689, Computer: "x" })).toBe(false);
    expect(test({ Channel: "security", EventID: 4688 })).toBe(false);
  });
});
