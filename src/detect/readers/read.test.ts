import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared.js";
import { readEventFiles, type EventFileError, type EventFileRecord } from "./index.js";
import { jsonDocuments } from "./json.js";
import { buildZip } from "./test-zip.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-readers-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(paths: string[]): Promise<{ records: EventFileRecord[]; errors: EventFileError[] }> {
  const records: EventFileRecord[] = [];
  const errors: EventFileError[] = [];
  for await (const record of readEventFiles(paths, { onError: (e) => errors.push(e) })) records.push(record);
  return { records, errors };
}

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe("JSON layouts", () => {
  const tricky = { a: 'brace } and [ bracket', b: 'quote " and backslash \\', c: { d: [1, { e: "}" }] } };

  it.each([
    ["one pretty object", JSON.stringify(tricky, null, 2), 1],
    ["an array of objects", JSON.stringify([tricky, tricky, tricky], null, 1), 3],
    ["a one-line array", JSON.stringify([tricky, tricky]), 2],
    ["JSON lines", `${JSON.stringify(tricky)}\n\n${JSON.stringify(tricky)}\n`, 2],
    ["concatenated pretty documents", `${JSON.stringify(tricky, null, 2)}\n${JSON.stringify(tricky, null, 4)}`, 2],
  ])("reads %s in any chunking", async (_name, text, count) => {
    for (const size of [1, 7, 4096]) {
      const documents = [];
      for await (const document of jsonDocuments(chunked(text, size))) documents.push(document);
      expect(documents).toEqual(Array.from({ length: count }, (_, i) => ({ record: i + 1, value: tricky })));
    }
  });

  it("reports a bad JSON line, skips it and keeps numbering records", async () => {
    const path = write("events.jsonl", '{"n":1}\n{"n":2,\n[{"n":3},{"n":4}]\n42\n{"n":5}\n');
    const { records, errors } = await readAll([path]);
    expect(records.map((r) => [r.record, r.event.n])).toEqual([
      [1, 1],
      [3, 3],
      [4, 4],
      [6, 5],
    ]);
    expect(errors.map((e) => [e.file, e.record])).toEqual([
      [path, 2],
      [path, 5],
    ]);
    expect(errors[1]!.message).toMatch(/expected a JSON object/);
  });

  it("reports an unterminated pretty document", async () => {
    const path = write("broken.json", '{\n "a": 1\n}\n{\n "b": [1,\n');
    const { records, errors } = await readAll([path]);
    expect(records.map((r) => r.event)).toEqual([{ a: 1 }]);
    expect(errors).toEqual([{ file: path, record: 2, message: "unexpected end of file inside a JSON document" }]);
  });
});

describe("files and archives", () => {
  const lines = [{ EventID: 1, Image: "a.exe" }, { EventID: 3 }, { EventID: 11, TargetFilename: "x" }];
  const ndjson = lines.map((l) => JSON.stringify(l)).join("\n");

  it("reads gzip and zip entries by their inner names, labelling zip entries archive!entry", async () => {
    const gz = write("events.ndjson.gz", gzipSync(ndjson));
    const zip = write(
      "bundle.zip",
      buildZip([
        { name: "inner/one.json", data: ndjson },
        { name: "notes.txt", data: "not events" },
        { name: "two.jsonl.gz", data: gzipSync(ndjson) },
      ]),
    );
    const { records, errors } = await readAll([gz, zip]);
    expect(errors).toEqual([]);
    const byFile = (file: string) => records.filter((r) => r.file === file).map((r) => [r.record, r.event]);
    const expected = lines.map((l, i) => [i + 1, l]);
    expect(byFile(gz)).toEqual(expected);
    expect(byFile(`${zip}!inner/one.json`)).toEqual(expected);
    expect(byFile(`${zip}!two.jsonl.gz`)).toEqual(expected);
    expect(records).toHaveLength(9);
  });

  it("reads a zip with stray bytes after its end record", async () => {
    const zip = write("trailing.zip", Buffer.concat([buildZip([{ name: "a.json", data: ndjson }]), Buffer.from("\n")]));
    const { records, errors } = await readAll([zip]);
    expect(errors).toEqual([]);
    expect(records.map((r) => r.event)).toEqual(lines);
  });

  it("walks directories (readable kinds only) and reports missing paths and unsupported files", async () => {
    await mkdir(join(dir, "sub/deeper"), { recursive: true });
    write("sub/deeper/a.ndjson", ndjson);
    write("sub/b.json", JSON.stringify(lines));
    write("sub/readme.txt", "ignored in a directory");
    const explicit = write("explicit.txt", "{}");
    const { records, errors } = await readAll([join(dir, "sub"), explicit, join(dir, "missing.json")]);
    expect(records.map((r) => r.file)).toEqual([...Array(3).fill(join(dir, "sub/b.json")), ...Array(3).fill(join(dir, "sub/deeper/a.ndjson"))]);
    expect(errors.map((e) => e.file).sort()).toEqual([explicit, join(dir, "missing.json")].sort());
  });

  it("reads EVTX directly and from inside gzip and zip with the same events", async () => {
    const folder = sharedPath("data/sigma/regression_data/regression_data/rules/windows/builtin/security/win_security_explicit_credential_local_logon");
    const evtx = readdirSync(folder).find((name) => name.endsWith(".evtx"))!;
    const plain = (await readAll([join(folder, evtx)])).records;
    expect(plain.length).toBeGreaterThan(0);
    expect(plain[0]!.event.Provider_Name).toBe("Microsoft-Windows-Security-Auditing");
    const bytes = readFileSync(join(folder, evtx));
    const gz = write("log.evtx.gz", gzipSync(bytes));
    const zip = write("logs.zip", buildZip([{ name: "log.evtx", data: bytes }]));
    const { records, errors } = await readAll([gz, zip]);
    expect(errors).toEqual([]);
    expect(records.filter((r) => r.file === gz).map((r) => r.event)).toEqual(plain.map((r) => r.event));
    expect(records.filter((r) => r.file === `${zip}!log.evtx`).map((r) => r.event)).toEqual(plain.map((r) => r.event));
  });

  it("reports progress up to the total input size", async () => {
    const path = write("p.ndjson", ndjson);
    const seen: { bytes: number; totalBytes: number; events: number }[] = [];
    for await (const _ of readEventFiles([path], { onProgress: (p) => seen.push(p) })) void _;
    expect(seen.at(-1)).toMatchObject({ bytes: Buffer.byteLength(ndjson), totalBytes: Buffer.byteLength(ndjson), events: 3 });
  });
});
