import { describe, expect, it } from "vitest";
import { compileDetection, fieldValue, type CompileOptions, type SigmaEvent } from "./compile.js";
import { UnsupportedRuleError } from "./rule.js";

function matcher(selection: unknown, options: CompileOptions = {}) {
  return compileDetection({ selection, condition: "selection" }, options);
}

function check(selection: unknown, positive: SigmaEvent, negative: SigmaEvent, options: CompileOptions = {}) {
  const match = matcher(selection, options);
  expect(match(positive)).toBe(true);
  expect(match(negative)).toBe(false);
}

const b64 = (text: string, encoding: BufferEncoding = "utf8") => Buffer.from(text, encoding).toString("base64");

describe("plain values", () => {
  it("matches whole values case-insensitively", () => {
    check({ Image: "C:\\Windows\\cmd.exe" }, { Image: "c:\\windows\\CMD.EXE" }, { Image: "C:\\Windows\\cmd.exe2" });
  });
  it("ANDs the fields of a map", () => {
    check({ A: "x", B: "y" }, { A: "x", B: "y" }, { A: "x", B: "z" });
  });
  it("ORs a value list", () => {
    check({ EventID: [1, 3] }, { EventID: 3 }, { EventID: 2 });
  });
  it("ORs a list of maps", () => {
    const match = matcher([{ A: "1" }, { B: "2" }]);
    expect(match({ B: 2 })).toBe(true);
    expect(match({ A: 2, B: 1 })).toBe(false);
  });
  it("compares numbers and strings by their string form", () => {
    check({ EventID: "4688" }, { EventID: 4688 }, { EventID: 46880 });
    check({ EventID: 4688 }, { EventID: "4688" }, { EventID: "4689" });
  });
  it("matches any element of an array field", () => {
    check({ Tags: "b" }, { Tags: ["a", "B"] }, { Tags: ["a", "c"] });
  });
  it("looks fields up directly, then by dotted path", () => {
    check({ "process.name": "cmd.exe" }, { process: { name: "cmd.exe" } }, { process: { name: "ps.exe" } });
    check({ "a.b": "flat" }, { "a.b": "flat", a: { b: "nested" } }, { a: { b: "nested" } });
    expect(fieldValue({ a: { b: [1] } }, "a.b.c")).toBeUndefined();
  });
  it("null means absent or null", () => {
    check({ Field: null }, { Other: 1 }, { Field: "" });
    expect(matcher({ Field: null })({ Field: null })).toBe(true);
  });
  it("empty string matches only an empty value", () => {
    check({ Field: "" }, { Field: "" }, { Field: "x" });
    expect(matcher({ Field: "" })({})).toBe(false);
  });
});

describe("wildcards and escaping", () => {
  it("* matches any run, ? exactly one character", () => {
    check({ Image: "*\\prog?.exe" }, { Image: "C:\\x\\progA.exe" }, { Image: "C:\\x\\progAB.exe" });
    check({ Image: "a*z" }, { Image: "a\nmiddle\nz" }, { Image: "a-y" });
  });
  it("escaped wildcards are literal", () => {
    check({ Value: "a\\*b" }, { Value: "a*b" }, { Value: "axb" });
    check({ Value: "a\\?b" }, { Value: "a?b" }, { Value: "axb" });
  });
  it("an escaped backslash before a wildcard keeps the wildcard", () => {
    check({ Value: "C:\\\\*" }, { Value: "C:\\anything" }, { Value: "D:\\anything" });
  });
  it("a lone backslash is literal", () => {
    check({ Value: "C:\\Temp" }, { Value: "c:\\temp" }, { Value: "C:Temp" });
  });
  it("regex metacharacters in values are literal", () => {
    check({ Value: "a.b(c)*" }, { Value: "a.b(c)zzz" }, { Value: "axb(c)" });
  });
});

