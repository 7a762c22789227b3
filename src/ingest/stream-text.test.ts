import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { jsonFileRecords } from "./json-stream.js";
import { openRecords, type SourceRecord } from "./readers.js";
import { splitLines, type LineItem, type ScanStats } from "./stream-text.js";

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
const lines = (text: string, size: number, maxRecordChars = 1000) => collect<LineItem>(splitLines(chunked(text, size), { maxRecordChars }));
const json = (text: string, size: number, maxRecordChars = 1000) => collect(jsonFileRecords(chunked(text, size), { maxRecordChars }));

describe("splitLines", () => {
  it("gives the same lines whatever the chunk size, CRLF and a last line without newline included", async () => {
    const text = 'a\r\n\n{"b": 1}\nccc\r\nlast';
    const expected = [
      { line: 1, text: "a" },
      { line: 2, text: "" },
      { line: 3, text: '{"b": 1}' },
      { line: 4, text: "ccc" },
      { line: 5, text: "last" },
    ];
    for (const size of [1, 2, 3, 7, 100]) expect(await lines(text, size)).toEqual(expected);
  });

  it("reports a line over the cap as overlong, keeps none of it, and goes on with the next lines", async () => {
    const text = `short\n${"x".repeat(50)}\nafter\n${"y".repeat(50)}`;
    for (const size of [4, 64]) {
      expect(await lines(text, size, 20)).toEqual([
        { line: 1, text: "short" },
        { line: 2, overlong: true },
        { line: 3, text: "after" },
        { line: 4, overlong: true },
      ]);
    }
  });

  it("examines each character once: a 4 MB line in 1 KB chunks is not rescanned per chunk", async () => {
    const total = 4 * 1024 * 1024;
    const stats: ScanStats = { scanned: 0 };
    const out = await collect(splitLines(chunked(`${"z".repeat(total)}\n`, 1024), { maxRecordChars: total, stats }));
    expect(out).toHaveLength(1);
    expect((out[0] as { text: string }).text.length).toBe(total);
    // The old reader searched the whole pending line again for each chunk: ~ total²/(2·chunk) = 8.6e9 here.
    expect(stats.scanned).toBe(total + 1);
  });
});

describe("jsonFileRecords", () => {
  it("streams the elements of a top-level array, whatever the chunk size, with nasty strings and scalars", async () => {
    const text = ' [ {"a": "]}\\"[{", "n": 12345678901234567890}, [1, [2]], "s,]\\\\", -1.5e3, true, null,\n{"b": {"c": []}} ] \n';
    const expected = [
      { a: ']}"[{', n: "12345678901234567890" },
      [1, [2]],
      "s,]\\",
      -1500,
      true,
      null,
      { b: { c: [] } },
    ];
    for (const size of [1, 2, 5, 13, 1000]) {
      const records = await json(text, size);
      expect(records.map((r) => ("value" in r ? r.value : r.error))).toEqual(expected);
      expect(records.map((r) => r.record)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(records.at(-1)!.line).toBe(2);
    }
  });

  it("takes a document that is not an array as one record, big integers exact", async () => {
    expect(await json('\n {"title": "x", "id": 9007199254740993}', 3)).toEqual([{ record: 1, value: { title: "x", id: "9007199254740993" } }]);
  });

  it("reports broken arrays, trailing data, an empty file and a bad element by record", async () => {
    expect((await json('[{"a": 1} {"b": 2}]', 4)).map((r) => ("error" in r ? r.error : "ok"))).toEqual(["ok", 'invalid JSON: unexpected "{" in the top-level array']);
    expect((await json("[1, 2,]", 2)).at(-1)).toMatchObject({ record: 3, error: 'invalid JSON: unexpected "]" in the top-level array' });
    expect((await json("[1] x", 2)).at(-1)).toMatchObject({ record: 2, error: 'invalid JSON: unexpected "x" after the top-level array' });
    expect((await json('[{"a": 1}, {"b"', 3)).at(-1)).toMatchObject({ record: 2, error: "invalid JSON: the file ends inside the top-level array" });
    expect(await json("  \n ", 2)).toEqual([{ record: 1, error: "invalid JSON: the file is empty" }]);
    const bad = await json('[{"a": tru}, {"b": 2}]', 5);
    expect(bad[0]).toMatchObject({ record: 1, line: 1 });
    expect((bad[0] as { error: string }).error).toMatch(/^invalid JSON: /);
    expect(bad[1]).toEqual({ record: 2, line: 1, value: { b: 2 } });
  });

  it("refuses an element or a document over the cap, naming the record, and stops", async () => {
    const big = `"${"x".repeat(100)}"`;
    for (const size of [7, 500]) {
      expect(await json(`[1, ${big}, 3]`, size, 50)).toEqual([
        { record: 1, line: 1, value: 1 },
        { record: 2, line: 1, error: "record 2 is longer than 50 characters (the cap on one record)" },
      ]);
    }
    expect(await json(`{"a": ${big}}`, 7, 50)).toEqual([{ record: 1, error: "the JSON document is longer than 50 characters (the cap on one record)" }]);
  });

  it("examines each character of one huge element a bounded number of times", async () => {
    const total = 2 * 1024 * 1024;
    const text = `[{"a": "${"q".repeat(total)}"}]`;
    const stats: ScanStats = { scanned: 0 };
    const records = await collect(jsonFileRecords(chunked(text, 1024), { maxRecordChars: total * 2, stats }));
    expect(records).toHaveLength(1);
    expect(stats.scanned).toBe(text.length - 1);
  });
});

describe("openRecords caps every format", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ns-readers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };
  const read = async (at: string, format: "ndjson" | "json" | "csv" | "ocsf", maxRecordChars = 60) =>
    collect<SourceRecord>((await openRecords(at, format, { maxRecordChars })).records);
  const long = "x".repeat(200);

  it("NDJSON (gzip too), JSON, CSV and OCSF name the record that is too long", async () => {
    const nd = `{"title": "a"}\n{"title": "${long}"}\n`;
    for (const at of [file("a.ndjson", nd), file("a.ndjson.gz", gzipSync(nd))]) {
      const records = await read(at, "ndjson");
      expect(records[1]).toEqual({ record: 2, line: 2, error: "line 2 is longer than 60 characters (the cap on one record)" });
    }
    expect((await read(file("a.json", `[{"title": "a"}, {"title": "${long}"}]`), "json"))[1]).toMatchObject({ record: 2, error: /record 2 is longer than 60/ });
    expect((await read(file("a.ocsf.json", `[{"class_uid": 2004}, {"title": "${long}"}]`), "ocsf"))[1]).toMatchObject({ record: 2 });
    const csv = await read(file("a.csv", `title,host\nshort,h\n${long},h\n`), "csv");
    const refused = csv.find((r) => r.error !== undefined);
    expect(refused).toMatchObject({ record: 2, line: 3 });
    expect(refused!.error).toMatch(/max.*record size|exceed/i);
  });

  it("tells OCSF's layout from its first character without reading a whole line", async () => {
    const at = file("findings", `${" ".repeat(10)}[{"class_uid": 2004, "note": "${long}"}]`);
    expect((await read(at, "ocsf", 1000))[0]).toMatchObject({ record: 1, value: { class_uid: 2004 } });
  });
});
