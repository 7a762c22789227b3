import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../core/index.js";
import { loadPack, offsetMs, validatePack } from "./load.js";

const alert = (extra: Record<string, unknown> = {}) => ({ title: "DNS query for a listed domain", source: "zeek-dns", source_id: "a1", host: "ws-1", ...extra });
const pack = (extra: Record<string, unknown> = {}) => ({
  format: "nightshift.pack.v1",
  name: "tiny",
  title: "tiny pack",
  start: "2026-10-01T00:00:00Z",
  timeline: [{ at: "5m", alert: alert(), truth: { malicious: true, incident: "inc" } }],
  incidents: [{ id: "inc", title: "the attack", malicious: true }],
  ...extra,
});

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("pack validation", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-pack-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = () => path.join(dir, "pack.yaml");

  it("resolves relative offsets from start and orders the timeline", () => {
    const loaded = validatePack(
      pack({
        timeline: [
          { at: "1h30m", alert: alert({ source_id: "late" }), truth: { malicious: false } },
          { time: "2026-10-01T00:10:00Z", alert: alert({ source_id: "abs" }), truth: { malicious: false } },
          { at: 90, alert: alert({ source_id: "early" }), truth: { malicious: true, incident: "inc" } },
        ],
      }),
      file(),
    );
    expect(loaded.entries.map((e) => e.alert?.source_id)).toEqual(["early", "abs", "late"]);
    expect(loaded.entries[0]!.alert!.time).toBe("2026-10-01T00:01:30.000Z");
    expect(offsetMs("2d")).toBe(172_800_000);
    expect(offsetMs("+1h30m15s")).toBe(5_415_000);
  });

  it("names the path of a bad alert field, a bad truth, an unknown key and a dangling incident", () => {
    const issues = issuesOf(() =>
      validatePack(
        pack({
          timeline: [
            { at: "1m", alert: alert(), truth: { malicious: false } },
            { at: "2m", alert: alert(), truth: { malicious: false } },
            { at: "3m", alert: alert(), truth: { malicious: true, incident: "inc" } },
            { at: "4m", alert: alert({ severity: "urgent" }), truth: { malicious: true, incident: "nope" } },
          ],
        }),
        file(),
      ),
    );
    expect(issues).toContainEqual(expect.objectContaining({ path: "timeline[3].alert.severity" }));
    expect(issues).toContainEqual(expect.objectContaining({ path: "timeline[3].truth.incident", message: expect.stringContaining('no incident "nope"') }));
    expect(issuesOf(() => validatePack(pack({ timeline: [{ at: "1m", alert: alert(), truth: { malicious: "yes" } }] }), file()))).toContainEqual(
      expect.objectContaining({ path: "timeline[0].truth.malicious" }),
    );
    expect(issuesOf(() => validatePack(pack({ colour: "red" }), file()))).toContainEqual(expect.objectContaining({ path: "(root)", message: expect.stringContaining("colour") }));
    expect(issuesOf(() => validatePack(pack({ timeline: [{ at: "soon", alert: alert(), truth: { malicious: false } }] }), file()))).toContainEqual(
      expect.objectContaining({ path: "timeline[0].at" }),
    );
  });

  it("checks the context with the context loader's rules, under context.", () => {
    const issues = issuesOf(() => validatePack(pack({ context: { assets: [{ hostname: "ws-1", ips: ["not-an-ip"], criticality: "high", environment: "corporate" }] } }), file()));
    expect(issues).toContainEqual(expect.objectContaining({ path: "context.assets[0].ips[0]" }));
  });

  it("refuses another format version, a missing logs file, and a label column mapped for the crew", () => {
    expect(issuesOf(() => validatePack(pack({ format: "nightshift.pack.v2" }), file()))).toContainEqual(expect.objectContaining({ path: "format" }));
    expect(issuesOf(() => validatePack(pack({ timeline: [{ at: "1m", logs: "missing.evtx", truth: { malicious: false } }] }), file()))).toContainEqual(
      expect.objectContaining({ path: "timeline[0].logs" }),
    );
    writeFileSync(path.join(dir, "alerts.csv"), "time,name,label\n");
    const issues = issuesOf(() =>
      validatePack(pack({ alert_files: [{ path: "alerts.csv", map: "title=name,description=label", truth: { column: "label", benign: ["fp"] } }] }), file()),
    );
    expect(issues).toContainEqual(expect.objectContaining({ path: "alert_files[0].map.description", message: expect.stringContaining("label column") }));
  });

  it("declares learn_from files with their label and benign values, checked like alert files", () => {
    writeFileSync(path.join(dir, "history.csv"), "time,name,label\n");
    const loaded = validatePack(pack({ learn_from: [{ path: "history.csv", format: "csv", map: { title: "name" }, label: "label", benign: ["false_positive"] }] }), file());
    expect(loaded.learnFrom[0]).toMatchObject({ resolved: path.join(dir, "history.csv"), label: "label", benign: ["false_positive"], fieldMap: { title: "name" } });
    expect(issuesOf(() => validatePack(pack({ learn_from: [{ path: "history.csv", label: "label" }] }), file()))).toContainEqual(expect.objectContaining({ path: "learn_from[0].benign" }));
  });

  it("reads YAML and reports a syntax error with the file name", () => {
    writeFileSync(file(), "format: nightshift.pack.v1\nname: [unclosed\n");
    expect(() => loadPack(file())).toThrow(/not valid YAML/);
  });
});