describe("modifiers", () => {
  it("contains", () => check({ "CommandLine|contains": "Invoke-" }, { CommandLine: "x invoke-y" }, { CommandLine: "invoke" }));
  it("startswith", () => check({ "A|startswith": "abc" }, { A: "ABCdef" }, { A: "xabc" }));
  it("endswith", () => check({ "A|endswith": "\\cmd.exe" }, { A: "C:\\CMD.exe" }, { A: "cmd.exe.bak" }));
  it("contains|all", () =>
    check({ "A|contains|all": ["one", "two"] }, { A: "two and one" }, { A: "only one" }));
  it("all over an array field lets different elements satisfy different values", () =>
    check({ "A|contains|all": ["one", "two"] }, { A: ["one", "two"] }, { A: ["one", "three"] }));
  it("exists: true", () => check({ "A|exists": true }, { A: null }, { B: 1 }));
  it("exists: false", () => check({ "A|exists": false }, { B: 1 }, { A: "" }));
  it("cased", () => check({ "A|cased": "Admin" }, { A: "Admin" }, { A: "admin" }));
  it("cased|contains", () => check({ "A|cased|contains": "Ab" }, { A: "xAbx" }, { A: "xabx" }));
  it("neq", () => check({ "A|neq": "x" }, { A: "y" }, { A: "X" }));
  it("neq with a list means different from every value", () =>
    check({ "A|neq": ["x", "y"] }, { A: "z" }, { A: "y" }));
  it("windash", () => {
    const match = matcher({ "CommandLine|windash|contains": " -enc " });
    for (const dash of ["-", "/", "\u2013", "\u2014", "\u2015"]) expect(match({ CommandLine: `ps ${dash}enc AAA` })).toBe(true);
    expect(match({ CommandLine: "ps +enc AAA" })).toBe(false);
  });
  it("re (case-sensitive by default, searched anywhere)", () =>
    check({ "A|re": "ab+c" }, { A: "xxabbbc" }, { A: "ABC" }));
  it("re|i", () => check({ "A|re|i": "^ab+c$" }, { A: "ABBC" }, { A: "ABBCD" }));
  it("re|m", () => check({ "A|re|m": "^two$" }, { A: "one\ntwo\nthree" }, { A: "one two" }));
  it("re|s", () => check({ "A|re|s": "a.b" }, { A: "a\nb" }, { A: "ab" }));
  it("re with a leading (?i)", () => check({ "A|re": "(?i)abc" }, { A: "ABC" }, { A: "ABD" }));
  it("base64", () => check({ "A|base64": "secret" }, { A: b64("secret") }, { A: b64("Secret") }));
  it("base64|contains", () =>
    check({ "A|base64|contains": "secret" }, { A: `xx${b64("secret")}yy` }, { A: b64("public") }));
  it("base64offset|contains finds the value at every alignment", () => {
    const match = matcher({ "A|base64offset|contains": "http://evil" });
    for (const prefix of ["", "a", "ab", "abc", "abcd"]) {
      expect(match({ A: b64(`${prefix}http://evil.example/x`) })).toBe(true);
    }
    expect(match({ A: b64("https://good.example/x") })).toBe(false);
  });
  it("utf16le|base64offset|contains", () => {
    const match = matcher({ "A|utf16le|base64offset|contains": "Invoke-Mimikatz" });
    for (const prefix of ["", "x", "xy"]) expect(match({ A: b64(`${prefix}Invoke-Mimikatz -x`, "utf16le") })).toBe(true);
    expect(match({ A: b64("Invoke-Mimikatz", "utf8") })).toBe(false);
  });
  it("wide|base64offset|contains", () => {
    const match = matcher({ "A|wide|base64offset|contains": "cmd" });
    expect(match({ A: b64("run cmd now", "utf16le") })).toBe(true);
    expect(match({ A: b64("run pwsh now", "utf16le") })).toBe(false);
  });
  it("utf16be|base64", () => {
    const be = Buffer.from("cmd", "utf16le").swap16().toString("base64");
    check({ "A|utf16be|base64": "cmd" }, { A: be }, { A: b64("cmd", "utf16le") });
  });
  it("utf16|base64 prepends the byte order mark", () => {
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("cmd", "utf16le")]).toString("base64");
    check({ "A|utf16|base64": "cmd" }, { A: withBom }, { A: b64("cmd", "utf16le") });
  });
  it("lt / lte / gt / gte", () => {
    check({ "N|lt": 10 }, { N: 9 }, { N: 10 });
    check({ "N|lte": 10 }, { N: "10" }, { N: 11 });
    check({ "N|gt": 10 }, { N: 11 }, { N: 10 });
    check({ "N|gte": 10 }, { N: 10 }, { N: "nine" });
  });
  it("cidr (IPv4)", () => {
    check({ "Ip|cidr": "10.0.0.0/8" }, { Ip: "10.1.2.3" }, { Ip: "11.0.0.1" });
    check({ "Ip|cidr": ["192.168.0.0/16", "172.16.0.0/12"] }, { Ip: "172.31.255.255" }, { Ip: "172.32.0.1" });
  });
  it("cidr (IPv6)", () => {
    check({ "Ip|cidr": "fe80::/10" }, { Ip: "FE80::1%eth0" }, { Ip: "fec0::1" });
    check({ "Ip|cidr": "::ffff:0:0/96" }, { Ip: "::ffff:10.0.0.1" }, { Ip: "2001:db8::1" });
    check({ "Ip|cidr": "2001:db8::/32" }, { Ip: "2001:0db8:0:0:0:0:0:1" }, { Ip: "10.0.0.1" });
  });
  it("fieldref", () => check({ "A|fieldref": "B" }, { A: "Same", B: "same" }, { A: "x", B: "y" }));
  it("fieldref|neq", () => check({ "A|fieldref|neq": "B" }, { A: "x", B: "y" }, { A: "x", B: "x" }));
  it("fieldref|endswith", () =>
    check({ "A|fieldref|endswith": "B" }, { A: "c:\\x\\b.exe", B: "b.exe" }, { A: "c:\\x\\a.exe", B: "b.exe" }));
  it("expand with placeholder values", () => {
    const options = { placeholders: { Admins: ["root", "adm*"] } };
    check({ "User|expand": "%Admins%" }, { User: "admin1" }, { User: "guest" }, options);
    check({ "User|expand": "\\%literal" }, { User: "%literal" }, { User: "\\%literal" }, options);
  });
  it("expand without placeholder values is rejected", () => {
    expect(() => matcher({ "User|expand": "%Admins%" })).toThrow(/needs placeholder values/);
  });
  it("time part modifiers", () => {
    check({ "Time|hour": 3 }, { Time: "2024-01-02T03:04:05Z" }, { Time: "2024-01-02T04:04:05Z" });
    check({ "Time|month|gte": 6 }, { Time: "2024-07-01 00:00:00" }, { Time: "2024-05-31T23:00:00Z" });
  });
  it("rejects unknown modifiers", () => {
    expect(() => matcher({ "A|frobnicate": "x" })).toThrow(UnsupportedRuleError);
    expect(() => matcher({ "A|contains|i": "x" })).toThrow(/without re/);
  });
});

