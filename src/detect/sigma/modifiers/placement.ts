import { UnsupportedRuleError } from "../rule.js";
import { isStar } from "../sigma-string.js";
import type { Modifier, Working } from "./modifier.js";

// `contains`, `startswith`, `endswith`: wildcards around the value, unless it already has them there.

function placement(name: "contains" | "startswith" | "endswith"): Modifier {
  return {
    name,
    kind: "transform",
    transform: (working) =>
      working.map((w): Working => {
        if (w.kind === "bytes") throw new UnsupportedRuleError(`${name} on undecoded bytes`);
        let value = w.value;
        if (name !== "startswith" && !isStar(value[0])) value = [{ wildcard: "*" }, ...value];
        if (name !== "endswith" && !isStar(value[value.length - 1])) value = [...value, { wildcard: "*" }];
        return { kind: "string", value };
      }),
  };
}

export const CONTAINS = placement("contains");
export const STARTSWITH = placement("startswith");
export const ENDSWITH = placement("endswith");
