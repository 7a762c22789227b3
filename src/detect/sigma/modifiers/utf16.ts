import { UnsupportedRuleError } from "../rule.js";
import { plainText } from "../sigma-string.js";
import type { Modifier, Working } from "./modifier.js";

// `utf16le` (alias `wide`), `utf16be`, `utf16` (little-endian with a byte order mark): text to bytes, for base64.

function encodeUtf16(text: string, modifier: string): Buffer {
  const le = Buffer.from(text, "utf16le");
  if (modifier === "utf16le" || modifier === "wide") return le;
  const be = Buffer.from(le);
  be.swap16();
  if (modifier === "utf16be") return be;
  return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
}

function utf16(name: "utf16le" | "wide" | "utf16be" | "utf16"): Modifier {
  return {
    name,
    kind: "transform",
    transform: (working) =>
      working.map((w): Working => {
        if (w.kind === "bytes") throw new UnsupportedRuleError(`${name} applied twice`);
        return { kind: "bytes", value: encodeUtf16(plainText(w.value, name), name) };
      }),
  };
}

export const UTF16LE = utf16("utf16le");
export const WIDE = utf16("wide");
export const UTF16BE = utf16("utf16be");
export const UTF16 = utf16("utf16");
