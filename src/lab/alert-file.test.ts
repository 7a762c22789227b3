import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedPath } from "../../test/support/shared.js";
import { readLabelledAlerts } from "./alert-file.js";
import { loadPack, validatePack } from "./load.js";

describe("external alert files with label columns", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-labelled-"));
    writeFileSync(
      path.join(dir, "alerts.csv"),
      [
        "time,name,host,phase,label,analyst_note",
        "1642723347,ClamAV database update,mail,-,false_positive,seen daily",
        "1642723400,Web shell command,intranet,webshell,webshell,confirmed",
        "1642723460,Reverse shell,intranet,reverse_shell,reverse_shell,confirmed",
        "1642723500,Odd event,intranet,,attack,odd",
      ].join("\n"),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("strips every label column before mapping, and keeps the answer apart", async () => {
    const loaded = validatePack(
      {
        format: "nightshift.pack.v1",
        name: "labelled",
        title: "labelled file",
        alert_files: [
          {
            path: "alerts.csv",
            map: "time=time,title=name,host.name=host",
            truth: { column: "label", benign: ["false_positive"], phase_column: "phase", strip: ["analyst_note"] },
          },
        ],
      },
      path.join(dir, "pack.yaml"),
    );
    const records = await readLabelledAlerts(loaded.alertFiles[0]!, "alert_files[0]");
    expect(records.map((r) => r.truth)).toEqual([
      { malicious: false },
      { malicious: true, incident: "webshell" },
      { malicious: true, incident: "reverse_shell" },
      { malicious: true, incident: "attack" },
    ]);
    expect(new Date(records[0]!.timeMs).toISOString()).toBe("2022-01-21T00:02:27.000Z");
    for (const r of records) {
      const text = JSON.stringify(r.input);
      for (const leak of ["label", "phase", "analyst_note", "false_positive", "confirmed", "seen daily"]) expect(text, leak).not.toContain(leak);
    }
  });

  it("names a label column the file lacks", async () => {
    const loaded = validatePack(
      { format: "nightshift.pack.v1", name: "x", title: "x", alert_files: [{ path: "alerts.csv", truth: { column: "verdict", benign: ["fp"] } }] },
      path.join(dir, "pack.yaml"),
    );
    await expect(readLabelledAlerts(loaded.alertFiles[0]!, "alert_files[0]")).rejects.toThrow(/label column "verdict" is not in the file/);
  });

  it("the AIT-ADS packs load against the reference data, and no label reaches an alert", async () => {
    const data = sharedPath("data/ait-ads");
    for (const name of ["russellmitchell", "shaw"]) {
      const loaded = loadPack(path.join(import.meta.dirname, "packs", "ait", `${name}.yaml`), { dataDir: data });
      expect(loaded.learnFrom[0]!.resolved).toMatch(/_alerts\.csv\.gz$/);
      // The first 3000 rows of the file, read with the pack's own mapping and truth columns.
      const rows = gunzipSync(readFileSync(loaded.alertFiles[0]!.resolved)).toString("utf8").split("\n").slice(0, 3001).join("\n");
      const slice = path.join(dir, `${name}.csv`);
      writeFileSync(slice, rows);
      const records = await readLabelledAlerts({ ...loaded.alertFiles[0]!, resolved: slice }, "alert_files[0]");
      expect(records.length).toBe(3000);
      expect(records.some((r) => !r.truth.malicious)).toBe(true);
      for (const r of records) expect(JSON.stringify(r.input)).not.toMatch(/time_label|event_label|false_positive/);
    }
  });
});
