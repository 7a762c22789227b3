import { fieldValue, type Literal, type Requirement, type SigmaEvent } from "./compile.js";

/** Longer needles are cut to this length: their prefix is still necessary, and the automaton stays small. */
const MAX_NEEDLE = 12;

/**
 * Many needles searched at once in one pass over a text (Aho–Corasick, compiled to a dense automaton). Its
 * alphabet: each ASCII character some needle contains (upper-case letters read as lower-case), one class for
 * every non-ASCII character, and one for everything else. Merging characters into classes only lets it find
 * more, never fewer, needles: callers use the hits as a necessary condition.
 */
class NeedleAutomaton {
  private readonly width: number;
  private readonly asciiClass = new Int32Array(128);
  private readonly nonAscii: number;
  private readonly next: Uint16Array | Int32Array;
  /** Needle ids ending at each state (including through suffix links), or undefined. */
  private readonly outputs: (Int32Array | undefined)[];

  /** `ids[i]` is reported for `needles[i]` (lower-cased). */
  constructor(needles: readonly string[], ids: ArrayLike<number>) {
    let classes = 2; // 0: an ASCII character no needle contains; 1: any non-ASCII character
    for (const needle of needles) {
      for (let i = 0; i < needle.length; i++) {
        const code = needle.charCodeAt(i);
        if (code < 128 && this.asciiClass[code] === 0) this.asciiClass[code] = classes++;
      }
    }
    for (let code = 65; code <= 90; code++) if (this.asciiClass[code + 32] !== 0) this.asciiClass[code] = this.asciiClass[code + 32]!;
    this.nonAscii = 1;
    this.width = classes;

    const children: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    needles.forEach((needle, index) => {
      let state = 0;
      for (let i = 0; i < Math.min(needle.length, MAX_NEEDLE); i++) {
        const cls = this.classOf(needle.charCodeAt(i));
        let child = children[state]!.get(cls);
        if (child === undefined) {
          child = children.length;
          children.push(new Map());
          ends.push([]);
          children[state]!.set(cls, child);
        }
        state = child;
      }
      ends[state]!.push(ids[index]!);
    });

    const states = children.length;
    const next = states <= 0xffff ? new Uint16Array(states * classes) : new Int32Array(states * classes);
    const fail = new Int32Array(states);
    const outputs = new Array<Int32Array | undefined>(states).fill(undefined);
    const queue: number[] = [];
    for (const [cls, child] of children[0]!) {
      next[cls] = child;
      queue.push(child);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      const inherited = outputs[fail[state]!];
      const own = ends[state]!;
      outputs[state] = own.length === 0 ? inherited : Int32Array.from(inherited ? [...own, ...inherited] : own);
      const row = state * classes;
      const failRow = fail[state]! * classes;
      for (let cls = 0; cls < classes; cls++) next[row + cls] = next[failRow + cls]!;
      for (const [cls, child] of children[state]!) {
        fail[child] = next[failRow + cls]!;
        next[row + cls] = child;
        queue.push(child);
      }
    }
    this.next = next;
    this.outputs = outputs;
  }

  private classOf(code: number): number {
    return code < 128 ? this.asciiClass[code]! : this.nonAscii;
  }

  /** Calls `found` with the id of every needle in the lower-cased `text` (repeats possible). */
  search(text: string, found: (id: number) => void): void {
    const { next, outputs, width, asciiClass } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // toLowerCase is not per character beyond ASCII (final sigma, İ → i̇): fold the whole text as matchers do.
      if (code >= 128) return this.searchFolded(text.toLowerCase(), found);
      state = next[state * width + asciiClass[code]!]!;
      const out = outputs[state];
      if (out !== undefined) for (let k = 0; k < out.length; k++) found(out[k]!);
    }
  }

  private searchFolded(text: string, found: (id: number) => void): void {
    const { next, outputs, width } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      state = next[state * width + this.classOf(text.charCodeAt(i))]!;
      const out = outputs[state];
      if (out !== undefined) for (let k = 0; k < out.length; k++) found(out[k]!);
    }
  }
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return undefined;
}

/**
 * Picks, for one event, the rules that may match it: those whose requirement (see `detectionRequirement`)
 * holds, plus those without one. Each field the requirements name is read once and searched for all its
 * needles in one pass, so a rule that cannot match costs nothing. `candidates` keeps the input order.
 */
