import { describe, expect, it } from "vitest";
import { DEFAULT_REDACTION_POLICY, redact } from "./redact.js";

// Redaction runs on every post, inside the journal.post job, over text an attacker partly writes. Rules whose
// pattern began with a lookbehind scanning back over the rest of the line were tried at every position of
// the text: quadratic in a line's length (285 KB on three lines took 150 s, holding the store, so webhooks
// waited; issue 13 items 16 and 19). The rules put such a context after the literal it qualifies, bounded.

/** Whether a pattern, or one of its top-level alternatives, starts with a lookbehind holding an unbounded run over the line. */
function leadingUnboundedLookbehind(source: string): boolean {
  const starts = [0];
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) starts.push(i + 1);
  }
  return starts.some((start) => {
    if (!/^\(\?<[=!]/.test(source.slice(start))) return false;
    let level = 0;
    let end = start;
    for (; end < source.length; end++) {
      const c = source[end];
      if (c === "\\") end++;
      else if (c === "[") while (end < source.length && source[end] !== "]") end += source[end] === "\\" ? 2 : 1;
      else if (c === "(") level++;
      else if (c === ")" && --level === 0) break;
    }
    return /(?:\[\^\\r\\n\]|\.)[*+]/.test(source.slice(start, end));
  });
}

describe("redaction cost", () => {
  it("has no rule that starts with a lookbehind scanning the rest of the line", () => {
    const offending = DEFAULT_REDACTION_POLICY.rules.filter((rule) => leadingUnboundedLookbehind(rule.pattern.source)).map((rule) => rule.id);
    expect(offending).toEqual([]);
    // The guard recognises the shape it forbids.
    expect(leadingUnboundedLookbehind(String.raw`(?<=\bredis-cli\b[^\r\n]*\s)-a\s+(?<secret>\S+)`)).toBe(true);
    expect(leadingUnboundedLookbehind(String.raw`(?<=\s(?:-u|--user(?:name)?)\s+\S+[^\r\n]*?)\s-p|x`)).toBe(true);
    expect(leadingUnboundedLookbehind(String.raw`x|(?<=a.+)b`)).toBe(true);
    expect(leadingUnboundedLookbehind(String.raw`-a(?<=\bredis-cli\b[^\r\n]{0,500}\s-a)\s+`)).toBe(false);
    expect(leadingUnboundedLookbehind(String.raw`(?<![A-Za-z0-9])(?<secret>[A-Za-z0-9]{40})`)).toBe(false);
  });

  it("still masks the flags' values far along a long line, and only there", () => {
    const filler = "lorem ipsum ".repeat(20_000);
    const text = `${filler}redis-cli -h cache -a R3disPass! ping; zip -P Z1pPass out.zip; mysql -uroot -pMyPass1 db; psexec -u corp\\ana -p Ps3xec! cmd\n${filler}`;
    const out = redact(text);
    for (const secret of ["R3disPass!", "Z1pPass", "MyPass1", "Ps3xec!"]) expect(out).not.toContain(secret);
    expect(out.startsWith(filler)).toBe(true);
    expect(out.endsWith(`cmd\n${filler}`)).toBe(true);
  });
});
