import { UnsupportedRuleError } from "./rule.js";

export type SigmaEvent = Record<string, unknown>;
export type Matcher = (event: SigmaEvent) => boolean;

export type CompileOptions = {
  /** Values for `|expand` placeholders, keyed by name without the percent signs (e.g. `Administrators`). */
  placeholders?: Record<string, readonly string[]>;
};

const NEVER: Matcher = () => false;
const ALWAYS: Matcher = () => true;

// ---------------------------------------------------------------------------------------------------------
// Field access

/** Direct key first (flattened events such as `Event.EventData` keys), then a dotted path into nested objects. */
export function fieldValue(event: SigmaEvent, name: string): unknown {
  if (Object.hasOwn(event, name)) return event[name];
  if (!name.includes(".")) return undefined;
  let current: unknown = event;
  for (const part of name.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return undefined;
}

/** A test on one scalar event value; arrays in the event match when any element matches. */
type ValueTest = (value: unknown) => boolean;

function anyElement(test: ValueTest): ValueTest {
  return (value) => (Array.isArray(value) ? value.some((v) => test(v)) : test(value));
}

// ---------------------------------------------------------------------------------------------------------
// Sigma strings: literal text with `*` / `?` wildcards, after escape processing

type Part = string | { wildcard: "*" | "?" };
type SigmaString = Part[];

function parseSigmaString(raw: string): SigmaString {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === "\\") {
      const next = raw[i + 1];
      if (next === "*" || next === "?" || next === "\\") {
        literal += next;
        i++;
      } else {
        literal += char;
      }
    } else if (char === "*" || char === "?") {
      if (literal) parts.push(literal);
      literal = "";
      parts.push({ wildcard: char });
    } else {
      literal += char;
    }
  }
  if (literal) parts.push(literal);
  return parts;
}

function plainText(value: SigmaString, modifier: string): string {
  if (value.some((part) => typeof part !== "string")) {
    throw new UnsupportedRuleError(`${modifier} on a value with wildcards`);
  }
  return value.join("");
}

