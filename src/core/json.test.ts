import { describe, expect, it } from "vitest";
import { parseJson, quoteBigIntegers } from "./json.js";

describe("parseJson keeps big integers exact", () => {
  it("reads two EVE flow_ids that JSON.parse would round to one as different strings", () => {
    const a = parseJson('{"flow_id": 1234567890123456789}') as { flow_id: unknown };
    const b = parseJson('{"flow_id": 1234567890123456788}') as { flow_id: unknown };
    expect(a.flow_id).toBe("1234567890123456789");
    expect(b.flow_id).toBe("1234567890123456788");
    // The defect this guards against:
    expect((JSON.parse('{"flow_id": 1234567890123456789}') as { flow_id: number }).flow_id).toBe(
      (JSON.parse('{"flow_id": 1234567890123456788}') as { flow_id: number }).flow_id,
    );
  });

  it("keeps safe integers, floats and exponents as numbers", () => {
    const text = "[9007199254740991, -9007199254740991, 1.5, 12345678901234567890.5, 1e300, 123456789012345678e2, 0, -0.5]";
    // Floats and exponents are doubles by nature: they read exactly as JSON.parse reads them.
    expect(parseJson(text)).toEqual(JSON.parse(text));
    expect((parseJson(text) as unknown[]).every((v) => typeof v === "number")).toBe(true);
  });

  it("quotes the first unsafe integers at both signs", () => {
    expect(parseJson("[9007199254740992, -9007199254740992, 18446744073709551615]")).toEqual([
      "9007199254740992",
      "-9007199254740992",
      "18446744073709551615",
    ]);
  });

  it("never touches numbers inside strings, escaped quotes included", () => {
    const text = '{"a": "12345678901234567890", "b": "x\\"12345678901234567890\\"", "c\\\\": 12345678901234567891, "d": "\\\\"}';
    expect(parseJson(text)).toEqual({ a: "12345678901234567890", b: 'x"12345678901234567890"', "c\\": "12345678901234567891", d: "\\" });
  });

  it("reaches nested objects and arrays, and keys that look like numbers", () => {
    const text = '{"12345678901234567890": {"ids": [1, 22222222222222222222, {"deep": [-33333333333333333333]}]}, "n": null, "t": true}';
    expect(parseJson(text)).toEqual({ "12345678901234567890": { ids: [1, "22222222222222222222", { deep: ["-33333333333333333333"] }] }, n: null, t: true });
  });

  it("returns the text unchanged when nothing needs quoting, and reports bad JSON as JSON.parse does", () => {
    const plain = '{"a": 1, "b": "12345678901234567890"}';
    expect(quoteBigIntegers(plain)).toBe(plain);
    let expected = "";
    try {
      JSON.parse('{"a": 12345678901234567890,}');
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(() => parseJson('{"a": 12345678901234567890,}')).toThrow(expected);
    expect(() => parseJson('{"a": "12345678901234567890')).toThrow(SyntaxError);
  });

  it("a top-level big integer is a string", () => {
    expect(parseJson("  12345678901234567890 ")).toBe("12345678901234567890");
  });
});
