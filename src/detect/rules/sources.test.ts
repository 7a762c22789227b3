import { describe, expect, it } from "vitest";
import { BUILTIN_RULES_DIR, detectorSources, type DetectSettings } from "./index.js";

const settings: DetectSettings = {
  rules: ["/srv/rules/team", "/srv/rules/shared"],
  builtin_rules: true,
  placeholders: { Administrators: "NWL\\Domain Admins", DomainControllers: ["dc01$", "dc02$"] },
  logsources: ["/srv/logsources/zeek.yml"],
};

describe("detectorSources", () => {
  it("runs the pack, then the configured folders, then the extra ones, each once", () => {
    expect(detectorSources(settings, { rules: ["/tmp/mine", "/srv/rules/team"] }).ruleDirs).toEqual([
      BUILTIN_RULES_DIR,
      "/srv/rules/team",
      "/srv/rules/shared",
      "/tmp/mine",
    ]);
    expect(detectorSources(settings).logsourceFiles).toEqual(["/srv/logsources/zeek.yml"]);
  });

  it("leaves the pack out when asked or configured, and runs only the named folders with `only`", () => {
    expect(detectorSources(settings, { builtin: false }).ruleDirs).toEqual(["/srv/rules/team", "/srv/rules/shared"]);
    expect(detectorSources({ ...settings, builtin_rules: false }).ruleDirs).toEqual(["/srv/rules/team", "/srv/rules/shared"]);
    expect(detectorSources(settings, { only: true, rules: ["/tmp/mine"] }).ruleDirs).toEqual(["/tmp/mine"]);
    expect(detectorSources({ ...settings, rules: [], builtin_rules: false }).ruleDirs).toEqual([]);
  });

  it("turns configured placeholders into lists and lets the given ones win name by name", () => {
    expect(detectorSources(settings).placeholders).toEqual({ Administrators: ["NWL\\Domain Admins"], DomainControllers: ["dc01$", "dc02$"] });
    expect(detectorSources(settings, { placeholders: { DomainControllers: ["nwl-dc01$"] } }).placeholders).toEqual({
      Administrators: ["NWL\\Domain Admins"],
      DomainControllers: ["nwl-dc01$"],
    });
  });
});