function isStar(part: Part | undefined): boolean {
  return part !== undefined && typeof part !== "string" && part.wildcard === "*";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Case folding for one field's tests: the tests of a field run one after another on the same text, so one entry suffices. */
function folder(cased: boolean): (text: string) => string {
  if (cased) return (text) => text;
  let last: string | undefined;
  let lastFolded = "";
  return (text) => {
    if (text !== last) {
      last = text;
      lastFolded = text.toLowerCase();
    }
    return lastFolded;
  };
}

type StringPattern =
  | { kind: "equals" | "contains" | "startswith" | "endswith"; needle: string }
  | { kind: "regex"; regex: RegExp };

/** Exact / prefix / suffix / substring when the wildcards allow it, else an anchored regex; on case-folded text. */
function stringPattern(value: SigmaString, cased: boolean): StringPattern {
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  const leading = isStar(value[0]);
  const trailing = value.length > 1 && isStar(value[value.length - 1]);
  const middle = value.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (middle.every((part) => typeof part === "string")) {
    const needle = fold(middle.join(""));
    const kind = leading && trailing ? "contains" : leading ? "endswith" : trailing ? "startswith" : "equals";
    return { kind, needle };
  }
  const source = value
    .map((part) => (typeof part === "string" ? escapeRegExp(fold(part)) : part.wildcard === "*" ? "[\\s\\S]*" : "[\\s\\S]"))
    .join("");
  return { kind: "regex", regex: new RegExp(`^${source}$`, "u") };
}

function patternTest(pattern: StringPattern): (folded: string) => boolean {
  switch (pattern.kind) {
    case "equals":
      return (text) => text === pattern.needle;
    case "contains":
      return (text) => text.includes(pattern.needle);
    case "startswith":
      return (text) => text.startsWith(pattern.needle);
    case "endswith":
      return (text) => text.endsWith(pattern.needle);
    case "regex":
      return (text) => pattern.regex.test(text);
  }
}

/** One test for the OR of many patterns: a set lookup for exact values, plain loops for the rest. */
function anyPatternTest(patterns: readonly StringPattern[]): (folded: string) => boolean {
  const exact = new Set<string>();
  const infixes: string[] = [];
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const regexes: RegExp[] = [];
  for (const p of patterns) {
    if (p.kind === "equals") exact.add(p.needle);
    else if (p.kind === "contains") infixes.push(p.needle);
    else if (p.kind === "startswith") prefixes.push(p.needle);
    else if (p.kind === "endswith") suffixes.push(p.needle);
    else if (p.kind === "regex") regexes.push(p.regex);
  }
  if (patterns.length === 1) return patternTest(patterns[0]!);
  return (text) => {
    if (exact.size > 0 && exact.has(text)) return true;
    for (const needle of infixes) if (text.includes(needle)) return true;
    for (const needle of prefixes) if (text.startsWith(needle)) return true;
    for (const needle of suffixes) if (text.endsWith(needle)) return true;
    for (const regex of regexes) if (regex.test(text)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Modifiers

const TYPE_MODIFIERS = new Set(["re", "cidr", "lt", "lte", "gt", "gte", "fieldref", "exists"]);
const TIME_PARTS = new Set(["minute", "hour", "day", "week", "month", "year"]);
const KNOWN_MODIFIERS = new Set([
  ...TYPE_MODIFIERS,
  ...TIME_PARTS,
  "contains",
  "startswith",
  "endswith",
  "all",
  "cased",
  "neq",
  "windash",
  "base64",
  "base64offset",
  "utf16le",
  "wide",
  "utf16be",
  "utf16",
  "expand",
  "i",
  "m",
  "s",
  "ignorecase",
  "multiline",
  "dotall",
]);

const DASHES = ["-", "/", "\u2013", "\u2014", "\u2015"];
const MAX_EXPANSION = 1024;

/** Intermediate value while transformation modifiers apply in order. */
type Working = { kind: "string"; value: SigmaString } | { kind: "bytes"; value: Buffer };

function windashVariants(value: SigmaString): SigmaString[] {
  let variants: SigmaString[] = [[]];
  for (const part of value) {
    if (typeof part !== "string") {
      variants = variants.map((v) => [...v, part]);
      continue;
    }
    let texts = [""];
    for (const char of part) {
      texts = DASHES.includes(char) ? texts.flatMap((t) => DASHES.map((d) => t + d)) : texts.map((t) => t + char);
      if (texts.length * variants.length > MAX_EXPANSION) throw new UnsupportedRuleError("windash expansion too large");
    }
    variants = variants.flatMap((v) => texts.map((t) => [...v, t]));
  }
  return variants;
}

function encodeUtf16(text: string, modifier: string): Buffer {
  const le = Buffer.from(text, "utf16le");
  if (modifier === "utf16le" || modifier === "wide") return le;
  const be = Buffer.from(le);
  be.swap16();
  if (modifier === "utf16be") return be;
  return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
}

function bytesOf(working: Working, modifier: string): Buffer {
  return working.kind === "bytes" ? working.value : Buffer.from(plainText(working.value, modifier), "utf8");
}

function base64OffsetVariants(bytes: Buffer): string[] {
  const startTrim = [0, 2, 3];
  const endTrim = [0, 3, 2];
  const variants: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString("base64");
    const trim = endTrim[(bytes.length + shift) % 3]!;
    variants.push(encoded.slice(startTrim[shift]!, encoded.length - trim));
  }
  return [...new Set(variants)];
}

function expandPlaceholders(raw: string, placeholders: Record<string, readonly string[]>): string[] {
  const pieces = raw.split(/(?<!\\)(%[^%\s]+%)/);
  let results = [""];
  for (const piece of pieces) {
    if (/^%[^%\s]+%$/.test(piece)) {
      const name = piece.slice(1, -1);
      const values = placeholders[name];
      if (!values || values.length === 0) throw new UnsupportedRuleError(`needs placeholder values: ${piece}`);
      results = results.flatMap((r) => values.map((v) => r + v));
      if (results.length > MAX_EXPANSION) throw new UnsupportedRuleError("placeholder expansion too large");
    } else {
      const literal = piece.replaceAll("\\%", "%");
      results = results.map((r) => r + literal);
    }
  }
  return results;
}

/** The rule's values after transformation modifiers, each ready for a type-specific test. */
function transformValues(
  rawValues: readonly unknown[],
  modifiers: readonly string[],
  options: CompileOptions,
): { values: SigmaString[]; encoded: boolean } {
  let encoded = false;
  let working: Working[] = [];
  const expand = modifiers.includes("expand");
  for (const raw of rawValues) {
    const text = scalarText(raw);
    if (text === undefined) throw new UnsupportedRuleError(`value of type ${raw === null ? "null" : typeof raw} in a list`);
    const texts = expand && typeof raw === "string" ? expandPlaceholders(raw, options.placeholders ?? {}) : [text];
    for (const t of texts) working.push({ kind: "string", value: typeof raw === "string" ? parseSigmaString(t) : [t] });
  }
  for (const modifier of modifiers) {
    switch (modifier) {
      case "windash":
        working = working.flatMap((w): Working[] =>
          w.kind === "string" ? windashVariants(w.value).map((value) => ({ kind: "string" as const, value })) : [w],
        );
        break;
      case "utf16le":
      case "wide":
      case "utf16be":
      case "utf16":
        working = working.map((w) => {
          if (w.kind === "bytes") throw new UnsupportedRuleError(`${modifier} applied twice`);
          return { kind: "bytes", value: encodeUtf16(plainText(w.value, modifier), modifier) };
        });
        break;
      case "base64":
        working = working.map((w) => ({ kind: "string", value: [bytesOf(w, modifier).toString("base64")] }));
        encoded = true;
        break;
      case "base64offset":
        working = working.flatMap((w) =>
          base64OffsetVariants(bytesOf(w, modifier)).map((text) => ({ kind: "string" as const, value: [text] })),
        );
        encoded = true;
        break;
      case "contains":
      case "startswith":
      case "endswith":
        working = working.map((w) => {
          if (w.kind === "bytes") throw new UnsupportedRuleError(`${modifier} on undecoded bytes`);
          let value = w.value;
          if (modifier !== "startswith" && !isStar(value[0])) value = [{ wildcard: "*" }, ...value];
          if (modifier !== "endswith" && !isStar(value[value.length - 1])) value = [...value, { wildcard: "*" }];
          return { kind: "string", value };
        });
        break;
      default:
        break;
    }
  }
  const values = working.map((w) => {
    if (w.kind === "bytes") throw new UnsupportedRuleError("utf16 encoding without base64");
    return w.value;
  });
  return { values, encoded };
}

// ---------------------------------------------------------------------------------------------------------
// IP addresses

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let result = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    result = (result << 8n) | BigInt(octet);
  }
  return result;
}

function parseIPv6(input: string): bigint | undefined {
  let text = input.replace(/^\[|\]$/g, "");
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(":")) return undefined;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = parseIPv4(last);
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === "" ? [] : s.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(missing, 0)).fill("0"), ...rest];
  let result = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    result = (result << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail.length === 2) result = (result & ~0xffffffffn) | (tail[0]! << 16n) | tail[1]!;
  return result;
}

