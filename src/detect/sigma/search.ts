import { compileFieldItem } from "./field-item.js";
import { compileKeywords } from "./keywords.js";
import { UnsupportedRuleError } from "./rule.js";
import { ALWAYS, scalarText, type CompileOptions, type Matcher } from "./values.js";

// Search identifiers: a map (its items ANDed), a list of maps (ORed), or a list of keywords.

function compileMap(map: Record<string, unknown>, options: CompileOptions): Matcher {
  const matchers = Object.entries(map).map(([key, value]) => compileFieldItem(key, value, options));
  if (matchers.length === 0) return ALWAYS;
  if (matchers.length === 1) return matchers[0]!;
  return (event) => {
    for (const m of matchers) if (!m(event)) return false;
    return true;
  };
}

/** Compiles one search identifier's definition (map, list of maps, or keyword list). */
export function compileSearch(definition: unknown, options: CompileOptions = {}): Matcher {
  if (Array.isArray(definition)) {
    if (definition.length === 0) throw new UnsupportedRuleError("empty search list");
    const maps = definition.filter((d) => typeof d === "object" && d !== null && !Array.isArray(d));
    const scalars = definition.filter((d) => scalarText(d) !== undefined);
    if (maps.length + scalars.length !== definition.length) throw new UnsupportedRuleError("unsupported search list item");
    const matchers = maps.map((m) => compileMap(m as Record<string, unknown>, options));
    if (scalars.length > 0) matchers.push(compileKeywords(scalars, [], options));
    if (matchers.length === 1) return matchers[0]!;
    return (event) => {
      for (const m of matchers) if (m(event)) return true;
      return false;
    };
  }
  if (typeof definition === "object" && definition !== null) return compileMap(definition as Record<string, unknown>, options);
  if (scalarText(definition) !== undefined) return compileKeywords([definition], [], options);
  throw new UnsupportedRuleError("search identifier is neither a map nor a list");
}

// ---------------------------------------------------------------------------------------------------------
