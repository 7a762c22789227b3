import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../config/index.js";
import { evaluatePackFile } from "./eval.js";
import { inSlice } from "./replay.js";

/** Two attacks an hour apart on two hosts; a slice around the first replays and scores only the first. */
function pack() {
  const alert = (host: string, n: number) => ({
    title: "Successful sudo to ROOT executed",
    source: "wazuh",
    source_id: `sudo-${n}`,
    severity: "high",
    rule: { id: "sudo-root", title: "Successful sudo to ROOT executed" },
    host: { name: host, ip: [] },
  });
  return {
    format: "nightshift.pack.v1",
    name: "two-attacks",
    title: "two privilege escalations an hour apart",
    start: "2026-10-01T00:00:00Z",
    timeline: [
      { at: "5m", alert: alert("web-1", 1), truth: { malicious: true, incident: "first" } },
      { at: "65m", alert: alert("web-2", 2), truth: { malicious: true, incident: "second" } },
    ],
    incidents: [
      { id: "first", title: "first", malicious: true },
      { id: "second", title: "second", malicious: true },
    ],
  };
}

describe("eval on a slice of a pack (--from / --until)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-slice-"));
    writeFileSync(path.join(dir, "pack.yaml"), stringify(pack()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes times in [from, until)", () => {
    expect(inSlice(10, {})).toBe(true);
    expect(inSlice(10, { fromMs: 10, untilMs: 11 })).toBe(true);
    expect(inSlice(11, { fromMs: 10, untilMs: 11 })).toBe(false);
    expect(inSlice(9, { fromMs: 10 })).toBe(false);
  });

  it("replays only what happens in the slice and scores only the incidents it holds", async () => {
    const config = loadConfig({ NIGHTSHIFT_HOME: dir });
    const file = path.join(dir, "pack.yaml");
    const whole = await evaluatePackFile(file, config);
    expect(whole.counts.alerts).toBe(2);
    expect(whole.incidents.map((i) => i.id).sort()).toEqual(["first", "second"]);
    const slice = await evaluatePackFile(file, config, { fromMs: Date.parse("2026-10-01T00:00:00Z"), untilMs: Date.parse("2026-10-01T00:30:00Z") });
    expect(slice.counts.alerts).toBe(1);
    expect(slice.incidents.map((i) => i.id)).toEqual(["first"]);
    expect(slice.counts.malicious_incidents).toBe(1);
  });
});
