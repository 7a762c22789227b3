import { plainText } from "../sigma-string.js";
import type { Modifier, Working } from "./modifier.js";

// `base64`: the value's base64 encoding; `base64offset`: the three encodings it may have inside a longer one.

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

export const BASE64: Modifier = {
  name: "base64",
  kind: "transform",
  encodes: true,
  transform: (working) => working.map((w): Working => ({ kind: "string", value: [bytesOf(w, "base64").toString("base64")] })),
};

export const BASE64OFFSET: Modifier = {
  name: "base64offset",
  kind: "transform",
  encodes: true,
  transform: (working) =>
    working.flatMap((w) => base64OffsetVariants(bytesOf(w, "base64offset")).map((text) => ({ kind: "string" as const, value: [text] }))),
};