function cidrTest(spec: string): ValueTest {
  const [address = "", prefixText] = spec.trim().split("/");
  const v4 = parseIPv4(address);
  const v6 = v4 === undefined ? parseIPv6(address) : undefined;
  const bits = v4 !== undefined ? 32 : 128;
  const network = v4 ?? v6;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (network === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new UnsupportedRuleError(`invalid cidr ${spec}`);
  }
  const shift = BigInt(bits - prefix);
  const base = network >> shift;
  return (value) => {
    const text = scalarText(value);
    if (text === undefined) return false;
    const trimmed = text.trim();
    const ip = bits === 32 ? parseIPv4(trimmed) : parseIPv6(trimmed);
    return ip !== undefined && ip >> shift === base;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Field items

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value.trim());
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

function timePart(part: string): (value: unknown) => number | undefined {
  return (value) => {
    const text = scalarText(value);
    if (text === undefined) return undefined;
    const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
    if (Number.isNaN(date.getTime())) return undefined;
    switch (part) {
      case "minute":
        return date.getUTCMinutes();
      case "hour":
        return date.getUTCHours();
      case "day":
        return date.getUTCDate();
      case "month":
        return date.getUTCMonth() + 1;
      case "year":
        return date.getUTCFullYear();
      default: {
        const start = Date.UTC(date.getUTCFullYear(), 0, 1);
        return Math.floor((date.getTime() - start) / (7 * 86_400_000)) + 1;
      }
    }
  };
}

function numericTest(modifier: string, bound: number): (n: number) => boolean {
  switch (modifier) {
    case "lt":
      return (n) => n < bound;
    case "lte":
      return (n) => n <= bound;
    case "gt":
      return (n) => n > bound;
    case "gte":
      return (n) => n >= bound;
    default:
      return (n) => n === bound;
  }
}

function regexFlags(modifiers: readonly string[]): string {
  let flags = "";
  if (modifiers.includes("i") || modifiers.includes("ignorecase")) flags += "i";
  if (modifiers.includes("m") || modifiers.includes("multiline")) flags += "m";
  if (modifiers.includes("s") || modifiers.includes("dotall")) flags += "s";
  return flags;
}

function compileRegex(pattern: string, modifiers: readonly string[]): RegExp {
  let source = pattern;
  let flags = regexFlags(modifiers);
  // PCRE-style leading inline flags are common in rules; JavaScript only takes them as RegExp flags.
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const flag of inline[1]!) if (!flags.includes(flag)) flags += flag;
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new UnsupportedRuleError(`regex not supported: ${(error as Error).message}`);
  }
}

