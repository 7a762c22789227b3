import { UnsupportedRuleError } from "./rule.js";
import { escapeRegExp } from "./sigma-string.js";

// Conditions: `condition:` parsed once (and / or / not, parentheses, `1 of` / `all of` / `N of` with wildcards)
// over an algebra, so the same parse builds a matcher or a prefilter requirement.

type Token = { kind: "(" | ")" | "and" | "or" | "not" | "of" | "word"; text: string };

function tokenize(condition: string): Token[] {
  if (condition.includes("|")) throw new UnsupportedRuleError("aggregation in condition");
  const tokens: Token[] = [];
  const pattern = /\s*(\(|\)|[^\s()]+)/gy;
  let match: RegExpExecArray | null;
  let position = 0;
  while ((match = pattern.exec(condition)) !== null) {
    position = pattern.lastIndex;
    const text = match[1]!;
    const lower = text.toLowerCase();
    if (text === "(" || text === ")") tokens.push({ kind: text, text });
    else if (lower === "and" || lower === "or" || lower === "not" || lower === "of") tokens.push({ kind: lower, text });
    else tokens.push({ kind: "word", text });
  }
  if (condition.slice(position).trim() !== "") throw new UnsupportedRuleError(`cannot read condition: ${condition}`);
  return tokens;
}

function wildcardRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`);
}

/** What a condition combines: matchers when compiling, requirements when deriving the prefilter. */
export interface ConditionAlgebra<T> {
  and(operands: T[]): T;
  or(operands: T[]): T;
  not(operand: T): T;
  /** At least `count` of `operands` (1 for `1 of` / `any of`). */
  atLeast(count: number, operands: T[]): T;
}

class ConditionParser<T> {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly searches: Map<string, T>,
    private readonly source: string,
    private readonly algebra: ConditionAlgebra<T>,
  ) {}

  parse(): T {
    const result = this.parseOr();
    if (this.position < this.tokens.length) this.fail(`unexpected ${this.tokens[this.position]!.text}`);
    return result;
  }

  private fail(message: string): never {
    throw new UnsupportedRuleError(`condition "${this.source}": ${message}`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private parseOr(): T {
    const operands = [this.parseAnd()];
    while (this.peek()?.kind === "or") {
      this.position++;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : this.algebra.or(operands);
  }

  private parseAnd(): T {
    const operands = [this.parseNot()];
    while (this.peek()?.kind === "and") {
      this.position++;
      operands.push(this.parseNot());
    }
    return operands.length === 1 ? operands[0]! : this.algebra.and(operands);
  }

  private parseNot(): T {
    if (this.peek()?.kind === "not") {
      this.position++;
      return this.algebra.not(this.parseNot());
    }
    return this.parsePrimary();
  }

  private parsePrimary(): T {
    const token = this.peek();
    if (token === undefined) this.fail("unexpected end");
    this.position++;
    if (token.kind === "(") {
      const inner = this.parseOr();
      if (this.peek()?.kind !== ")") this.fail("missing )");
      this.position++;
      return inner;
    }
    if (token.kind !== "word") this.fail(`unexpected ${token.text}`);
    if (this.peek()?.kind === "of") {
      this.position++;
      const target = this.peek();
      if (target?.kind !== "word") this.fail("missing target after 'of'");
      this.position++;
      return this.quantified(token.text, target.text);
    }
    const search = this.searches.get(token.text);
    if (search === undefined) this.fail(`unknown search identifier ${token.text}`);
    return search;
  }

  private quantified(quantifier: string, target: string): T {
    const names = [...this.searches.keys()];
    const chosen =
      target === "them" ? names.filter((n) => !n.startsWith("_")) : names.filter((n) => wildcardRegex(target).test(n));
    if (chosen.length === 0) this.fail(`no search identifier matches ${target}`);
    const operands = chosen.map((n) => this.searches.get(n)!);
    if (quantifier.toLowerCase() === "all") return this.algebra.and(operands);
    const count = Number(quantifier.toLowerCase() === "any" ? 1 : quantifier);
    if (!Number.isInteger(count) || count < 1) this.fail(`quantifier ${quantifier}`);
    return this.algebra.atLeast(count, operands);
  }
}

export function parseConditions<T>(detection: Record<string, unknown>, search: (definition: unknown) => T, algebra: ConditionAlgebra<T>): T {
  const { condition, timeframe: _timeframe, ...definitions } = detection;
  const searches = new Map<string, T>();
  for (const [name, definition] of Object.entries(definitions)) searches.set(name, search(definition));
  const conditions = Array.isArray(condition) ? condition : [condition];
  if (conditions.length === 0 || conditions.some((c) => typeof c !== "string")) {
    throw new UnsupportedRuleError("condition must be a string or a list of strings");
  }
  const parsed = (conditions as string[]).map((c) => new ConditionParser(tokenize(c), searches, c, algebra).parse());
  return parsed.length === 1 ? parsed[0]! : algebra.or(parsed);
}

