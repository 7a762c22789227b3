/**
 * The STIX 2.1 patterning language, far enough to read indicators: observation expressions in brackets
 * joined by AND / OR / FOLLOWEDBY with optional qualifiers (WITHIN, REPEATS, START…STOP), comparison
 * expressions joined by AND / OR with parentheses, NOT, and every operator and literal of the grammar.
 * Only what reduces to "any of these values" becomes an indicator; the rest is reported by the caller.
 */

export type Literal =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "timestamp" | "hex" | "binary"; value: string }
  | { kind: "list"; value: Literal[] };

export type Comparison = { kind: "comparison"; object: string; path: string; operator: string; negated: boolean; value: Literal | null; text: string };
export type ComparisonExpression = Comparison | { kind: "and" | "or"; left: ComparisonExpression; right: ComparisonExpression; text: string };
export type ObservationExpression =
  | { kind: "observation"; expression: ComparisonExpression; text: string }
  | { kind: "and" | "or" | "followedby"; left: ObservationExpression; right: ObservationExpression; text: string }
  | { kind: "qualified"; qualifier: string; inner: ObservationExpression; text: string };

export class StixPatternError extends Error {}

type Token = { type: "punct" | "word" | "string" | "number" | "typed"; value: string; prefix?: string; start: number; end: number };

