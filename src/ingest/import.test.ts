import { writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { NotFoundError, ValidationError, fixedClock } from "../core/index.js";
import { getAlert, importAlertFile, listAlerts, parseMapOption, type ImportProgress } from "./index.js";

describe(`importAlertFile (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const db = () => env.store.db;
  const fixture = (name: string, content: string | Buffer) => {
    const file = path.join(env.home, name);
    writeFileSync(file, content);
    return file;
  };
  const count = async (table: "alerts" | "jobs") => Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";

  async function rejection(promise: Promise<unknown>): Promise<ValidationError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    throw new Error("expected a ValidationError");
  }

  const alerts = Array.from({ length: 7 }, (_, i) => ({ title: `alert ${i}`, source: "ids", source_id: `ids-${i}`, severity: i % 2 ? "low" : "high" }));

  it("imports gzip NDJSON in batches, keeping file and record of each alert, and imports it only once", async () => {
    const file = fixture("alerts.ndjson.gz", gzipSync(ndjson(alerts)));
    const progress: ImportProgress[] = [];
    const result = await importAlertFile(db(), file, { batchSize: 3, onProgress: (p) => progress.push(p) });
    expect(result).toEqual({ records: 7, created: 7, duplicates: 0 });
    expect(await count("alerts")).toBe(7);
    expect(await count("jobs")).toBe(7);
    const rows = await db().selectFrom("alerts").select(["source_id", "origin_file", "origin_record", "id"]).orderBy("origin_record").execute();
    expect(rows.map((r) => [r.source_id, r.origin_file, r.origin_record])).toEqual(alerts.map((a, i) => [a.source_id, file, i + 1]));
    expect((await getAlert(db(), rows[4]!.id))?.origin).toEqual({ via: "file", file, record: 5 });
    const imports = progress.filter((p) => p.phase === "import");
    expect(imports.map((p) => p.records)).toEqual([3, 6, 7]);
    expect(imports.at(-1)!.bytes).toBe(imports.at(-1)!.totalBytes);

    expect(await importAlertFile(db(), file)).toEqual({ records: 7, created: 0, duplicates: 7 });
    expect(await count("alerts")).toBe(7);
    expect(await count("jobs")).toBe(7);
  });

  it("detects gzip by its magic bytes, whatever the name", async () => {
    const file = fixture("alerts.ndjson", gzipSync(ndjson(alerts.slice(0, 2))));
    expect(await importAlertFile(db(), file)).toEqual({ records: 2, created: 2, duplicates: 0 });
  });

  it("imports nothing from a file with a bad record and names the record", async () => {
    const records: unknown[] = alerts.map((a) => ({ ...a }));
    records[4] = { title: "broken", severity: "apocalyptic" };
    const file = fixture("bad.jsonl", ndjson(records));
    const error = await rejection(importAlertFile(db(), file, { batchSize: 2 }));
    expect(error.issues).toEqual([{ path: "record[5].severity", message: expect.stringContaining('"apocalyptic"') }]);
    expect(error.message).toContain("1 of 7 records are invalid");
    expect(error.message).toContain("nothing was imported");
    expect(await count("alerts")).toBe(0);
    expect(await count("jobs")).toBe(0);
  });

  it("reports unparseable lines with their line numbers, and at most 20 issues", async () => {
    const lines = ['{"title":"fine"}', "", "{not json", ...Array.from({ length: 30 }, () => '{"severity":"high"}')];
    const file = fixture("many.ndjson", lines.join("\n"));
    const error = await rejection(importAlertFile(db(), file));
    expect(error.issues).toHaveLength(20);
    expect(error.issues[0]).toEqual({ path: "record[2]", message: expect.stringMatching(/^invalid JSON: .*\(line 3\)$/) });
    expect(error.issues[1]).toEqual({ path: "record[3].title", message: "required (line 4)" });
    expect(error.message).toContain("31 of 32 records are invalid");
    expect(await count("alerts")).toBe(0);
  });

  it("imports CSV with --map, keeping unmapped columns", async () => {
    const file = fixture(
      "export.csv",
      [
        "alert_name,sev,hostname,dest_port,event_id,analyst_note,title",
        'Port scan,LOW,db-1,22,e-1,"looked at it, fine",ignored title',
        "SMB exploit,critical,fs-2,445,e-2,,",
      ].join("\r\n"),
    );
    const map = parseMapOption("title=alert_name,severity=sev,host.name=hostname,dst.port=dest_port,source_id=event_id");
    const result = await importAlertFile(db(), file, { map });
    expect(result).toEqual({ records: 2, created: 2, duplicates: 0 });
    const stored = await listAlerts(db());
    const byTitle = Object.fromEntries(stored.map((a) => [a.title, a]));
    expect(byTitle["Port scan"]).toMatchObject({
      severity: "low",
      source: "generic",
      source_id: "e-1",
      host: { name: "db-1" },
      dst: { port: 22 },
      unmapped: { analyst_note: "looked at it, fine", title: "ignored title" },
      origin: { via: "file", file, record: 1 },
    });
    expect(byTitle["SMB exploit"]).toMatchObject({ severity: "critical", dst: { port: 445 }, origin: { record: 2 } });
    expect(byTitle["SMB exploit"]!.unmapped).toEqual({});
  });

  it("uses CSV columns named like fields without --map, and names the column of a bad mapped value", async () => {
    const plain = fixture("plain.csv.gz", gzipSync("title,severity,host.name,src.ip,vendor\nLogin storm,high,vpn-1,192.0.2.4,acme\n"));
    expect(await importAlertFile(db(), plain)).toEqual({ records: 1, created: 1, duplicates: 0 });
    expect((await listAlerts(db()))[0]).toMatchObject({ title: "Login storm", severity: "high", host: { name: "vpn-1" }, src: { ip: "192.0.2.4" }, unmapped: { vendor: "acme" } });

    const bad = fixture("bad.csv", "name,port\nok,80\nbroken,http\n");
    const error = await rejection(importAlertFile(db(), bad, { map: { title: "name", "dst.port": "port" } }));
    expect(error.issues).toEqual([{ path: "record[2].dst.port", message: expect.stringMatching(/column "port".*\(line 3\)$/) }]);
    expect(await count("alerts")).toBe(1);
  });

  it("refuses a mapping to a column the CSV does not have, and rows of the wrong width", async () => {
    const file = fixture("cols.csv", "name,sev\na,low\n");
    const error = await rejection(importAlertFile(db(), file, { map: { title: "name", severity: "severity" } }));
    expect(error.issues).toEqual([{ path: "map.severity", message: 'column "severity" is not in the file (columns: name, sev)' }]);
    const ragged = fixture("ragged.csv", "title,severity\na,low\nb,low,extra\n");
    const raggedError = await rejection(importAlertFile(db(), ragged));
    expect(raggedError.issues.map((i) => i.path)).toEqual(["record[2]"]);
    expect(await count("alerts")).toBe(0);
  });

  it("imports OCSF findings from a JSON array and a JSON object", async () => {
    const finding = (uid: string) => ({
      class_uid: 2004,
      time: 1772366400000,
      severity_id: 5,
      metadata: { product: { name: "ExampleEDR" } },
      finding_info: { uid, title: `Ransomware behaviour ${uid}` },
      device: { hostname: "fs-2" },
    });
    const array = fixture("findings.json", JSON.stringify([finding("f-1"), finding("f-2")], null, 2));
    expect(await importAlertFile(db(), array, { format: "ocsf" })).toEqual({ records: 2, created: 2, duplicates: 0 });
    const single = fixture("one.json", JSON.stringify(finding("f-3"), null, 2));
    expect(await importAlertFile(db(), single)).toEqual({ records: 1, created: 1, duplicates: 0 });
    const stored = await listAlerts(db());
    expect(stored.map((a) => [a.source, a.source_id, a.severity, a.host?.name]).sort()).toEqual([
      ["ExampleEDR", "f-1", "critical", "fs-2"],
      ["ExampleEDR", "f-2", "critical", "fs-2"],
      ["ExampleEDR", "f-3", "critical", "fs-2"],
    ]);
    const notOcsf = fixture("mixed.ndjson", ndjson([finding("f-4"), { title: "generic" }]));
    const error = await rejection(importAlertFile(db(), notOcsf, { format: "ocsf" }));
    expect(error.issues.map((i) => i.path)).toEqual(["record[2].class_uid"]);
  });

  it("keeps integers beyond 2^53 exact in NDJSON, JSON and OCSF files", async () => {
    const record = (id: string) => `{"title": "big", "source": "edr", "source_id": ${id}, "flow": {"id": ${id}}}`;
    const lines = fixture("big.ndjson", `${record("18446744073709551615")}\n${record("18446744073709551614")}\n`);
    expect(await importAlertFile(db(), lines)).toMatchObject({ created: 2, duplicates: 0 });
    const array = fixture("big.json", `[${record("18446744073709551613")}, ${record("18446744073709551612")}]`);
    expect(await importAlertFile(db(), array)).toMatchObject({ created: 2, duplicates: 0 });
    const ids = (await listAlerts(db(), { limit: 10 })).map((a) => a.source_id).sort();
    expect(ids).toEqual(["18446744073709551612", "18446744073709551613", "18446744073709551614", "18446744073709551615"]);
  });

  it("refuses a line or record over the cap in every format, naming it, and imports nothing", async () => {
    const long = "x".repeat(300);
    const files = [
      fixture("cap.ndjson", ndjson([alerts[0], { title: long }, alerts[1]])),
      fixture("cap.json", JSON.stringify([alerts[0], { title: long }, alerts[1]])),
      fixture("cap.csv", `title,source_id\nshort,c1\n${long},c2\n`),
    ];
    for (const file of files) {
      const error = await rejection(importAlertFile(db(), file, { maxRecordChars: 200 }));
      expect(error.message).toMatch(/nothing was imported/);
      expect(error.issues[0]!.path).toBe("record[2]");
      expect(error.issues[0]!.message).toMatch(/longer than 200 characters|max record size/i);
    }
    expect(await count("alerts")).toBe(0);
    expect(await importAlertFile(db(), files[0]!, { maxRecordChars: 400 })).toMatchObject({ created: 3 });
  });

  it("keeps identical lines without source_id as one alert, on every import", async () => {
    const clock = fixedClock("2026-03-01T08:00:00.000Z", 1000);
    const file = fixture("same.ndjson", ndjson([{ title: "noisy" }, { title: "noisy" }, { title: "other" }]));
    expect(await importAlertFile(db(), file, { clock })).toEqual({ records: 3, created: 2, duplicates: 1 });
    expect(await importAlertFile(db(), file, { clock })).toEqual({ records: 3, created: 0, duplicates: 3 });
  });

  it("tells a missing file, an unknown format and a corrupt gzip stream apart", async () => {
    await expect(importAlertFile(db(), path.join(env.home, "missing.ndjson"))).rejects.toThrow(NotFoundError);
    const unknown = fixture("alerts.txt", '{"title":"x"}\n');
    expect((await rejection(importAlertFile(db(), unknown))).issues[0]!.path).toBe("format");
    expect(await importAlertFile(db(), unknown, { format: "ndjson" })).toEqual({ records: 1, created: 1, duplicates: 0 });
    const truncated = gzipSync(ndjson(alerts)).subarray(0, 30);
    const corrupt = fixture("corrupt.ndjson.gz", truncated);
    expect((await rejection(importAlertFile(db(), corrupt))).issues[0]!.path).toBe("file");
  });
});
