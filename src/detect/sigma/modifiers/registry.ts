import { UnsupportedRuleError } from "../rule.js";
import { BASE64, BASE64OFFSET } from "./base64.js";
import { CIDR } from "./cidr.js";
import { COMPARISONS } from "./compare.js";
import { EXISTS } from "./exists.js";
import { EXPAND } from "./expand.js";
import { FIELDREF } from "./fieldref.js";
import { ALL, CASED, NEQ } from "./flags.js";
import type { Modifier } from "./modifier.js";
import { CONTAINS, ENDSWITH, STARTSWITH } from "./placement.js";
import { RE, REGEX_FLAGS } from "./re.js";
import { TIME_PARTS } from "./time.js";
import { UTF16, UTF16BE, UTF16LE, WIDE } from "./utf16.js";
import { WINDASH } from "./windash.js";

/** Every value modifier the engine implements, by name. A name not here is rejected when a rule compiles. */
export const MODIFIERS: ReadonlyMap<string, Modifier> = new Map(
  [
    CONTAINS,
    STARTSWITH,
    ENDSWITH,
    ALL,
    CASED,
    NEQ,
    EXISTS,
    WINDASH,
    BASE64,
    BASE64OFFSET,
    UTF16LE,
    WIDE,
    UTF16BE,
    UTF16,
    RE,
    ...REGEX_FLAGS,
    CIDR,
    ...COMPARISONS,
    ...TIME_PARTS,
    FIELDREF,
    EXPAND,
  ].map((modifier) => [modifier.name, modifier]),
);

/** The registered modifier, or `UnsupportedRuleError("modifier <name>")`. */
export function modifierOf(name: string): Modifier {
  const modifier = MODIFIERS.get(name);
  if (modifier === undefined) throw new UnsupportedRuleError(`modifier ${name}`);
  return modifier;
}

/** A modifier that decides how values are tested (`type` or `time`): keywords cannot take one. */
export function isTypeModifier(name: string): boolean {
  const kind = MODIFIERS.get(name)?.kind;
  return kind === "type" || kind === "time";
}

export function isTimePart(name: string): boolean {
  return MODIFIERS.get(name)?.kind === "time";
}

export function isRegexFlag(name: string): boolean {
  return MODIFIERS.get(name)?.kind === "regex-flag";
}