function combine(tests: ValueTest[], all: boolean): ValueTest {
  if (tests.length === 1) return tests[0]!;
  return all ? (value) => tests.every((t) => t(value)) : (value) => tests.some((t) => t(value));
}

/** Compiles `field|modifiers: values` into a matcher on the event. */
function compileFieldItem(key: string, rawValue: unknown, options: CompileOptions): Matcher {
  const [field = "", ...modifiers] = key.split("|");
  for (const modifier of modifiers) {
    if (!KNOWN_MODIFIERS.has(modifier)) throw new UnsupportedRuleError(`modifier ${modifier}`);
  }
  const has = (m: string) => modifiers.includes(m);
  const regexOnly = modifiers.find((m) => ["i", "m", "s", "ignorecase", "multiline", "dotall"].includes(m));
  if (regexOnly !== undefined && !has("re")) throw new UnsupportedRuleError(`modifier ${regexOnly} without re`);
  if (field === "") return compileKeywords(Array.isArray(rawValue) ? rawValue : [rawValue], modifiers, options);

  if (has("exists")) {
    if (typeof rawValue !== "boolean") throw new UnsupportedRuleError("exists needs true or false");
    return (event) => (fieldValue(event, field) !== undefined) === rawValue;
  }

  const rawValues = Array.isArray(rawValue) ? rawValue : [rawValue];
  if (rawValues.length === 0) throw new UnsupportedRuleError(`empty value list for ${field}`);
  if (rawValues.some((v) => Array.isArray(v) || (typeof v === "object" && v !== null))) {
    throw new UnsupportedRuleError(`nested value for ${field}`);
  }
  const nullWanted = rawValues.some((v) => v === null);
  const concrete = rawValues.filter((v) => v !== null);
  const all = has("all");
  const cased = has("cased");

  const tests: ValueTest[] = [];
  if (concrete.length > 0) {
    const timeModifier = modifiers.find((m) => TIME_PARTS.has(m));
    const numericModifier = modifiers.find((m) => m === "lt" || m === "lte" || m === "gt" || m === "gte");
    if (timeModifier !== undefined || numericModifier !== undefined) {
      const extract = timeModifier !== undefined ? timePart(timeModifier) : numberOf;
      for (const raw of concrete) {
        const bound = numberOf(raw);
        if (bound === undefined) throw new UnsupportedRuleError(`non-numeric value for ${numericModifier ?? timeModifier}`);
        const compare = numericTest(numericModifier ?? "eq", bound);
        tests.push((value) => {
          const n = extract(value);
          return n !== undefined && compare(n);
        });
      }
    } else if (has("re")) {
      for (const raw of concrete) {
        if (typeof raw !== "string") throw new UnsupportedRuleError("re needs a string");
        const regex = compileRegex(raw, modifiers);
        tests.push((value) => {
          const text = scalarText(value);
          return text !== undefined && regex.test(text);
        });
      }
    } else if (has("cidr")) {
      for (const raw of concrete) tests.push(cidrTest(String(raw)));
    } else if (has("fieldref")) {
      const refs = concrete.map(String);
      const placement = has("contains") ? "contains" : has("startswith") ? "startswith" : has("endswith") ? "endswith" : "equals";
      const refTests = refs.map((ref) => (event: SigmaEvent, value: unknown): boolean => {
        const other = scalarText(fieldValue(event, ref));
        const text = scalarText(value);
        if (other === undefined || text === undefined) return false;
        const a = cased ? text : text.toLowerCase();
        const b = cased ? other : other.toLowerCase();
        if (placement === "contains") return a.includes(b);
        if (placement === "startswith") return a.startsWith(b);
        if (placement === "endswith") return a.endsWith(b);
        return a === b;
      });
      const neq = has("neq");
      return (event) => {
        const value = fieldValue(event, field);
        const element = (v: unknown) => (all ? refTests.every((t) => t(event, v)) : refTests.some((t) => t(event, v)));
        const hit = Array.isArray(value) ? value.some(element) : element(value);
        return neq ? !hit : hit;
      };
    } else {
      const { values, encoded } = transformValues(concrete, modifiers, options);
      const fold = folder(cased || encoded);
      const patterns = values.map((value) => stringPattern(value, cased || encoded));
      const groups = all ? patterns.map((p) => patternTest(p)) : [anyPatternTest(patterns)];
      for (const test of groups) {
        tests.push((v) => {
          const text = scalarText(v);
          return text !== undefined && test(fold(text));
        });
      }
    }
  }

  let valueMatcher: Matcher = NEVER;
  if (tests.length > 0) {
    const combined = anyElement(combine(tests, all));
    // `all` over a list must hold for the field as a whole: any element of an array may satisfy each value.
    const allOverArray: ValueTest = (value) =>
      Array.isArray(value) ? tests.every((t) => value.some((v) => t(v))) : tests.every((t) => t(value));
    const test = all ? allOverArray : combined;
    valueMatcher = (event) => {
      const value = fieldValue(event, field);
      return value !== undefined && value !== null && test(value);
    };
  }
  let matcher: Matcher = valueMatcher;
  if (nullWanted) {
    const isNull: Matcher = (event) => {
      const value = fieldValue(event, field);
      return value === undefined || value === null;
    };
    matcher = tests.length > 0 ? (event) => isNull(event) || valueMatcher(event) : isNull;
  }
  if (has("neq")) {
    const positive = matcher;
    return (event) => !positive(event);
  }
  return matcher;
}