describe("keyword searches", () => {
  it("a keyword list matches any string value anywhere in the event", () => {
    check(["mimikatz", "event::clear"], { a: 1, nested: { b: ["x", "run EVENT::CLEAR"] } }, { a: "clean" });
  });
  it("keywords honour wildcards and cased", () => {
    check(["evil*.exe"], { a: "run EVIL123.exe now" }, { a: "evil.dll" });
    check({ "|cased": ["Evil"] }, { a: "xEvilx" }, { a: "xevilx" });
  });
  it("'|all' keywords must all appear", () => {
    check({ "|all": ["Oab", " -ExternalUrl "] }, { a: "Set-OabVirtualDirectory -ExternalUrl x" }, { a: "Oab only" });
  });
  it("cased and uncased keyword rules agree on one shared event", () => {
    const event = { a: "Mixed Case Value" };
    expect(matcher(["mixed case"])(event)).toBe(true);
    expect(matcher({ "|cased": ["mixed case"] })(event)).toBe(false);
    expect(matcher({ "|cased": ["Mixed Case"] })(event)).toBe(true);
    expect(matcher(["mixed case"])(event)).toBe(true);
  });
  it("keywords match numbers by their string form", () => {
    check(["4625"], { EventID: 4625 }, { EventID: 4624 });
  });
});

