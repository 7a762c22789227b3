import type { Modifier } from "./modifier.js";

// `all`: every value must match (not any); `cased`: case-sensitive matching; `neq`: the item negated (true when
// the field is absent). Their effect is in `field-item.ts` and `keywords.ts`.

export const ALL: Modifier = { name: "all", kind: "flag" };
export const CASED: Modifier = { name: "cased", kind: "flag" };
export const NEQ: Modifier = { name: "neq", kind: "flag" };
