import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, ValidationError } from "../../../core/index.js";
import { kind as cowrie } from "../cowrie/index.js";
import { CONNECTOR_KINDS, buildConnectors } from "../registry.js";
import { kind as suricata } from "../suricata/index.js";
import { EMPTY_CHECKPOINT } from "../types.js";
import { kind as zeek } from "../zeek/index.js";

/** The three file kinds, registered and built from configuration like any other. */
describe("file connector kinds from configuration", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-kinds-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("are registered", () => {
    expect(CONNECTOR_KINDS.suricata).toBe(suricata);
    expect(CONNECTOR_KINDS.zeek).toBe(zeek);
    expect(CONNECTOR_KINDS.cowrie).toBe(cowrie);
  });

  it("builds each kind with ${NAME} paths from the environment and the mapping tables applied", async () => {
    writeFileSync(path.join(dir, "cowrie.json"), `${JSON.stringify({ eventid: "cowrie.login.success", timestamp: "2026-11-24T10:00:00.000001Z", src_ip: "45.148.10.92", session: "s1", sensor: "hp-ssh-01", username: "root", password: "x" })}\n`);
    const built = buildConnectors(
      {
        connectors: {
          sources: [
            { name: "ids", kind: "suricata", enabled: true, interval_seconds: 10, path: "${LOGS}/eve.json" },
            { name: "zeek", kind: "zeek", enabled: true, interval_seconds: 10, path: "${LOGS}/notice.log", log: "notice" },
            { name: "hp", kind: "cowrie", enabled: true, interval_seconds: 10, path: "${LOGS}/cowrie.json", mapping: { hosts: { "hp-ssh-01": "honeypot-01.dmz" } } },
          ],
        },
      },
      { LOGS: dir },
    );
    expect(built.map((b) => [b.connector.name, b.connector.kind, b.connector.intervalSeconds])).toEqual([
      ["ids", "suricata", 10],
      ["zeek", "zeek", 10],
      ["hp", "cowrie", 10],
    ]);
    const page = await built[2]!.connector.pull(EMPTY_CHECKPOINT, { clock: fixedClock("2026-11-24T10:05:00Z"), sleep: async () => {}, firstPage: true });
    expect(page.alerts).toEqual([expect.objectContaining({ host: { name: "honeypot-01.dmz" }, severity: "high" })]);
  });

  it("reports bad settings of every entry by path", () => {
    const attempt = () =>
      buildConnectors({
        connectors: {
          sources: [
            { name: "ids", kind: "suricata", enabled: true, interval_seconds: 10, severity: { "1": "severe" } },
            { name: "zeek", kind: "zeek", enabled: true, interval_seconds: 10, path: "/x", log: "conn" },
          ],
        },
      }, {});
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      const paths = (error as ValidationError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["connectors.sources[0].path", "connectors.sources[0].severity.1", "connectors.sources[1].log"]));
    }
  });
});