function* stringValues(value: unknown, depth = 0): Generator<string> {
  if (depth > 32) return;
  const text = scalarText(value);
  if (text !== undefined) {
    yield text;
  } else if (Array.isArray(value)) {
    for (const v of value) yield* stringValues(v, depth + 1);
  } else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) yield* stringValues(v, depth + 1);
  }
}

type EventTexts = { raw: string[]; folded: string[] | undefined };
// Every keyword rule scans all of an event's values; collect (and lowercase) them once per event object.
// Events are therefore treated as immutable once matching has started.
const eventTexts = new WeakMap<SigmaEvent, EventTexts>();

function textsOf(event: SigmaEvent, cased: boolean): string[] {
  let entry = eventTexts.get(event);
  if (entry === undefined) {
    entry = { raw: [...stringValues(event)], folded: undefined };
    eventTexts.set(event, entry);
  }
  if (cased) return entry.raw;
  entry.folded ??= entry.raw.map((text) => text.toLowerCase());
  return entry.folded;
}

/** Keywords are searched in every value of the event; a keyword without wildcards matches as a substring. */
function compileKeywords(rawValues: readonly unknown[], modifiers: readonly string[], options: CompileOptions): Matcher {
  if (rawValues.length === 0) throw new UnsupportedRuleError("empty keyword list");
  if (rawValues.some((v) => v === null || typeof v === "object")) throw new UnsupportedRuleError("non-scalar keyword");
  const unsupported = modifiers.filter((m) => TYPE_MODIFIERS.has(m) || TIME_PARTS.has(m) || m === "neq");
  if (unsupported.length > 0) throw new UnsupportedRuleError(`keyword modifier ${unsupported[0]}`);
  const wrap = modifiers.some((m) => m === "contains" || m === "startswith" || m === "endswith") ? modifiers : [...modifiers, "contains"];
  const { values, encoded } = transformValues(rawValues, wrap, options);
  const cased = modifiers.includes("cased") || encoded;
  const patterns = values.map((value) => stringPattern(value, cased));
  if (modifiers.includes("all") && patterns.length > 1) {
    const tests = patterns.map(patternTest);
    return (event) => {
      const texts = textsOf(event, cased);
      return tests.every((test) => texts.some((text) => test(text)));
    };
  }
  const test = anyPatternTest(patterns);
  return (event) => {
    for (const text of textsOf(event, cased)) if (test(text)) return true;
    return false;
  };
}

function compileMap(map: Record<string, unknown>, options: CompileOptions): Matcher {
  const matchers = Object.entries(map).map(([key, value]) => compileFieldItem(key, value, options));
  if (matchers.length === 0) return ALWAYS;
  if (matchers.length === 1) return matchers[0]!;
  return (event) => {
    for (const m of matchers) if (!m(event)) return false;
    return true;
  };
}