export class RulePrefilter<T> {
  private readonly fields: { name: string; automaton: NeedleAutomaton }[] = [];
  private readonly clauses: Int32Array[][];
  /** Rules to check when a literal is found: those whose first clause contains it. */
  private readonly triggers: number[][];
  private readonly always: number[] = [];
  private readonly literalSeen: Int32Array;
  private readonly ruleSeen: Int32Array;
  private readonly hits: number[] = [];
  private epoch = 0;
  private readonly found = (literal: number): void => {
    if (this.literalSeen[literal] === this.epoch) return;
    this.literalSeen[literal] = this.epoch;
    this.hits.push(literal);
  };

  constructor(
    private readonly items: readonly T[],
    requirementOf: (item: T) => Requirement,
  ) {
    const literalIds = new Map<string, number>();
    const byField = new Map<string, string[]>();
    const idOf = ({ field, needle }: Literal): number => {
      const key = `${field}\0${needle}`;
      let id = literalIds.get(key);
      if (id === undefined) {
        id = literalIds.size;
        literalIds.set(key, id);
        const needles = byField.get(field) ?? [];
        needles.push(needle);
        byField.set(field, needles);
      }
      return id;
    };
    this.clauses = items.map((item, index) => {
      const requirement = requirementOf(item);
      if (requirement === null || requirement.length === 0) {
        this.always.push(index);
        return [];
      }
      return requirement.map((clause) => Int32Array.from(new Set(clause.map(idOf))));
    });
    for (const [name, needles] of byField) {
      const ids = needles.map((needle) => literalIds.get(`${name}\0${needle}`)!);
      this.fields.push({ name, automaton: new NeedleAutomaton(needles, ids) });
    }
    this.triggers = Array.from({ length: literalIds.size }, () => []);
    this.clauses.forEach((clauses, index) => {
      const first = clauses[0];
      if (first) for (const literal of first) this.triggers[literal]!.push(index);
    });
    this.literalSeen = new Int32Array(literalIds.size);
    this.ruleSeen = new Int32Array(items.length);
  }

  /** How many rules run on every event (no requirement could be derived). */
  get unconditional(): number {
    return this.always.length;
  }

  candidates(event: SigmaEvent): T[] {
    const epoch = ++this.epoch;
    const hits = this.hits;
    hits.length = 0;
    for (const { name, automaton } of this.fields) {
      if (name === "") {
        this.searchAll(event, automaton, 0);
        continue;
      }
      const value = fieldValue(event, name);
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) {
        for (const element of value) {
          const text = scalarText(element);
          if (text !== undefined) automaton.search(text, this.found);
        }
      } else {
        const text = scalarText(value);
        if (text !== undefined) automaton.search(text, this.found);
      }
    }
    const chosen: number[] = [...this.always];
    for (const literal of hits) {
      for (const index of this.triggers[literal]!) {
        if (this.ruleSeen[index] === epoch) continue;
        this.ruleSeen[index] = epoch;
        if (this.satisfied(this.clauses[index]!, epoch)) chosen.push(index);
      }
    }
    if (chosen.length > this.always.length) chosen.sort((a, b) => a - b);
    const result: T[] = new Array<T>(chosen.length);
    for (let i = 0; i < chosen.length; i++) result[i] = this.items[chosen[i]!]!;
    return result;
  }

  /** Every scalar under `value`, as keywords see them (`stringValues` in compile.ts). */
  private searchAll(value: unknown, automaton: NeedleAutomaton, depth: number): void {
    if (depth > 32) return;
    const text = scalarText(value);
    if (text !== undefined) {
      automaton.search(text, this.found);
    } else if (Array.isArray(value)) {
      for (const element of value) this.searchAll(element, automaton, depth + 1);
    } else if (typeof value === "object" && value !== null) {
      for (const key in value) if (Object.hasOwn(value, key)) this.searchAll((value as Record<string, unknown>)[key], automaton, depth + 1);
    }
  }

  private satisfied(clauses: Int32Array[], epoch: number): boolean {
    for (let c = 1; c < clauses.length; c++) {
      const clause = clauses[c]!;
      let held = false;
      for (let k = 0; k < clause.length; k++) {
        if (this.literalSeen[clause[k]!] === epoch) {
          held = true;
          break;
        }
      }
      if (!held) return false;
    }
    return true;
  }
}
