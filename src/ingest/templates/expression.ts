import type { Issue } from "../issues.js";

/**
 * The expression language of webhook templates. Deliberately tiny: paths into the JSON payload, literals,
 * string interpolation of paths, and first-of lists. No code, no regular expressions, no functions —
 * a template from configuration can read a payload but never compute with it.
 *
 * - `labels.alertname`, `alerts[0].labels`, `labels["kubernetes.io/name"]`: a path from the record;
 * - `$.receiver`: a path from the whole payload (the same as the record when the template has no `items`);
 *   `$` alone is the payload, `@` alone is the record;
 * - `{const: "x"}`: a literal (any JSON value);
 * - `"{{labels.alertname}} on {{labels.instance}}"`: interpolation; missing if any placeholder is missing,
 *   so a first-of list can fall back to a shorter form;
 * - `[expr1, expr2, …]`: the first expression that is not missing.
 * Missing means: the path does not resolve, or resolves to null or to an empty string.
 */
export type ExpressionSpec = string | { const: unknown } | ExpressionSpec[];

export type Segment = string | number;
export interface PathRef {
  from: "record" | "root";
  segments: Segment[];
  text: string;
}
export type Expression =
  | { kind: "path"; ref: PathRef }
  | { kind: "const"; value: unknown }
  | { kind: "interpolate"; parts: (string | PathRef)[] }
  | { kind: "first"; options: Expression[] };

/** Keys that would reach an object's prototype: never read, never written. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);
const MAX_DEPTH = 64;

export class ExpressionError extends Error {}

/** Parses `a.b[0]["c.d"]`, `$.a`, `$`, `@`. Throws ExpressionError with the reason. */
export function parsePath(text: string): PathRef {
  const source = text.trim();
  if (!source) throw new ExpressionError("a path must not be empty");
  let from: PathRef["from"] = "record";
  let i = 0;
  if (source === "$" || source === "@") return { from: source === "$" ? "root" : "record", segments: [], text: source };
  if (source.startsWith("$.") || source.startsWith("$[")) {
    from = "root";
    i = source[1] === "." ? 2 : 1;
  } else if (source.startsWith("@.") || source.startsWith("@[")) {
    i = source[1] === "." ? 2 : 1;
  }
  const segments: Segment[] = [];
  let expectName = i === 0 || source[i - 1] === ".";
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "[") {
      const close = source.indexOf("]", i);
      if (close < 0) throw new ExpressionError(`unclosed [ in path "${source}"`);
      const inner = source.slice(i + 1, close).trim();
      const quoted = /^(["'])(.*)\1$/.exec(inner);
      if (quoted) segments.push(quoted[2]!);
      else if (/^\d{1,9}$/.test(inner)) segments.push(Number(inner));
      else throw new ExpressionError(`[${inner}] in path "${source}": expected an index such as [0] or a quoted key such as ["a.b"]`);
      i = close + 1;
      expectName = false;
      if (source[i] === ".") {
        i++;
        expectName = true;
        if (i >= source.length) throw new ExpressionError(`path "${source}" ends with a dot`);
      } else if (i < source.length && source[i] !== "[") throw new ExpressionError(`unexpected "${source[i]}" in path "${source}"`);
      continue;
    }
    if (!expectName) throw new ExpressionError(`unexpected "${ch}" in path "${source}"`);
    const match = /^[^.[\]\s{}"']+/.exec(source.slice(i));
    if (!match) throw new ExpressionError(`empty or invalid key in path "${source}"`);
    segments.push(match[0]);
    i += match[0].length;
    expectName = false;
    if (source[i] === ".") {
      i++;
      expectName = true;
      if (i >= source.length) throw new ExpressionError(`path "${source}" ends with a dot`);
    } else if (i < source.length && source[i] !== "[") throw new ExpressionError(`unexpected "${source[i]}" in path "${source}"`);
  }
  if (segments.length > MAX_DEPTH) throw new ExpressionError(`path "${source}" is deeper than ${MAX_DEPTH}`);
  for (const segment of segments)
    if (typeof segment === "string" && FORBIDDEN_KEYS.has(segment)) throw new ExpressionError(`"${segment}" is not allowed in a path`);
  return { from, segments, text: source };
}

function parseInterpolation(text: string): Expression {
  const parts: (string | PathRef)[] = [];
  let rest = text;
  while (rest.length) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      if (rest.includes("}}")) throw new ExpressionError(`"}}" without "{{" in "${text}"`);
      parts.push(rest);
      break;
    }
    if (open > 0) {
      if (rest.slice(0, open).includes("}}")) throw new ExpressionError(`"}}" without "{{" in "${text}"`);
      parts.push(rest.slice(0, open));
    }
    const close = rest.indexOf("}}", open + 2);
    if (close < 0) throw new ExpressionError(`unclosed "{{" in "${text}"`);
    parts.push(parsePath(rest.slice(open + 2, close)));
    rest = rest.slice(close + 2);
  }
  return { kind: "interpolate", parts };
}

/** Compiles a template expression once, at startup; `at` names it in errors. */
export function compileExpression(spec: unknown, at: string, issues: Issue[]): Expression | null {
  try {
    return compile(spec);
  } catch (error) {
    if (error instanceof ExpressionError) {
      issues.push({ path: at, message: error.message });
      return null;
    }
    throw error;
  }
}

function compile(spec: unknown, depth = 0): Expression {
  if (depth > 8) throw new ExpressionError("first-of lists nest too deep");
  if (typeof spec === "string") return spec.includes("{{") || spec.includes("}}") ? parseInterpolation(spec) : { kind: "path", ref: parsePath(spec) };
  if (Array.isArray(spec)) {
    if (!spec.length) throw new ExpressionError("a first-of list needs at least one expression");
    return { kind: "first", options: spec.map((item) => compile(item, depth + 1)) };
  }
  if (spec && typeof spec === "object" && !Array.isArray(spec)) {
    const keys = Object.keys(spec);
    if (keys.length === 1 && keys[0] === "const") return { kind: "const", value: (spec as { const: unknown }).const };
    throw new ExpressionError(`an object expression must be {const: value}, got keys ${keys.join(", ") || "(none)"}`);
  }
  throw new ExpressionError("expected a path string, an interpolation \"…{{path}}…\", {const: value} or a first-of list");
}

export interface Scope {
  root: unknown;
  record: unknown;
}

export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

export function resolvePath(ref: PathRef, scope: Scope): unknown {
  let node: unknown = ref.from === "root" ? scope.root : scope.record;
  for (const segment of ref.segments) {
    if (node === null || typeof node !== "object") return undefined;
    if (typeof segment === "number") {
      if (!Array.isArray(node)) return undefined;
      node = node[segment];
    } else {
      if (Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, segment)) return undefined;
      node = (node as Record<string, unknown>)[segment];
    }
  }
  return node;
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

/** The value of an expression, or undefined when it is missing. */
export function evaluate(expression: Expression, scope: Scope): unknown {
  switch (expression.kind) {
    case "const":
      return expression.value;
    case "path": {
      const value = resolvePath(expression.ref, scope);
      return isMissing(value) ? undefined : value;
    }
    case "interpolate": {
      let out = "";
      for (const part of expression.parts) {
        if (typeof part === "string") {
          out += part;
          continue;
        }
        const value = resolvePath(part, scope);
        if (isMissing(value)) return undefined;
        out += asText(value);
      }
      return out === "" ? undefined : out;
    }
    case "first":
      for (const option of expression.options) {
        const value = evaluate(option, scope);
        if (!isMissing(value)) return value;
      }
      return undefined;
  }
}
