import { escapeRegExp, isStar, type SigmaString } from "./sigma-string.js";

// String matching: how a Sigma string becomes an exact / prefix / suffix / substring / regex test on folded text.

/** Case folding for one field's tests: the tests of a field run one after another on the same text, so one entry suffices. */
export function folder(cased: boolean): (text: string) => string {
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

export type StringPattern =
  | { kind: "equals" | "contains" | "startswith" | "endswith"; needle: string }
  | { kind: "regex"; regex: RegExp };

/** Exact / prefix / suffix / substring when the wildcards allow it, else an anchored regex; on case-folded text. */
export function stringPattern(value: SigmaString, cased: boolean): StringPattern {
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

export function patternTest(pattern: StringPattern): (folded: string) => boolean {
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
export function anyPatternTest(patterns: readonly StringPattern[]): (folded: string) => boolean {
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