/** Compiles one search identifier's definition (map, list of maps, or keyword list). */
export function compileSearch(definition: unknown, options: CompileOptions = {}): Matcher {
  if (Array.isArray(definition)) {
    if (definition.length === 0) throw new UnsupportedRuleError("empty search list");
    const maps = definition.filter((d) => typeof d === "object" && d !== null && !Array.isArray(d));
    const scalars = definition.filter((d) => scalarText(d) !== undefined);
    if (maps.length + scalars.length !== definition.length) throw new UnsupportedRuleError("unsupported search list item");
    const matchers = maps.map((m) => compileMap(m as Record<string, unknown>, options));
    if (scalars.length > 0) matchers.push(compileKeywords(scalars, [], options));
    if (matchers.length === 1) return matchers[0]!;
    return (event) => {
      for (const m of matchers) if (m(event)) return true;
      return false;
    };
  }
  if (typeof definition === "object" && definition !== null) return compileMap(definition as Record<string, unknown>, options);
  if (scalarText(definition) !== undefined) return compileKeywords([definition], [], options);
  throw new UnsupportedRuleError("search identifier is neither a map nor a list");
}

// ---------------------------------------------------------------------------------------------------------
// Conditions

type Token = { kind: "(" | ")" | "and" | "or" | "not" | "of" | "word"; text: string };

function tokenize(condition: string): Token[] {
  if (condition.includes("|")) throw new UnsupportedRuleError("aggregation in condition");
  const tokens: Token[] = [];
  const pattern = /\s*(\(|\)|[^\s()]+)/gy;
  let match: RegExpExecArray | null;
  let position = 0;
  while ((match = pattern.exec(condition)) !== null) {
    position = pattern.lastIndex;
    const text = match[1]!;
    const lower = text.toLowerCase();
    if (text === "(" || text === ")") tokens.push({ kind: text, text });
    else if (lower === "and" || lower === "or" || lower === "not" || lower === "of") tokens.push({ kind: lower, text });
    else tokens.push({ kind: "word", text });
  }
  if (condition.slice(position).trim() !== "") throw new UnsupportedRuleError(`cannot read condition: ${condition}`);
  return tokens;
}

function wildcardRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`);
}

/** What a condition combines: matchers when compiling, requirements when deriving the prefilter. */
interface ConditionAlgebra<T> {
  and(operands: T[]): T;
  or(operands: T[]): T;
  not(operand: T): T;
  /** At least `count` of `operands` (1 for `1 of` / `any of`). */
  atLeast(count: number, operands: T[]): T;
}

const MATCHER_ALGEBRA: ConditionAlgebra<Matcher> = {
  and: (operands) => (event) => {
    for (const m of operands) if (!m(event)) return false;
    return true;
  },
  or: (operands) => (event) => {
    for (const m of operands) if (m(event)) return true;
    return false;
  },
  not: (inner) => (event) => !inner(event),
  atLeast: (count, operands) =>
    count === 1
      ? MATCHER_ALGEBRA.or(operands)
      : (event) => {
          let hits = 0;
          for (const m of operands) if (m(event) && ++hits >= count) return true;
          return false;
        },
};

class ConditionParser<T> {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly searches: Map<string, T>,
    private readonly source: string,
    private readonly algebra: ConditionAlgebra<T>,
  ) {}

  parse(): T {
    const result = this.parseOr();
    if (this.position < this.tokens.length) this.fail(`unexpected ${this.tokens[this.position]!.text}`);
    return result;
  }

  private fail(message: string): never {
    throw new UnsupportedRuleError(`condition "${this.source}": ${message}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private parseOr(): T {
    const operands = [this.parseAnd()];
    while (this.peek()?.kind === "or") {
      this.position++;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : this.algebra.or(operands);
  }

  private parseAnd(): T {
    const operands = [this.parseNot()];
    while (this.peek()?.kind === "and") {
      this.position++;
      operands.push(this.parseNot());
    }
    return operands.length === 1 ? operands[0]! : this.algebra.and(operands);
  }

  private parseNot(): T {
    if (this.peek()?.kind === "not") {
      this.position++;
      return this.algebra.not(this.parseNot());
    }
    return this.parsePrimary();
  }

  private parsePrimary(): T {
    const token = this.peek();
    if (token === undefined) this.fail("unexpected end");
    this.position++;
    if (token.kind === "(") {
      const inner = this.parseOr();
      if (this.peek()?.kind !== ")") this.fail("missing )");
      this.position++;
      return inner;
    }
    if (token.kind !== "word") this.fail(`unexpected ${token.text}`);
    if (this.peek()?.kind === "of") {
      this.position++;
      const target = this.peek();
      if (target?.kind !== "word") this.fail("missing target after 'of'");
      this.position++;
      return this.quantified(token.text, target.text);
    }
    const search = this.searches.get(token.text);
    if (search === undefined) this.fail(`unknown search identifier ${token.text}`);
    return search;
  }

  private quantified(quantifier: string, target: string): T {
    const names = [...this.searches.keys()];
    const chosen =
      target === "them" ? names.filter((n) => !n.startsWith("_")) : names.filter((n) => wildcardRegex(target).test(n));
    if (chosen.length === 0) this.fail(`no search identifier matches ${target}`);
    const operands = chosen.map((n) => this.searches.get(n)!);
    if (quantifier.toLowerCase() === "all") return this.algebra.and(operands);
    const count = Number(quantifier.toLowerCase() === "any" ? 1 : quantifier);
    if (!Number.isInteger(count) || count < 1) this.fail(`quantifier ${quantifier}`);
    return this.algebra.atLeast(count, operands);
  }
}