const OPERATORS = ["<=", ">=", "!=", "<>", "=", "<", ">"];

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    const op = OPERATORS.find((o) => pattern.startsWith(o, i));
    if (op) {
      tokens.push({ type: "punct", value: op, start, end: (i += op.length) });
      continue;
    }
    if ("[]():,".includes(c)) {
      tokens.push({ type: "punct", value: c, start, end: ++i });
      continue;
    }
    const typed = /^([thb])'/.exec(pattern.slice(i, i + 2));
    if (c === "'" || typed) {
      if (typed) i++;
      i++;
      let value = "";
      for (;;) {
        if (i >= pattern.length) throw new StixPatternError(`unterminated string starting at ${start}`);
        const d = pattern[i]!;
        if (d === "\\") {
          const next = pattern[i + 1];
          if (next !== "'" && next !== "\\") throw new StixPatternError(`invalid escape "\\${next ?? ""}" at ${i}`);
          value += next;
          i += 2;
          continue;
        }
        if (d === "'") break;
        value += d;
        i++;
      }
      i++;
      tokens.push({ type: typed ? "typed" : "string", value, prefix: typed?.[1], start, end: i });
      continue;
    }
    const number = /^[-+]?\d+(?:\.\d+)?/.exec(pattern.slice(i));
    if (number) {
      tokens.push({ type: "number", value: number[0], start, end: (i += number[0].length) });
      continue;
    }
    // Object types and path steps: letters, digits, "-", "_", "." and "*" (list index), plus "[…]" handled as punct.
    const word = /^[A-Za-z_][A-Za-z0-9_.*-]*/.exec(pattern.slice(i));
    if (word) {
      tokens.push({ type: "word", value: word[0], start, end: (i += word[0].length) });
      continue;
    }
    throw new StixPatternError(`unexpected character "${c}" at ${i}`);
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(offset = 0) {
    return this.tokens[this.i + offset];
  }
  private isWord(value: string, offset = 0) {
    const t = this.peek(offset);
    return t?.type === "word" && t.value.toUpperCase() === value;
  }
  private isPunct(value: string) {
    const t = this.peek();
    return t?.type === "punct" && t.value === value;
  }
  private expectPunct(value: string) {
    if (!this.isPunct(value)) throw new StixPatternError(`expected "${value}" ${this.where()}`);
    return this.tokens[this.i++]!;
  }
  private where() {
    const t = this.peek();
    return t ? `at ${t.start} ("${this.source.slice(t.start, t.end)}")` : "at the end";
  }
  private text(from: Token) {
    return this.source.slice(from.start, this.tokens[this.i - 1]!.end).trim();
  }

  parsePattern(): ObservationExpression {
    if (this.tokens.length === 0) throw new StixPatternError("empty pattern");
    const expression = this.observationOr();
    if (this.i < this.tokens.length) throw new StixPatternError(`unexpected ${this.where()}`);
    return expression;
  }

  private binary<T extends { text: string }>(next: () => T, words: string[], make: (kind: string, left: T, right: T, text: string) => T): T {
    const first = this.peek()!;
    let left = next();
    while (words.some((w) => this.isWord(w))) {
      const kind = this.tokens[this.i++]!.value.toLowerCase();
      const right = next();
      left = make(kind, left, right, this.text(first));
    }
    return left;
  }

  private observationOr(): ObservationExpression {
    return this.binary(() => this.observationAnd(), ["OR"], (kind, left, right, text) => ({ kind: kind as "or", left, right, text }));
  }
  private observationAnd(): ObservationExpression {
    return this.binary(() => this.observationFollowed(), ["AND"], (kind, left, right, text) => ({ kind: kind as "and", left, right, text }));
  }
  private observationFollowed(): ObservationExpression {
    return this.binary(() => this.qualified(), ["FOLLOWEDBY"], (kind, left, right, text) => ({ kind: kind as "followedby", left, right, text }));
  }

  private qualified(): ObservationExpression {
    const first = this.peek()!;
    let inner = this.observation();
    for (;;) {
      if (this.isWord("WITHIN")) {
        this.i++;
        this.literal();
        if (!this.isWord("SECONDS")) throw new StixPatternError(`expected SECONDS ${this.where()}`);
        this.i++;
        inner = { kind: "qualified", qualifier: "WITHIN", inner, text: this.text(first) };
      } else if (this.isWord("REPEATS")) {
        this.i++;
        this.literal();
        if (!this.isWord("TIMES")) throw new StixPatternError(`expected TIMES ${this.where()}`);
        this.i++;
        inner = { kind: "qualified", qualifier: "REPEATS", inner, text: this.text(first) };
      } else if (this.isWord("START")) {
        this.i++;
        this.literal();
        if (!this.isWord("STOP")) throw new StixPatternError(`expected STOP ${this.where()}`);
        this.i++;
        this.literal();
        inner = { kind: "qualified", qualifier: "START/STOP", inner, text: this.text(first) };
      } else return inner;
    }
  }

  private observation(): ObservationExpression {
    const first = this.peek();
    if (!first) throw new StixPatternError("unexpected end of pattern");
    if (this.isPunct("(")) {
      this.i++;
      const inner = this.observationOr();
      this.expectPunct(")");
      return inner;
    }
    this.expectPunct("[");
    const expression = this.comparisonOr();
    this.expectPunct("]");
    return { kind: "observation", expression, text: this.text(first) };
  }

  private comparisonOr(): ComparisonExpression {
    return this.binary(() => this.comparisonAnd(), ["OR"], (kind, left, right, text) => ({ kind: kind as "or", left, right, text }));
  }
  private comparisonAnd(): ComparisonExpression {
    return this.binary(() => this.comparison(), ["AND"], (kind, left, right, text) => ({ kind: kind as "and", left, right, text }));
  }

  private comparison(): ComparisonExpression {
    const first = this.peek();
    if (!first) throw new StixPatternError("unexpected end of pattern");
    if (this.isPunct("(")) {
      this.i++;
      const inner = this.comparisonOr();
      this.expectPunct(")");
      return inner;
    }
    if (this.isWord("EXISTS")) {
      this.i++;
      const { object, path } = this.objectPath();
      return { kind: "comparison", object, path, operator: "EXISTS", negated: false, value: null, text: this.text(first) };
    }
    const { object, path } = this.objectPath();
    let negated = false;
    if (this.isWord("NOT")) {
      negated = true;
      this.i++;
    }
    const t = this.peek();
    if (!t) throw new StixPatternError("expected an operator at the end");
    let operator: string;
    if (t.type === "punct" && OPERATORS.includes(t.value)) operator = t.value === "<>" ? "!=" : t.value;
    else if (t.type === "word" && ["IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].includes(t.value.toUpperCase())) operator = t.value.toUpperCase();
    else throw new StixPatternError(`expected a comparison operator ${this.where()}`);
    this.i++;
    const value = operator === "IN" ? this.list() : this.literal();
    return { kind: "comparison", object, path, operator, negated, value, text: this.text(first) };
  }

  private objectPath(): { object: string; path: string } {
    const t = this.peek();
    if (t?.type !== "word") throw new StixPatternError(`expected an object path ${this.where()}`);
    this.i++;
    this.expectPunct(":");
    let path = "";
    for (;;) {
      const step = this.peek();
      if (step?.type === "word" && (path === "" || path.endsWith("."))) path += step.value;
      else if (step?.type === "string" && path.endsWith(".")) path += step.value;
      else if (step?.type === "punct" && step.value === "[" && path !== "") {
        // A list index: hashes[*], extensions[0]…
        const index = this.tokens[this.i + 1];
        if (this.tokens[this.i + 2]?.value !== "]" || !index) break;
        path += `[${index.value}]`;
        this.i += 2;
      } else break;
      this.i++;
      // A quoted step ends the word token; a following ".name" arrives as part of the next word token.
      const next = this.peek();
      if (next?.type === "word" && next.value.startsWith(".")) {
        path += next.value;
        this.i++;
      }
    }
    if (!path) throw new StixPatternError(`expected a property after "${t.value}:" ${this.where()}`);
    return { object: t.value.toLowerCase(), path };
  }

  private list(): Literal {
    this.expectPunct("(");
    const values: Literal[] = [this.literal()];
    while (this.isPunct(",")) {
      this.i++;
      values.push(this.literal());
    }
    this.expectPunct(")");
    return { kind: "list", value: values };
  }

  private literal(): Literal {
    const t = this.peek();
    if (!t) throw new StixPatternError("expected a value at the end");
    this.i++;
    if (t.type === "string") return { kind: "string", value: t.value };
    if (t.type === "number") return { kind: "number", value: Number(t.value) };
    if (t.type === "typed") return { kind: t.prefix === "t" ? "timestamp" : t.prefix === "h" ? "hex" : "binary", value: t.value };
    if (t.type === "word" && /^(true|false)$/i.test(t.value)) return { kind: "boolean", value: t.value.toLowerCase() === "true" };
    this.i--;
    throw new StixPatternError(`expected a value ${this.where()}`);
  }
}

/** Parses a STIX 2.1 pattern; throws StixPatternError on a syntax error. */
export function parseStixPattern(pattern: string): ObservationExpression {
  return new Parser(tokenize(pattern), pattern).parsePattern();
}
