import { describe, expect, it } from "vitest";
import { MAX_DOCUMENT_CHARS, textLines, type LineScanStats } from "./json.js";

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function collect(text: string, size: number, stats?: LineScanStats) {
  const out: ({ line: string } | { overlong: true })[] = [];
  for await (const item of textLines(chunked(text, size), stats)) out.push(item);
  return out;
}

describe("textLines", () => {
  it("cuts lines across any chunking, the last one without its newline too", async () => {
    const text = "a\nbb\n\nccc-ddd\neee";
    for (const size of [1, 2, 3, 5, 100]) expect(await collect(text, size)).toEqual([{ line: "a" }, { line: "bb" }, { line: "" }, { line: "ccc-ddd" }, { line: "eee" }]);
  });

  it("examines each character once, however long a line runs across chunks (no rescans of the pending line)", async () => {
    const long = "x".repeat(4 * 1024 * 1024);
    const stats: LineScanStats = { examined: 0 };
    const lines = await collect(`${long}\nshort\n`, 1024, stats);
    expect(lines).toEqual([{ line: long }, { line: "short" }]);
    expect(stats.examined).toBe(long.length + "\nshort\n".length);
  });

  it("reports a line that runs past the cap once, drops the rest of it, and goes on with the next line", async () => {
    const lines = await collect(`${"y".repeat(MAX_DOCUMENT_CHARS + 9 * 1024 * 1024)}\nafter\n`, 8 * 1024 * 1024);
    expect(lines.map((item) => ("overlong" in item ? "overlong" : item.line.slice(0, 10)))).toEqual(["overlong", "after"]);
  });
});
