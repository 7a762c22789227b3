import { UnsupportedRuleError } from "../rule.js";
import type { SigmaString } from "../sigma-string.js";
import { MAX_EXPANSION, type Modifier, type Working } from "./modifier.js";

// `windash`: every permutation of the dash characters Windows command lines accept for a flag.

const DASHES = ["-", "/", "\u2013", "\u2014", "\u2015"];

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

export const WINDASH: Modifier = {
  name: "windash",
  kind: "transform",
  transform: (working) =>
    working.flatMap((w): Working[] =>
      w.kind === "string" ? windashVariants(w.value).map((value) => ({ kind: "string" as const, value })) : [w],
    ),
};
