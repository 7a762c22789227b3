import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "../core/index.js";
import { loadConfig } from "./config.js";

describe("grouping configuration", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function withFile(yaml: string) {
    const dir = mkdtempSync(path.join(tmpdir(), "ns-grouping-"));
    dirs.push(dir);
    writeFileSync(path.join(dir, "nightshift.yaml"), yaml);
    return () => loadConfig({ NIGHTSHIFT_HOME: dir });
  }

  it("defaults the incident settings and takes declared cross-source keys", () => {
    expect(withFile("")().grouping).toEqual({ window_minutes: 240, incident_minutes: 60, incident_span_minutes: 120, routine_hours: 24, cross_source: [] });
    const config = withFile("grouping:\n  incident_minutes: 30\n  cross_source:\n    - {name: perimeter, sources: [suricata, zeek]}\n")();
    expect(config.grouping).toMatchObject({ incident_minutes: 30, cross_source: [{ name: "perimeter", sources: ["suricata", "zeek"] }] });
  });

  it("refuses an unknown grouping key and a source declared in two groups, naming the path", () => {
    expect(withFile("grouping:\n  window_minute: 10\n")).toThrow(ValidationError);
    const twice = withFile("grouping:\n  cross_source:\n    - {name: a, sources: [suricata, zeek]}\n    - {name: b, sources: [Zeek, wazuh]}\n");
    try {
      twice();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(JSON.stringify((error as ValidationError).issues)).toContain("grouping.cross_source.1.sources");
    }
  });
});
