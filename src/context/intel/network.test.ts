import { describe, expect, it } from "vitest";
import { canonicalJson, Indicator } from "../../core/index.js";
import { detectIndicatorType } from "./lists.js";
import { addressKey, coveringKeys, networkKey } from "./network.js";
import { parseStixPattern } from "./stix-pattern.js";
import { indicatorDoc, mergeIndicator } from "./store.js";

describe("intel keys", () => {
  it("canonicalises addresses and networks", () => {
    expect(addressKey("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(addressKey("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(networkKey("198.51.100.77/24")).toBe("198.51.100.0/24");
    expect(networkKey("198.51.100.77/32")).toBe("198.51.100.77");
    expect(networkKey("2001:db8:abcd::/33")).toBe("2001:db8:8000::/33");
    expect(networkKey("198.51.100.0/33")).toBeNull();
    expect(networkKey("example.com")).toBeNull();
  });

  it("lists every covering network of an address, narrowest first", () => {
    const keys = coveringKeys("198.51.100.77")!;
    expect(keys).toHaveLength(32);
    expect(keys.slice(0, 3)).toEqual(["198.51.100.77", "198.51.100.76/31", "198.51.100.76/30"]);
    expect(keys).toContain("198.51.100.0/24");
    expect(keys).toContain("128.0.0.0/1");
    expect(coveringKeys("2001:db8::1")).toHaveLength(128);
    expect(coveringKeys("nope")).toBeNull();
  });

  it("detects list value types", () => {
    expect(["10.0.0.0/8", "https://a.example/x", "a".repeat(64), "x@y.example", "sub.y.example", "not a value"].map(detectIndicatorType)).toEqual([
      "ip",
      "url",
      "file_hash",
      "email",
      "domain",
      null,
    ]);
  });

  it("parses STIX grammar corners: quoted hash names, IN lists, escapes, qualifiers", () => {
    const p = parseStixPattern("[file:hashes.'SHA-256' IN ('a', 'b\\'c')] REPEATS 5 TIMES WITHIN 10 SECONDS");
    expect(p.kind).toBe("qualified");
    expect(() => parseStixPattern("[file:name = 'x' AND]")).toThrow();
    expect(() => parseStixPattern("ipv4-addr:value = '1.2.3.4'")).toThrow(/expected "\["/);
  });

  it("writes the same document as canonicalJson and merges agreeing feeds", () => {
    const a = Indicator.parse({ type: "ip", value: "192.0.2.1", source_count: 1, source_total: 1, feed: "a", tags: ["x"], confidence: 50, expires_at: "2026-01-01T00:00:00.000Z" });
    const b = Indicator.parse({ type: "ip", value: "192.0.2.1", source_count: 1, source_total: 1, feed: "b", verdict: "suspicious", first_seen: "2025-01-01T00:00:00.000Z", confidence: 70 });
    const merged = mergeIndicator(mergeIndicator(null, a), b);
    expect(indicatorDoc(merged)).toBe(canonicalJson(merged));
    expect(merged).toMatchObject({ source_count: 2, source_total: 2, sources: ["a", "b"], verdict: "malicious", confidence: 70, tags: ["x"], first_seen: "2025-01-01T00:00:00.000Z" });
    // b has no expiry: the merged record keeps the value for good.
    expect(merged.expires_at).toBeUndefined();
    expect(mergeIndicator(merged, b)).toEqual(merged);
  });
});
