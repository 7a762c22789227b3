import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliEnvironment } from "./support/environment.js";
import { lastLine, runCli } from "./support/cli.js";
import { testStoreKind } from "./support/store.js";

function lines<T>(text: string): T[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

describe(`nightshift CLI (${testStoreKind()})`, () => {
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let home: string;
  beforeEach(async () => {
    environment = await cliEnvironment();
    home = environment.env.NIGHTSHIFT_HOME!;
  });
  afterEach(async () => {
    await environment.cleanup();
  });

  it("imports a CSV with --map, keeps unmapped columns and where each record came from", async () => {
    const file = path.join(home, "ids.csv");
    writeFileSync(
      file,
      [
        "ts,signature,sev,hostname,src,sid,analyst_note",
        "2026-11-24T01:00:00Z,ET SCAN Nmap,low,nwl-ws-0001,10.0.0.5,a-1,weekly scan",
        "2026-11-24T01:05:00Z,ET TROJAN Beacon,high,nwl-ws-0002,10.0.0.6,a-2,",
      ].join("\n"),
    );
    const map = "time=ts,title=signature,severity=sev,host.name=hostname,src.ip=src,source_id=sid";
    const imported = await runCli(["ingest", "alerts", file, "--map", map], environment.env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(lastLine(imported.stdout))).toMatchObject({ records: 2, created: 2, duplicates: 0 });
    expect(imported.stderr, "no progress bar in a pipe").not.toMatch(/records|░|█/);

    const again = await runCli(["ingest", "alerts", file, "--map", map], environment.env);
    expect(JSON.parse(lastLine(again.stdout))).toMatchObject({ records: 2, created: 0, duplicates: 2 });

    const exported = lines<{ source_id: string; source: { file: string; record: number }; outcome: string; title: string }>(
      (await runCli(["alerts", "export"], environment.env)).stdout,
    );
    expect(exported.map((a) => [a.source_id, a.source.file, a.source.record, a.outcome]).sort()).toEqual([
      ["a-1", file, 1, "open"],
      ["a-2", file, 2, "open"],
    ]);
  });

  it("refuses an unknown --map target with the accepted list", async () => {
    const file = path.join(home, "x.csv");
    writeFileSync(file, "a\n1\n");
    const result = await runCli(["ingest", "alerts", file, "--map", "colour=a"], environment.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/colour/);
    expect(result.stderr).toMatch(/host\.name/);
  });

  it("imports nothing from a file with a bad record and names the record", async () => {
    const file = path.join(home, "alerts.ndjson.gz");
    const records = [
      { title: "ok one", source: "t", source_id: "1" },
      { title: "bad severity", source: "t", source_id: "2", severity: "apocalyptic" },
      { title: "ok three", source: "t", source_id: "3" },
    ];
    writeFileSync(file, gzipSync(records.map((r) => JSON.stringify(r)).join("\n")));
    const result = await runCli(["ingest", "alerts", file], environment.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/record\[2\]\.severity/);
    const exported = await runCli(["alerts", "export"], environment.env);
    expect(exported.stdout.trim()).toBe("");
  });

  it("works the queue, then exports incrementally with --since", async () => {
    const file = path.join(home, "alerts.json");
    writeFileSync(
      file,
      JSON.stringify([
        { title: "Suspicious PowerShell", source: "edr", source_id: "e-1", severity: "high", host: "unknown-host-7" },
        { title: "Port scan", source: "ids", source_id: "i-1", severity: "low", src: "10.1.1.1" },
      ]),
    );
    expect((await runCli(["ingest", "alerts", file], environment.env)).code).toBe(0);
    const shift = await runCli(["shift", "run", "--until-idle"], environment.env);
    expect(shift.code, shift.stderr).toBe(0);
    const summary = JSON.parse(lastLine(shift.stdout)) as { alerts: number; cases: number; by_verdict: Record<string, number> };
    expect(summary.alerts).toBe(2);
    expect(summary.cases).toBe(2);
    expect(summary.by_verdict.PENDING).toBeUndefined();

    const cases = lines<{ id: string; alert_ids: string[]; crew_verdict: string; created_at: string; updated_at: string }>(
      (await runCli(["cases", "export"], environment.env)).stdout,
    );
    expect(cases).toHaveLength(2);
    for (const c of cases) {
      expect(c.alert_ids).toHaveLength(1);
      // TORA's verdicts, or VERA's on a case TORA escalated.
      expect(["CLOSED", "INSUFFICIENT_CONTEXT", "HOLD", "ESCALATE_TO_ARIA"]).toContain(c.crew_verdict);
    }
    const latest = cases.map((c) => c.updated_at).sort().pop()!;
    const future = new Date(Date.parse(latest) + 1000).toISOString();
    expect((await runCli(["cases", "export", "--since", future], environment.env)).stdout.trim()).toBe("");
    expect(lines((await runCli(["cases", "export", "--since", latest], environment.env)).stdout).length).toBeGreaterThan(0);
    const bad = await runCli(["cases", "export", "--since", "yesterday"], environment.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/since/);

    const ocsf = lines<{ class_uid: number; finding_info_list: { uid: string }[] }>((await runCli(["cases", "export", "--format", "ocsf"], environment.env)).stdout);
    expect(ocsf.map((c) => [c.class_uid, c.finding_info_list.length])).toEqual([
      [2005, 1],
      [2005, 1],
    ]);
    const findings = lines<{ class_uid: number }>((await runCli(["alerts", "export", "--format", "ocsf"], environment.env)).stdout);
    expect(findings.map((f) => f.class_uid)).toEqual([2004, 2004]);
    const ecs = lines<{ event: { kind: string } }>((await runCli(["alerts", "export", "--format", "ecs"], environment.env)).stdout);
    expect(ecs.map((d) => d.event.kind)).toEqual(["alert", "alert"]);
    const unknown = await runCli(["alerts", "export", "--format", "cef"], environment.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--format: expected one of ndjson, ocsf, ecs/);
    expect(unknown.stdout).toBe("");
  });

  it("creates a token printed alone on the last line and refuses unknown roles", async () => {
    const created = await runCli(["token", "create", "--role", "viewer", "--name", "wallboard"], environment.env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(lastLine(created.stdout)).toMatch(/^ns_[A-Za-z0-9_-]{40,}$/);
    const refused = await runCli(["token", "create", "--role", "root"], environment.env);
    expect(refused.code).not.toBe(0);
  });

  it("loads context and reports a bad record without writing anything", async () => {
    const good = path.join(home, "assets.csv");
    writeFileSync(good, "hostname,ips,criticality,environment\nweb-01,10.0.0.10;10.0.0.11,high,production\n");
    const loaded = await runCli(["context", "load", good], environment.env);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(JSON.parse(lastLine(loaded.stdout))).toMatchObject({ assets: 1 });
    const bad = path.join(home, "bad.json");
    writeFileSync(bad, JSON.stringify({ assets: [{ hostname: "db-01", criticality: "extreme", environment: "production" }] }));
    const refused = await runCli(["context", "load", bad], environment.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/assets\[0\]\.criticality/);
  });
});
