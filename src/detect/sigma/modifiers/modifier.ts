import type { SigmaString } from "../sigma-string.js";

/** Intermediate value while transformation modifiers apply in order. */
export type Working = { kind: "string"; value: SigmaString } | { kind: "bytes"; value: Buffer };

/**
 * One Sigma value modifier (`field|modifier: value`), as the registry knows it:
 * - `transform`: rewrites the rule's values, in the order the modifiers are written (placement wildcards,
 *   `windash`, the encodings); `encodes` when its output is an encoding, which matches case-sensitively;
 * - `type`: decides how a value is tested (`re`, `cidr`, comparisons, `fieldref`, `exists`);
 * - `time`: a part of a timestamp compared as a number;
 * - `regex-flag`: a flag of `re`, invalid without it;
 * - `flag`: changes how values combine or are read (`all`, `cased`, `neq`, `expand`).
 */
export type Modifier = {
  name: string;
  kind: "transform" | "type" | "time" | "regex-flag" | "flag";
  transform?: (working: Working[]) => Working[];
  encodes?: boolean;
};

/** Upper bound on the values one rule value may expand into (`windash`, `expand`). */
export const MAX_EXPANSION = 1024;
