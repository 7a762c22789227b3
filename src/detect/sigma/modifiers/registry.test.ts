import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../../test/support/shared.js";
import { compileDetection } from "../compile.js";
import { UnsupportedRuleError } from "../rule.js";
import { MODIFIERS, modifierOf } from "./registry.js";

/** The modifier names the Sigma v2.1 modifiers appendix defines (`- \`name\`:` items, sub-modifiers included). */
function specModifiers(): string[] {
  const text = readFileSync(join(sharedPath("data/sigma-specification"), "specification", "sigma-appendix-modifiers.md"), "utf8");
  const body = text.split(/^## History/m)[0]!;
  return [...new Set([...body.matchAll(/^\s*- `([a-z0-9]+)`:/gm)].map((m) => m[1]!))];
}

/** Modifiers of the specification the engine refuses on purpose, with the reason a rule gets. None today. */
const REJECTED = new Map<string, RegExp>();

/** A field item that exercises the modifier alone (or with the one it needs). */
function itemFor(name: string): Record<string, unknown> {
  const kind = MODIFIERS.get(name)?.kind;
  if (kind === "regex-flag") return { [`CommandLine|re|${name}`]: "a.c" };
  if (kind === "time" || ["lt", "lte", "gt", "gte"].includes(name)) return { [`Value|${name}`]: 5 };
  if (name === "exists") return { "CommandLine|exists": true };
  if (name === "cidr") return { "DestinationIp|cidr": "10.0.0.0/8" };
  if (["utf16le", "utf16be", "utf16", "wide"].includes(name)) return { [`CommandLine|${name}|base64`]: "abc" };
  if (name === "expand") return { "User|expand": "%Admins%" };
  return { [`CommandLine|${name}`]: "abc" };
}

describe("modifier registry", () => {
  const spec = specModifiers();

  it("reads the specification's modifiers", () => {
    // The appendix lists the generic, string, regex, encoding, numeric, time, IP and specific modifiers.
    expect(spec).toEqual(expect.arrayContaining(["contains", "all", "windash", "re", "i", "base64offset", "wide", "gte", "week", "cidr", "fieldref"]));
    expect(spec.length).toBeGreaterThanOrEqual(30);
  });

  it("registers or explicitly rejects every modifier of the specification", () => {
    const missing = spec.filter((name) => !MODIFIERS.has(name) && !REJECTED.has(name));
    expect(missing).toEqual([]);
  });

  it("compiles each registered modifier of the specification in a rule", () => {
    for (const name of spec.filter((n) => MODIFIERS.has(n))) {
      expect(() => compileDetection({ selection: itemFor(name), condition: "selection" }, { placeholders: { Admins: ["root"] } }), name).not.toThrow();
    }
  });

  it("rejects the explicitly rejected ones with their reason", () => {
    for (const [name, reason] of REJECTED) {
      expect(() => compileDetection({ selection: itemFor(name), condition: "selection" })).toThrow(reason);
    }
  });

  it("rejects a modifier it does not know, naming it", () => {
    expect(() => modifierOf("base32")).toThrow(new UnsupportedRuleError("modifier base32"));
    expect(() => compileDetection({ selection: { "CommandLine|base32": "x" }, condition: "selection" })).toThrow("modifier base32");
  });

  it("keys each modifier by its own name", () => {
    for (const [name, modifier] of MODIFIERS) expect(modifier.name).toBe(name);
  });
});