function parseConditions<T>(detection: Record<string, unknown>, search: (definition: unknown) => T, algebra: ConditionAlgebra<T>): T {
  const { condition, timeframe: _timeframe, ...definitions } = detection;
  const searches = new Map<string, T>();
  for (const [name, definition] of Object.entries(definitions)) searches.set(name, search(definition));
  const conditions = Array.isArray(condition) ? condition : [condition];
  if (conditions.length === 0 || conditions.some((c) => typeof c !== "string")) {
    throw new UnsupportedRuleError("condition must be a string or a list of strings");
  }
  const parsed = (conditions as string[]).map((c) => new ConditionParser(tokenize(c), searches, c, algebra).parse());
  return parsed.length === 1 ? parsed[0]! : algebra.or(parsed);
}

/** Compiles a rule's `detection` block into one matcher, built once. */
export function compileDetection(detection: Record<string, unknown>, options: CompileOptions = {}): Matcher {
  return parseConditions(detection, (definition) => compileSearch(definition, options), MATCHER_ALGEBRA);
}

// ---------------------------------------------------------------------------------------------------------
// Requirements: a necessary condition on literal text, for prefiltering rules before their full matcher

/**
 * `needle` occurs in the lower-cased text of `field` (any element when the value is an array); field "" stands
 * for any value of the event, as keywords search them.
 */
export type Literal = { field: string; needle: string };
/**
 * Clauses that all hold whenever the detection matches; a clause holds when any of its literals occurs.
 * `null`: no such condition is known (the rule must always run).
 */
export type Requirement = Literal[][] | null;

const NO_REQUIREMENT: Requirement = null;

/** Lower is more selective: short needles occur nearly everywhere, and every literal of a clause may fire. */
function clauseCost(clause: readonly Literal[]): number {
  let cost = 0;
  for (const { needle } of clause) cost += needle.length < 3 ? 8 : needle.length < 5 ? 3 : needle.length < 8 ? 1.5 : 1;
  return cost;
}

function bestClause(clauses: readonly Literal[][]): Literal[] {
  let best = clauses[0]!;
  for (const clause of clauses) if (clauseCost(clause) < clauseCost(best)) best = clause;
  return best;
}

const REQUIREMENT_ALGEBRA: ConditionAlgebra<Requirement> = {
  and: (operands) => {
    const clauses = operands.flatMap((r) => r ?? []);
    return clauses.length > 0 ? clauses : NO_REQUIREMENT;
  },
  // Either side may be the one that matched: only a clause implied by every operand survives.
  or: (operands) => {
    if (operands.some((r) => r === null || r.length === 0)) return NO_REQUIREMENT;
    return [(operands as Literal[][][]).flatMap((r) => (r.length === 1 ? r[0]! : bestClause(r)))];
  },
  not: () => NO_REQUIREMENT,
  atLeast: (_count, operands) => REQUIREMENT_ALGEBRA.or(operands),
};

/**
 * The literal a string pattern cannot match without, if any. Plain (non-regex, folded) patterns give their own
 * needle: "the folded text holds it" is then exactly what they test. Otherwise the longest ASCII run between
 * wildcards: lower-casing ASCII is per character (unlike final sigma or İ), so "the folded (or, when cased, the
 * raw) text holds the pattern" implies "the lower-cased text holds the lower-cased run".
 */
