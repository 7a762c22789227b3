import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../config/index.js";
import { evaluatePackFile } from "./eval.js";

/**
 * learn_from through the real replay: an old SOAR's labelled decisions on another estate's mail server (its role
 * declared in the pack) become precedent here, and the routine shape they cover is closed; without them it is not.
 */
const epoch = Date.parse("2026-09-10T00:00:00Z") / 1000; // three weeks before the shift: within the age limit
const history = [
  "time,source,rule,name,host,label",
  ...Array.from({ length: 8 }, (_, i) => `${epoch + i * 3600},wazuh,clamav-update,ClamAV database update,mx-old,-`),
  `${epoch + 40_000},wazuh,sudo-root,Successful sudo to ROOT executed,mx-old,escalated_sudo_command`,
].join("\n");

function pack(withHistory: boolean) {
  const alert = (n: number) => ({
    title: "ClamAV database update",
    source: "wazuh",
    source_id: `clam-${n}`,
    severity: "low",
    rule: { id: "clamav-update", title: "ClamAV database update", level: "low" },
    host: { name: "mail", ip: ["10.1.0.4"] },
  });
  return {
    format: "nightshift.pack.v1",
    name: withHistory ? "with-history" : "without-history",
    title: "routine antivirus updates on a mail server",
    start: "2026-10-01T00:00:00Z",
    context: { assets: [{ hostname: "mail", role: "mail_server", ips: ["10.1.0.4"], criticality: "high", environment: "production" }] },
    timeline: [0, 1].map((n) => ({ at: `${n * 10 + 5}m`, alert: alert(n), truth: { malicious: false } })),
    ...(withHistory
      ? {
          learn_from: [
            { path: "history.csv", format: "csv", map: { time: "time", source: "source", title: "name", "rule.id": "rule", "rule.title": "name", "host.name": "host" }, label: "label", benign: ["-"], roles: { "mx-old": "mail_server" } },
          ],
        }
      : {}),
  };
}

describe("a pack's learn_from (analyst precedent imported before the shift)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-learn-"));
    writeFileSync(path.join(dir, "history.csv"), history);
    for (const withHistory of [true, false]) writeFileSync(path.join(dir, `${withHistory}.yaml`), stringify(pack(withHistory)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is applied, and closes the routine shape analysts judged benign on a host of the same role", async () => {
    const config = loadConfig({ NIGHTSHIFT_HOME: dir });
    const learned = await evaluatePackFile(path.join(dir, "true.yaml"), config);
    const unlearned = await evaluatePackFile(path.join(dir, "false.yaml"), config);
    expect(learned.learn_from).toMatchObject({ files: 1, applied: true });
    expect(learned.learn_from.note).toContain("9 labelled rows");
    expect(unlearned.learn_from).toMatchObject({ files: 0, applied: false });
    expect(learned.benign_auto_closed).toBe(1);
    expect(unlearned.benign_auto_closed).toBe(0);
  });
});