describe("conditions", () => {
  const detection = {
    sel_a: { A: "1" },
    sel_b: { B: "1" },
    filter: { C: "1" },
    _hidden: { D: "1" },
  };
  const run = (condition: unknown, event: SigmaEvent) => compileDetection({ ...detection, condition })(event);

  it("and", () => {
    expect(run("sel_a and sel_b", { A: 1, B: 1 })).toBe(true);
    expect(run("sel_a and sel_b", { A: 1 })).toBe(false);
  });
  it("or", () => {
    expect(run("sel_a or sel_b", { B: 1 })).toBe(true);
    expect(run("sel_a or sel_b", { C: 1 })).toBe(false);
  });
  it("not", () => {
    expect(run("sel_a and not filter", { A: 1 })).toBe(true);
    expect(run("sel_a and not filter", { A: 1, C: 1 })).toBe(false);
  });
  it("and binds tighter than or", () => {
    expect(run("sel_a or sel_b and filter", { A: 1 })).toBe(true);
    expect(run("sel_a or sel_b and filter", { B: 1 })).toBe(false);
  });
  it("parentheses", () => {
    expect(run("(sel_a or sel_b) and filter", { B: 1, C: 1 })).toBe(true);
    expect(run("(sel_a or sel_b) and filter", { A: 1 })).toBe(false);
  });
  it("not binds tighter than and", () => {
    expect(run("not sel_a and sel_b", { B: 1 })).toBe(true);
    expect(run("not sel_a and sel_b", { A: 1, B: 1 })).toBe(false);
  });
  it("1 of pattern", () => {
    expect(run("1 of sel_*", { B: 1 })).toBe(true);
    expect(run("1 of sel_*", { C: 1 })).toBe(false);
  });
  it("all of pattern", () => {
    expect(run("all of sel_*", { A: 1, B: 1 })).toBe(true);
    expect(run("all of sel_*", { A: 1 })).toBe(false);
  });
  it("1 of them ignores identifiers starting with _", () => {
    expect(run("1 of them", { C: 1 })).toBe(true);
    expect(run("1 of them", { D: 1 })).toBe(false);
  });
  it("all of them", () => {
    expect(run("all of them", { A: 1, B: 1, C: 1 })).toBe(true);
    expect(run("all of them", { A: 1, B: 1 })).toBe(false);
  });
  it("1 of pattern and not 1 of pattern", () => {
    expect(run("1 of sel_* and not 1 of fil*", { A: 1 })).toBe(true);
    expect(run("1 of sel_* and not 1 of fil*", { A: 1, C: 1 })).toBe(false);
  });
  it("a list of conditions is their OR", () => {
    expect(run(["sel_a", "sel_b"], { B: 1 })).toBe(true);
    expect(run(["sel_a", "sel_b"], { C: 1 })).toBe(false);
  });
  it("rejects aggregations, unknown identifiers and broken syntax", () => {
    expect(() => run("sel_a | count() > 5", {})).toThrow(UnsupportedRuleError);
    expect(() => run("sel_a and nothing", {})).toThrow(/unknown search identifier/);
    expect(() => run("1 of nothing*", {})).toThrow(/no search identifier/);
    expect(() => run("(sel_a", {})).toThrow(/missing \)/);
    expect(() => run("sel_a sel_b", {})).toThrow(/unexpected/);
  });
});