function patternLiteral(field: string, value: SigmaString, cased: boolean): Literal | undefined {
  if (!cased) {
    const pattern = stringPattern(value, false);
    if (pattern.kind !== "regex") return pattern.needle === "" ? undefined : { field, needle: pattern.needle };
  }
  let longest = "";
  for (const part of value) {
    if (typeof part !== "string") continue;
    for (const run of part.split(/[\u0080-\uffff]+/)) if (run.length > longest.length) longest = run;
  }
  return longest === "" ? undefined : { field, needle: longest.toLowerCase() };
}

function literalsRequirement(field: string, values: SigmaString[], cased: boolean, all: boolean): Requirement {
  const literals = values.map((value) => patternLiteral(field, value, cased));
  const known = literals.filter((l): l is Literal => l !== undefined);
  if (all) return known.length > 0 ? known.map((l) => [l]) : NO_REQUIREMENT;
  return known.length === literals.length && known.length > 0 ? [known] : NO_REQUIREMENT;
}

/** As `compileKeywords`: literals on field "" (any value of the event). */
function keywordRequirement(rawValues: readonly unknown[], modifiers: readonly string[], options: CompileOptions): Requirement {
  if (rawValues.length === 0 || rawValues.some((v) => v === null || typeof v === "object")) return NO_REQUIREMENT;
  if (modifiers.some((m) => TYPE_MODIFIERS.has(m) || TIME_PARTS.has(m) || m === "neq" || m === "expand")) return NO_REQUIREMENT;
  const wrap = modifiers.some((m) => m === "contains" || m === "startswith" || m === "endswith") ? modifiers : [...modifiers, "contains"];
  const { values, encoded } = transformValues(rawValues, wrap, options);
  const cased = modifiers.includes("cased") || encoded;
  return literalsRequirement("", values, cased, modifiers.includes("all") && values.length > 1);
}

/** As `compileFieldItem`. */
function fieldItemRequirement(key: string, rawValue: unknown, options: CompileOptions): Requirement {
  const [field = "", ...modifiers] = key.split("|");
  if (field === "") return keywordRequirement(Array.isArray(rawValue) ? rawValue : [rawValue], modifiers, options);
  const blocking = ["exists", "neq", "re", "cidr", "fieldref", "lt", "lte", "gt", "gte", "expand", ...TIME_PARTS];
  if (modifiers.some((m) => blocking.includes(m))) return NO_REQUIREMENT;
  const rawValues = Array.isArray(rawValue) ? rawValue : [rawValue];
  if (rawValues.length === 0 || rawValues.some((v) => v === null || typeof v === "object")) return NO_REQUIREMENT;
  const { values, encoded } = transformValues(rawValues, modifiers, options);
  return literalsRequirement(field, values, modifiers.includes("cased") || encoded, modifiers.includes("all"));
}

/** As `compileSearch`. */
function searchRequirement(definition: unknown, options: CompileOptions): Requirement {
  const mapRequirement = (map: Record<string, unknown>) =>
    REQUIREMENT_ALGEBRA.and(Object.entries(map).map(([key, value]) => fieldItemRequirement(key, value, options)));
  if (Array.isArray(definition)) {
    const maps = definition.filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null && !Array.isArray(d));
    const scalars = definition.filter((d) => scalarText(d) !== undefined);
    const operands = maps.map(mapRequirement);
    if (scalars.length > 0) operands.push(keywordRequirement(scalars, [], options));
    if (operands.length === 0) return NO_REQUIREMENT;
    return operands.length === 1 ? operands[0]! : REQUIREMENT_ALGEBRA.or(operands);
  }
  if (typeof definition === "object" && definition !== null) return mapRequirement(definition as Record<string, unknown>);
  if (scalarText(definition) !== undefined) return keywordRequirement([definition], [], options);
  return NO_REQUIREMENT;
}

/**
 * A necessary condition of the detection on literal text (see `Requirement`), derived from the same parse as
 * `compileDetection`. Detections that do not compile give `null`.
 */
export function detectionRequirement(detection: Record<string, unknown>, options: CompileOptions = {}): Requirement {
  try {
    return parseConditions(detection, (definition) => searchRequirement(definition, options), REQUIREMENT_ALGEBRA);
  } catch (error) {
    if (error instanceof UnsupportedRuleError) return NO_REQUIREMENT;
    throw error;
  }
}
