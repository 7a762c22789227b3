import { describe, expect, it } from "vitest";
import { createTokenCounter } from "../runtime/tokens.js";
import { countTokens, fitResult, renderListPage, renderTextPage } from "./budget.js";
import { createResultStore } from "./results.js";
import type { ResultBudget } from "./tool.js";

const counter = createTokenCounter();

function ctx(maxTokens: number) {
  const budget: ResultBudget = { maxTokens, counter };
  return { results: createResultStore(), budget };
}

function event(i: number, size = 1000) {
  return {
    id: `evt-${String(i).padStart(6, "0")}`,
    time: new Date(Date.UTC(2026, 10, 24, 9, 0, i)).toISOString(),
    host: "ws-01.corp.local",
    process: "C:\\Windows\\System32\\cmd.exe",
    data: { CommandLine: `cmd.exe /c echo ${"x".repeat(size)} ${i}`, EventID: 1 },
  };
}

describe("fitResult", () => {
  it("passes a result that fits whole, counted exactly, with no handle", () => {
    const c = ctx(1000);
    const value = { alert: { id: "a-1", title: "DNS lookup of c2.example" } };
    const result = fitResult("get_alert", value, c);
    expect(result).toMatchObject({ ok: true, truncated: false, handle: null, error: null, full: value });
    expect(result.content).toBe(JSON.stringify(value));
    expect(result.tokens).toBe(counter.count(result.content));
    expect(c.results.list()).toHaveLength(0);
  });

  it("keeps 5 MB of events behind a handle and puts a first page within the budget in the context", () => {
    const events = Array.from({ length: 5000 }, (_, i) => event(i));
    const value = { total: 5000, next_cursor: "abc", events };
    expect(JSON.stringify(value).length).toBeGreaterThan(5_000_000);
    const c = ctx(2000);
    const result = fitResult("search_events", value, c);
    expect(result.truncated).toBe(true);
    expect(result.handle).toBe("r-1");
    expect(result.tokens).toBeLessThanOrEqual(2000);
    expect(countTokens(counter, result.content)).toBe(result.tokens);
    const page = JSON.parse(result.content) as Record<string, unknown> & { events: { id: string }[] };
    expect(page).toMatchObject({ handle: "r-1", total_items: 5000, page: 1, next_page: 2, total: 5000, next_cursor: "abc" });
    expect(page.returned).toBe(page.events.length);
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.map((e) => e.id)).toEqual(events.slice(0, page.events.length).map((e) => e.id));
    expect(String(page.note)).toContain("read_result");
    expect(result.full).toBe(value);
    expect(c.results.get("r-1")?.total_items).toBe(5000);

    // Page 2 and 3 carry on exactly where the previous page stopped.
    const stored = c.results.get("r-1")!;
    const second = renderListPage(stored, { page: 2 }, c.budget);
    expect(second.tokens).toBeLessThanOrEqual(2000);
    const p2 = JSON.parse(second.content) as { events: { id: string }[]; offset: number; next_page: number };
    expect(p2.offset).toBe(page.events.length);
    expect(p2.events[0]!.id).toBe(events[page.events.length]!.id);
    expect(p2.next_page).toBe(3);
  });

  it("pages a list through to its end, every item exactly once, in order", () => {
    const items = Array.from({ length: 120 }, (_, i) => ({ n: i, text: `item ${i} ${"y".repeat(i * 7)}` }));
    const c = ctx(600);
    const first = fitResult("list", items, c);
    const seen: number[] = [];
    let page = JSON.parse(first.content) as { items: { n: number }[]; next_page: number | null };
    seen.push(...page.items.map((i) => i.n));
    const stored = c.results.get(first.handle!)!;
    while (page.next_page !== null) {
      const next = renderListPage(stored, { page: page.next_page }, c.budget);
      expect(next.tokens).toBeLessThanOrEqual(600);
      page = JSON.parse(next.content) as typeof page;
      seen.push(...page.items.map((i) => i.n));
    }
    expect(seen).toEqual(items.map((i) => i.n));
  });

  it("cuts one 2 MB string with a marker and reads on from next_offset", () => {
    const text = "lorem ipsum dolor sit amet ".repeat(80_000);
    expect(text.length).toBeGreaterThan(2_000_000);
    const c = ctx(1500);
    const result = fitResult("get_alert", text, c);
    expect(result.truncated).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(1500);
    const page = JSON.parse(result.content) as { text: string; next_offset: number; total_chars: number; handle: string };
    expect(page.total_chars).toBe(text.length);
    expect(text.startsWith(page.text)).toBe(true);
    expect(page.next_offset).toBe(page.text.length);
    const next = renderTextPage(c.results.get(page.handle)!, text, page.next_offset, c.budget);
    expect(next.tokens).toBeLessThanOrEqual(1500);
    const p2 = JSON.parse(next.content) as { text: string; offset: number };
    expect(p2.offset).toBe(page.text.length);
    expect(text.slice(p2.offset).startsWith(p2.text)).toBe(true);
  });

  it("cuts long strings inside a non-list value, marking each cut", () => {
    const value = { alert: { id: "a-1", raw: "A".repeat(2_000_000) }, tree: { name: "x" } };
    const c = ctx(800);
    const result = fitResult("get_alert", value, c);
    expect(result.tokens).toBeLessThanOrEqual(800);
    const page = JSON.parse(result.content) as { value: { alert: { id: string; raw: string } }; handle: string };
    expect(page.value.alert.id).toBe("a-1");
    expect(page.value.alert.raw).toMatch(/…\[cut: \d+ of 2000000 chars; read_result r-1\]$/);
  });

  it("cuts a list item larger than the whole budget rather than stalling", () => {
    const items = [{ id: 1, blob: "Z".repeat(300_000) }, { id: 2 }];
    const c = ctx(500);
    const result = fitResult("list", items, c);
    expect(result.tokens).toBeLessThanOrEqual(500);
    const page = JSON.parse(result.content) as { items: { id: number }[]; returned: number; item_truncated: boolean; next_page: number };
    expect(page).toMatchObject({ returned: 1, item_truncated: true, next_page: 2 });
    expect(page.items[0]!.id).toBe(1);
  });

  it("counts long single-class runs as their byte length: an upper bound, never handed to the BPE whole", () => {
    const plain = "ordinary words, numbers 12345 and {json: true}";
    expect(countTokens(counter, plain)).toBe(counter.count(plain));
    const run = "y".repeat(200);
    expect(countTokens(counter, `a ${run} b`)).toBe(counter.count("a ") + 200 + counter.count(" b"));
    expect(countTokens(counter, "y".repeat(120))).toBeGreaterThanOrEqual(counter.count("y".repeat(120)));
    // 300,000 Japanese characters without a space: a minute per 8,000 through the BPE; here it is cut and fits.
    const subject = "これは日本語の長い件名です".repeat(25_000);
    const result = fitResult("get_alert", { email: { subject } }, ctx(1000));
    expect(result.tokens).toBeLessThanOrEqual(1000);
    expect(result.truncated).toBe(true);
  });

  it("never exceeds the budget, whatever its size and the text's script", () => {
    const mixed = Array.from({ length: 400 }, (_, i) => ({ i, s: "日本語のテキスト🙂".repeat(50 + i), d: { deep: [i, `${i}`.repeat(30)] } }));
    for (const max of [64, 200, 1000, 5000]) {
      const result = fitResult("mixed", mixed, ctx(max));
      expect(result.tokens).toBeLessThanOrEqual(max);
      expect(counter.count(result.content)).toBeLessThanOrEqual(result.tokens);
    }
  });
});
